// panels: filled in by the panels area (src/dashboard/panels).

// settings: filled in by the settings area (src/dashboard/settings).

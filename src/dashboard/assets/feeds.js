// feeds: filled in by the feeds area (src/dashboard/feeds).

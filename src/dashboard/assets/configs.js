// configs: filled in by the configs area (src/dashboard/configs).

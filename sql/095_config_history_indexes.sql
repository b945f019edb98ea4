-- Config history at scale (10,000 versions of a file, 100,000 change events in the fleet).
-- Every history page and snapshot read joins its event by snapshot_id: without an index, each one
-- scanned all the fleet's events.
CREATE INDEX IF NOT EXISTS configuration_change_events_snapshot ON configuration_change_events (snapshot_id);
-- Versions of a file are read newest first by id (insertion order survives clock steps), not by time.
CREATE INDEX IF NOT EXISTS configuration_snapshots_device_path_id ON configuration_snapshots (device_id, path, id DESC);
-- The changes feed of one device, newest first.
CREATE INDEX IF NOT EXISTS configuration_change_events_device_name_id
  ON configuration_change_events (device_name, id DESC);

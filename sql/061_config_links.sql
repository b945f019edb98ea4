-- A tracked path whose physical location (symlinks resolved) is outside the device's watched globs,
-- e.g. a docker-compose.yml symlinked to /etc/shadow, is recorded as what it is: a version without
-- content (content_hash NULL, content '') carrying where it leads. Such a version is a CREATE or
-- MODIFY, not a DELETE: a DELETE is the only version with neither a hash nor a link target.
ALTER TABLE configuration_snapshots ADD COLUMN IF NOT EXISTS link_target text NULL;
ALTER TABLE configuration_change_events ADD COLUMN IF NOT EXISTS link_target text NULL;

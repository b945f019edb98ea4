-- Configuration file history. Never purged: rows outlive their device (device_id becomes NULL,
-- device_name stays), so no ON DELETE CASCADE here.

CREATE TABLE IF NOT EXISTS configuration_snapshots (
  id                   bigserial PRIMARY KEY,
  time                 timestamptz NOT NULL DEFAULT now(),
  device_id            integer NULL REFERENCES devices (id) ON DELETE SET NULL,
  device_name          text NOT NULL,
  path                 text NOT NULL,
  config_type          text NOT NULL,
  -- sha256 hex of the file's bytes; NULL for a DELETE version (a deleted file has no content,
  -- and a later empty file must still count as a change).
  content_hash         text NULL,
  -- The content as stored: raw, or redacted when secrets are not kept (content_redacted).
  -- 'base64' when the bytes are not valid UTF-8 text (or contain NUL, which text cannot hold).
  content              text NOT NULL DEFAULT '',
  content_encoding     text NOT NULL DEFAULT 'utf8' CHECK (content_encoding IN ('utf8', 'base64')),
  content_redacted     boolean NOT NULL DEFAULT false,
  content_bytes        bigint NOT NULL DEFAULT 0,
  parsed               jsonb NULL,
  parse_error          text NULL,
  change_type          text NOT NULL CHECK (change_type IN ('CREATE', 'MODIFY', 'DELETE', 'MOVE')),
  previous_snapshot_id bigint NULL REFERENCES configuration_snapshots (id),
  previous_hash        text NULL,
  moved_from           text NULL,
  file_mtime           timestamptz NULL,
  detection_source     text NOT NULL CHECK (detection_source IN ('watch', 'poll', 'verify', 'api', 'restore')),
  detection_latency_ms double precision NULL,
  size_too_large       boolean NOT NULL DEFAULT false
);

-- Versions of one file form a chain (each row names the version it replaced). At most one row may
-- follow a given version, so two writers that both saw version N cannot both append: the second
-- insert conflicts, re-reads the new head and finds its content already recorded (or appends after it).
CREATE UNIQUE INDEX IF NOT EXISTS configuration_snapshots_chain
  ON configuration_snapshots (device_id, path, (COALESCE(previous_snapshot_id, 0)));
CREATE INDEX IF NOT EXISTS configuration_snapshots_device_path_time
  ON configuration_snapshots (device_id, path, time DESC);
CREATE INDEX IF NOT EXISTS configuration_snapshots_time ON configuration_snapshots (time DESC);

CREATE TABLE IF NOT EXISTS configuration_change_events (
  id                   bigserial PRIMARY KEY,
  time                 timestamptz NOT NULL DEFAULT now(),
  device_id            integer NULL REFERENCES devices (id) ON DELETE SET NULL,
  device_name          text NOT NULL,
  path                 text NOT NULL,
  config_type          text NOT NULL,
  snapshot_id          bigint NOT NULL REFERENCES configuration_snapshots (id),
  previous_snapshot_id bigint NULL REFERENCES configuration_snapshots (id),
  change_type          text NOT NULL CHECK (change_type IN ('CREATE', 'MODIFY', 'DELETE', 'MOVE')),
  diff_summary         jsonb NOT NULL,
  affected_services    jsonb NOT NULL DEFAULT '[]'::jsonb,
  requires_restart     boolean NOT NULL DEFAULT false,
  restart_services     jsonb NOT NULL DEFAULT '[]'::jsonb,
  risk_level           text NOT NULL CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  risk_rule            text NOT NULL,
  detection_source     text NOT NULL
);
CREATE INDEX IF NOT EXISTS configuration_change_events_device_path_time
  ON configuration_change_events (device_id, path, time DESC);
CREATE INDEX IF NOT EXISTS configuration_change_events_time ON configuration_change_events (time DESC);
CREATE INDEX IF NOT EXISTS configuration_change_events_risk_time ON configuration_change_events (risk_level, time DESC);

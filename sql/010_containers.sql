-- One row per container per collection (docker or podman).
CREATE TABLE IF NOT EXISTS container_snapshots (
  id              bigserial PRIMARY KEY,
  time            timestamptz NOT NULL,
  device_id       integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  container_id    text NOT NULL,
  name            text NOT NULL,
  image           text NULL,
  state           text NOT NULL,
  status          text NULL,
  health          text NULL,
  restart_count   integer NULL,
  exit_code       integer NULL,
  compose_project text NULL,
  compose_service text NULL,
  cpu_percent     double precision NULL,
  mem_usage_bytes bigint NULL,
  mem_limit_bytes bigint NULL,
  data            jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS container_snapshots_device_time ON container_snapshots (device_id, time DESC);
CREATE INDEX IF NOT EXISTS container_snapshots_device_name_time ON container_snapshots (device_id, name, time DESC);

-- One row per docker/podman network per collection.
CREATE TABLE IF NOT EXISTS docker_networks (
  id              bigserial PRIMARY KEY,
  time            timestamptz NOT NULL,
  device_id       integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  network_id      text NOT NULL,
  name            text NOT NULL,
  driver          text NULL,
  scope           text NULL,
  container_count integer NULL,
  data            jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS docker_networks_device_time ON docker_networks (device_id, time DESC);

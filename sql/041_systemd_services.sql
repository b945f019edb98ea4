-- One row per loaded systemd service per collection.
CREATE TABLE IF NOT EXISTS systemd_services (
  id            bigserial PRIMARY KEY,
  time          timestamptz NOT NULL,
  device_id     integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  unit          text NOT NULL,
  load_state    text NOT NULL,
  active_state  text NOT NULL,
  sub_state     text NOT NULL,
  enabled_state text NULL,
  restarts      integer NULL,
  main_pid      integer NULL,
  data          jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS systemd_services_device_time ON systemd_services (device_id, time DESC);
CREATE INDEX IF NOT EXISTS systemd_services_device_unit_time ON systemd_services (device_id, unit, time DESC);

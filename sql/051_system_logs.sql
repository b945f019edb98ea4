-- One row per log entry; `time` is the entry's own timestamp when known.
CREATE TABLE IF NOT EXISTS system_logs (
  id        bigserial PRIMARY KEY,
  time      timestamptz NOT NULL,
  device_id integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  cursor    text NULL,
  unit      text NULL,
  priority  smallint NULL,
  message   text NULL,
  data      jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS system_logs_device_time ON system_logs (device_id, time DESC);
-- A cursor names one journal entry: re-reading it can never store it twice.
CREATE UNIQUE INDEX IF NOT EXISTS system_logs_device_cursor ON system_logs (device_id, cursor) WHERE cursor IS NOT NULL;

-- Alerts (issue 14). Built-in rules live in code (src/alerts/builtins.ts); a row here with a
-- built-in's id overrides it (thresholds, `for`, enabled), any other id is a user rule.
CREATE TABLE IF NOT EXISTS alert_rules (
  id          text PRIMARY KEY,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per alert instance: a rule on a device and a subject (mount, container, drive, pool,
-- unit, file; '' for the device itself). Resolved rows stay as history.
CREATE TABLE IF NOT EXISTS alerts (
  id               bigserial PRIMARY KEY,
  rule_id          text NOT NULL,
  rule_name        text NOT NULL,
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  device_id        integer NULL REFERENCES devices (id) ON DELETE CASCADE,
  device_name      text NOT NULL,
  subject          text NOT NULL DEFAULT '',
  labels           jsonb NOT NULL DEFAULT '{}'::jsonb,
  state            text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  value            double precision NULL,
  threshold        double precision NULL,
  summary          text NOT NULL DEFAULT '',
  details          jsonb NULL,
  started_at       timestamptz NOT NULL DEFAULT now(),
  fired_at         timestamptz NULL,
  resolved_at      timestamptz NULL,
  acknowledged_at  timestamptz NULL,
  acknowledged_by  text NULL,
  last_notified_at timestamptz NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- At most one open (pending or firing) alert per rule, device and subject.
CREATE UNIQUE INDEX IF NOT EXISTS alerts_open_key ON alerts (rule_id, device_name, subject)
  WHERE state IN ('pending', 'firing');
CREATE INDEX IF NOT EXISTS alerts_device_started ON alerts (device_name, started_at DESC);
CREATE INDEX IF NOT EXISTS alerts_state_started ON alerts (state, started_at DESC);

-- Silences: every given matcher must match (null = any); active until `until`.
CREATE TABLE IF NOT EXISTS alert_silences (
  id          bigserial PRIMARY KEY,
  rule_id     text NULL,
  device_name text NULL,
  tag         text NULL,
  subject     text NULL,
  until       timestamptz NOT NULL,
  created_by  text NULL,
  reason      text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_silences_until ON alert_silences (until);

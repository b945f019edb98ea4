-- Several service instances on one PostgreSQL database: which instance polls (and watches) which
-- device. A lease is held by exactly one live instance; it is renewed every TTL/3 and taken over
-- by another instance once it has expired (its owner died). See src/instances/.

-- Live instances (heartbeat = every lease renewal). Devices are spread over these.
CREATE TABLE IF NOT EXISTS scheduler_instances (
  instance_id  text PRIMARY KEY,
  hostname     text NOT NULL DEFAULT '',
  pid          integer NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);

-- One row per device at most. Acquire and renew are one UPSERT that only wins when the row has
-- expired or is already ours, so two instances can never both hold a live lease.
CREATE TABLE IF NOT EXISTS scheduler_leases (
  device_id   integer PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  owner       text NOT NULL,
  expires_at  timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  renewed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS scheduler_leases_owner ON scheduler_leases (owner);

-- ZFS: one row per pool per collection, one row per snapshot per collection.

CREATE TABLE IF NOT EXISTS zfs_status (
  id                    bigserial PRIMARY KEY,
  time                  timestamptz NOT NULL,
  device_id             integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  pool                  text NOT NULL,
  health                text NULL,
  size_bytes            bigint NULL,
  alloc_bytes           bigint NULL,
  free_bytes            bigint NULL,
  capacity_percent      double precision NULL,
  fragmentation_percent double precision NULL,
  scan_state            text NULL,
  read_errors           bigint NULL,
  write_errors          bigint NULL,
  cksum_errors          bigint NULL,
  data                  jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS zfs_status_device_time ON zfs_status (device_id, time DESC);

CREATE TABLE IF NOT EXISTS zfs_snapshots (
  id          bigserial PRIMARY KEY,
  time        timestamptz NOT NULL,
  device_id   integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  dataset     text NOT NULL,
  snapshot    text NOT NULL,
  used_bytes  bigint NULL,
  refer_bytes bigint NULL,
  created_at  timestamptz NULL,
  data        jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS zfs_snapshots_device_time ON zfs_snapshots (device_id, time DESC);

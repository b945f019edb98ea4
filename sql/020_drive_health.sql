-- drive_health: one row per whole disk per collection (smartctl -j -a + lsblk + /proc/diskstats).
-- reallocated_sectors: ATA attribute 5, or the SAS/SCSI grown defect list.
-- pending_sectors / uncorrectable_sectors: ATA attributes 197 / 198 (null for NVMe and SCSI).
-- percentage_used: NVMe endurance used (%). Everything else (attribute table, IO totals) is in data.
CREATE TABLE IF NOT EXISTS drive_health (
  id bigserial PRIMARY KEY,
  time timestamptz NOT NULL,
  device_id integer NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  device_path text NOT NULL,
  model text,
  serial text,
  protocol text,
  status text NOT NULL,
  smart_passed boolean,
  temperature_c double precision,
  power_on_hours bigint,
  reallocated_sectors bigint,
  pending_sectors bigint,
  uncorrectable_sectors bigint,
  percentage_used double precision,
  data jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS drive_health_device_time ON drive_health (device_id, time DESC);

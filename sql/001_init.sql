-- Initial schema. Tables are created unqualified: the connection's search_path picks the schema.

CREATE TABLE IF NOT EXISTS devices (
  id               serial PRIMARY KEY,
  name             text NOT NULL UNIQUE,
  host             text NOT NULL,
  port             integer NULL,
  username         text NULL,
  private_key_path text NULL,
  password         text NULL,
  transport        text NOT NULL DEFAULT 'ssh' CHECK (transport IN ('ssh', 'local')),
  tags             jsonb NOT NULL DEFAULT '[]'::jsonb,
  enabled          boolean NOT NULL DEFAULT true,
  status           text NOT NULL DEFAULT 'unknown',
  last_seen        timestamptz NULL,
  capabilities     jsonb NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS host_keys (
  host_port   text PRIMARY KEY,
  algorithm   text NOT NULL,
  fingerprint text NOT NULL,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS system_metrics (
  id                    bigserial PRIMARY KEY,
  time                  timestamptz NOT NULL,
  device_id             integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  cpu_percent           double precision NULL,
  cpu_iowait_percent    double precision NULL,
  cpu_steal_percent     double precision NULL,
  mem_total_bytes       bigint NULL,
  mem_available_bytes   bigint NULL,
  mem_used_percent      double precision NULL,
  swap_total_bytes      bigint NULL,
  swap_used_bytes       bigint NULL,
  load1                 double precision NULL,
  load5                 double precision NULL,
  load15                double precision NULL,
  uptime_seconds        double precision NULL,
  process_count         integer NULL,
  disk_used_percent_max double precision NULL,
  net_rx_bytes          bigint NULL,
  net_tx_bytes          bigint NULL,
  data                  jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS system_metrics_device_time_idx ON system_metrics (device_id, time DESC);

-- No foreign key on device_id: audit rows must outlive the device they describe.
CREATE TABLE IF NOT EXISTS data_collection_audit (
  id                  bigserial PRIMARY KEY,
  time                timestamptz NOT NULL DEFAULT now(),
  device_id           integer NULL,
  device_name         text NOT NULL,
  operation_id        text NOT NULL,
  data_type           text NOT NULL,
  method              text NOT NULL,
  source              text NOT NULL,
  force_refresh       boolean NOT NULL DEFAULT false,
  cache_hit           boolean NOT NULL DEFAULT false,
  duration_ms         double precision NOT NULL DEFAULT 0,
  ssh_command_count   integer NOT NULL DEFAULT 0,
  data_size_bytes     bigint NOT NULL DEFAULT 0,
  status              text NOT NULL CHECK (status IN ('success', 'error', 'partial')),
  error_message       text NULL,
  records_created     integer NOT NULL DEFAULT 0,
  freshness_threshold integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS data_collection_audit_time_idx ON data_collection_audit (time DESC);
CREATE INDEX IF NOT EXISTS data_collection_audit_device_time_idx ON data_collection_audit (device_id, time DESC);
CREATE INDEX IF NOT EXISTS data_collection_audit_type_time_idx ON data_collection_audit (data_type, time DESC);

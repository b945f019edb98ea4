-- Self-observability: per-minute rollups of the service's own work, and cache state snapshots.

-- One row per minute per method (polling, api, mcp, watch, cli, library), plus method 'all' carrying
-- the process-wide figures that belong to no single method (SSH pool, cache size, evictions).
-- Per-method rows leave those process-wide columns NULL. Writers add increments into a row
-- (ON CONFLICT (time, method)), so several instances sharing the database sum up.
CREATE TABLE IF NOT EXISTS service_performance_metrics (
  id                      bigserial PRIMARY KEY,
  time                    timestamptz NOT NULL,
  method                  text NOT NULL,
  operations_total        integer NOT NULL DEFAULT 0,
  operations_successful   integer NOT NULL DEFAULT 0,
  operations_failed       integer NOT NULL DEFAULT 0,
  operations_cached       integer NOT NULL DEFAULT 0,
  avg_duration_ms         double precision NULL,
  min_duration_ms         double precision NULL,
  max_duration_ms         double precision NULL,
  ssh_connections_created integer NULL,
  ssh_connections_reused  integer NULL,
  commands_executed       integer NOT NULL DEFAULT 0,
  cache_hit_ratio         double precision NULL,
  cache_entries           integer NULL,
  cache_bytes             bigint NULL,
  cache_evictions         integer NULL,
  bytes_collected         bigint NOT NULL DEFAULT 0,
  -- rows written by collections plus their audit rows
  db_writes               integer NOT NULL DEFAULT 0,
  -- error code -> count
  error_types             jsonb NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (time, method)
);
CREATE INDEX IF NOT EXISTS service_performance_metrics_time ON service_performance_metrics (time DESC);

-- Last known state of each cache key: written periodically and when entries are invalidated.
CREATE TABLE IF NOT EXISTS cache_metadata (
  cache_key           text PRIMARY KEY,
  device              text NOT NULL,
  data_type           text NOT NULL,
  params              text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  last_accessed_at    timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  hits                integer NOT NULL DEFAULT 0,
  size_bytes          bigint NOT NULL DEFAULT 0,
  invalidated_at      timestamptz NULL,
  invalidation_reason text NULL,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cache_metadata_device_type ON cache_metadata (device, data_type);
CREATE INDEX IF NOT EXISTS cache_metadata_updated ON cache_metadata (updated_at);

import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import type { Row, Sql } from "./sql.ts"

/**
 * The newest stored collection of each device, per table, for the fleet's Prometheus metrics.
 * Every answer is rows already in the database: a scrape never reaches a host.
 */
export interface FleetLatest {
  /** The newest system_metrics row per device (mounts from its data). */
  readonly metrics: ReadonlyArray<Row>
  /** Each table's rows of the newest collection per device (`device_id`, `time`, its columns). */
  readonly drives: ReadonlyArray<Row>
  readonly pools: ReadonlyArray<Row>
  readonly containers: ReadonlyArray<Row>
  readonly interfaces: ReadonlyArray<Row>
  /** Per device: units in the newest systemd collection, and how many of them are failed. */
  readonly units: ReadonlyArray<Row>
  /** Config change events per device name and risk level, since the beginning. */
  readonly configChanges: ReadonlyArray<Row>
}

export interface FleetRepo {
  readonly fleetLatest: () => Effect.Effect<FleetLatest, StoreError>
}

/**
 * The rows of a table's newest collection per device: one max(time) per device over the
 * (device_id, time DESC) index, then the rows at that time. Names here are constants, not input.
 */
const newestSet = (table: string, columns: string) => `
SELECT d.id AS device_id, t.time, ${columns.split(",").map((c) => `t.${c.trim()}`).join(", ")}
FROM devices d
CROSS JOIN LATERAL (SELECT max(time) AS newest FROM ${table} WHERE device_id = d.id) x
JOIN ${table} t ON t.device_id = d.id AND t.time = x.newest
ORDER BY d.id`

const queries = {
  metrics: `
SELECT d.id AS device_id, m.*
FROM devices d
CROSS JOIN LATERAL (
  SELECT time, cpu_percent, mem_total_bytes, mem_available_bytes, swap_total_bytes, swap_used_bytes,
    load1, load5, load15, uptime_seconds, net_rx_bytes, net_tx_bytes, data->'disk'->'mounts' AS mounts
  FROM system_metrics WHERE device_id = d.id ORDER BY time DESC LIMIT 1
) m
ORDER BY d.id`,
  drives: newestSet(
    "drive_health",
    "device_path, model, serial, protocol, status, smart_passed, temperature_c, power_on_hours, " +
      "reallocated_sectors, pending_sectors, percentage_used",
  ),
  pools: newestSet("zfs_status", "pool, health, size_bytes, alloc_bytes, read_errors, write_errors, cksum_errors"),
  containers: newestSet("container_snapshots", "name, state, health, restart_count, cpu_percent, mem_usage_bytes"),
  interfaces: newestSet("network_interfaces", "interface, state, rx_bytes, tx_bytes, rx_errors, tx_errors"),
  units: `
SELECT s.device_id, max(s.time) AS time, count(*)::int AS units,
  (count(*) FILTER (WHERE s.active_state = 'failed'))::int AS failed
FROM (${newestSet("systemd_services", "active_state")}) s
GROUP BY s.device_id
ORDER BY s.device_id`,
  configChanges: `
SELECT device_name, risk_level, count(*)::int AS changes
FROM configuration_change_events
GROUP BY device_name, risk_level
ORDER BY device_name, risk_level`,
} as const

export const makeFleetRepo = (sql: Sql): FleetRepo => ({
  // One after another: PGlite has one connection, and a scrape is not latency-critical.
  fleetLatest: () =>
    Effect.all({
      metrics: sql.rows("fleetLatest.metrics", queries.metrics),
      drives: sql.rows("fleetLatest.drives", queries.drives),
      pools: sql.rows("fleetLatest.pools", queries.pools),
      containers: sql.rows("fleetLatest.containers", queries.containers),
      interfaces: sql.rows("fleetLatest.interfaces", queries.interfaces),
      units: sql.rows("fleetLatest.units", queries.units),
      configChanges: sql.rows("fleetLatest.configChanges", queries.configChanges),
    }),
})

import { Schema } from "effect"

/** Days of history kept per time-series table (0 = keep forever). */
export const defaultRetentionDays: Readonly<Record<string, number>> = {
  system_metrics: 30,
  container_snapshots: 30,
  network_interfaces: 30,
  docker_networks: 30,
  vm_status: 30,
  systemd_services: 30,
  zfs_status: 30,
  zfs_snapshots: 30,
  drive_health: 90,
  system_logs: 14,
  data_collection_audit: 90,
  service_performance_metrics: 30,
  cache_metadata: 30,
}

/** Configuration history is the point of those tables: it is never aged out, whatever the config says. */
export const protectedTables: ReadonlySet<string> = new Set(["configuration_snapshots", "configuration_change_events"])

/** The timestamp column that ages a table's rows ("time" unless listed). */
const timeColumns: Readonly<Record<string, string>> = { cache_metadata: "updated_at" }

export const maxRetentionDays = 36_500

export interface RetentionRule {
  readonly table: string
  readonly column: string
  readonly days: number
}

const Days = Schema.Finite.check(
  Schema.makeFilter((days: number) => Number.isInteger(days) && days >= 0 && days <= maxRetentionDays, {
    expected: `a whole number of days from 0 (keep forever) to ${maxRetentionDays}`,
  }),
)

/** Present in the section so a protected table gets this message rather than "unknown table". */
const KeptForever = Schema.Unknown.check(
  Schema.makeFilter(() => "configuration history is kept forever and cannot be given a retention"),
)

/** The `retention:` section: days per time-series table; configuration history tables are refused. */
export const RetentionSection = Schema.Struct({
  ...Object.fromEntries(Object.keys(defaultRetentionDays).map((t) => [t, Schema.optional(Schema.NullOr(Days))])),
  ...Object.fromEntries([...protectedTables].map((t) => [t, Schema.optional(KeptForever)])),
}).annotate({ configKeyKind: "table" })

/**
 * Defaults merged with overrides (checked by RetentionSection); tables with 0 days (keep forever)
 * are left out. Only the known tables are kept: their names go into SQL.
 */
export const resolveRetention = (overrides: Readonly<Record<string, unknown>> = {}): Array<RetentionRule> => {
  const merged: Record<string, number> = { ...defaultRetentionDays }
  for (const [table, days] of Object.entries(overrides)) {
    if (table in defaultRetentionDays && typeof days === "number") merged[table] = days
  }
  return Object.entries(merged)
    .filter(([, days]) => days > 0)
    .map(([table, days]) => ({ table, days, column: timeColumns[table] ?? "time" }))
}

import { ValidationError } from "../domain/errors.ts"

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

const identifier = /^[a-z_][a-z0-9_]*$/

/** Checks `retention:` overrides (table → days); throws ValidationError on protected or bad entries. */
export const validateRetention = (overrides: Readonly<Record<string, unknown>>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [table, raw] of Object.entries(overrides)) {
    if (protectedTables.has(table)) {
      throw new ValidationError({
        message: `retention.${table}: configuration history is kept forever and cannot be given a retention`,
      })
    }
    if (!identifier.test(table)) {
      throw new ValidationError({ message: `retention: ${JSON.stringify(table)} is not a table name` })
    }
    const days = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN
    if (!Number.isInteger(days) || days < 0 || days > maxRetentionDays) {
      throw new ValidationError({
        message: `retention.${table} must be a whole number of days from 0 (keep forever) to ${maxRetentionDays}, got ${
          String(raw)
        }`,
      })
    }
    out[table] = days
  }
  return out
}

/** Defaults merged with overrides; tables with 0 days (keep forever) are left out. */
export const resolveRetention = (overrides: Readonly<Record<string, unknown>> = {}): Array<RetentionRule> => {
  const merged = { ...defaultRetentionDays, ...validateRetention(overrides) }
  return Object.entries(merged)
    .filter(([, days]) => days > 0)
    .map(([table, days]) => ({ table, days, column: timeColumns[table] ?? "time" }))
}

import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import { type Row, type Sql, valuesTuples, writeBatch } from "./sql.ts"

/** One service_performance_metrics increment for (minute, method). */
export interface RollupRow {
  readonly time: Date
  readonly method: string
  readonly operations_total: number
  readonly operations_successful: number
  readonly operations_failed: number
  readonly operations_cached: number
  readonly avg_duration_ms: number | null
  readonly min_duration_ms: number | null
  readonly max_duration_ms: number | null
  readonly ssh_connections_created: number | null
  readonly ssh_connections_reused: number | null
  readonly commands_executed: number
  readonly cache_hit_ratio: number | null
  readonly cache_entries: number | null
  readonly cache_bytes: number | null
  readonly cache_evictions: number | null
  readonly bytes_collected: number
  readonly db_writes: number
  /** Error code → count. */
  readonly error_types: Readonly<Record<string, number>>
}

const rollupColumns = [
  "time",
  "method",
  "operations_total",
  "operations_successful",
  "operations_failed",
  "operations_cached",
  "avg_duration_ms",
  "min_duration_ms",
  "max_duration_ms",
  "ssh_connections_created",
  "ssh_connections_reused",
  "commands_executed",
  "cache_hit_ratio",
  "cache_entries",
  "cache_bytes",
  "cache_evictions",
  "bytes_collected",
  "db_writes",
  "error_types",
] as const satisfies ReadonlyArray<keyof RollupRow>

/** One cache_metadata row: the persisted state of a cache entry. */
export interface CacheMetadataRow {
  readonly cache_key: string
  readonly device: string
  readonly data_type: string
  readonly params: string
  readonly created_at: Date
  readonly last_accessed_at: Date
  readonly expires_at: Date
  readonly hits: number
  readonly size_bytes: number
  readonly invalidated_at: Date | null
  readonly invalidation_reason: string | null
  readonly updated_at: Date
}

const cacheColumns = [
  "cache_key",
  "device",
  "data_type",
  "params",
  "created_at",
  "last_accessed_at",
  "expires_at",
  "hits",
  "size_bytes",
  "invalidated_at",
  "invalidation_reason",
  "updated_at",
] as const satisfies ReadonlyArray<keyof CacheMetadataRow>

export interface PerformanceQuery {
  readonly from: Date
  readonly to: Date
  readonly method?: string | undefined
  readonly limit: number
}

/** Self-observability tables: per-minute rollups and cache metadata. */
export interface MetricsRepo {
  /** Add increments into service_performance_metrics; returns rows written. */
  readonly addRollups: (rows: ReadonlyArray<RollupRow>) => Effect.Effect<number, StoreError>
  /** Rollup rows in [from, to], newest first. */
  readonly performanceRows: (q: PerformanceQuery) => Effect.Effect<Array<Row>, StoreError>
  /** Insert or replace cache_metadata rows by cache key; returns rows written. */
  readonly upsertCacheMetadata: (rows: ReadonlyArray<CacheMetadataRow>) => Effect.Effect<number, StoreError>
  /** Mark every live cache_metadata row of a scope (all, a device, a data type or both) invalidated. */
  readonly invalidateCacheMetadata: (
    scope: { readonly device: string | undefined; readonly dataType: string | undefined },
    reason: string,
    at: Date,
  ) => Effect.Effect<void, StoreError>
}

/** A nullable counter column adds up; NULL only while both sides are NULL. */
const addNullable = (c: string) =>
  `${c} = CASE WHEN t.${c} IS NULL AND EXCLUDED.${c} IS NULL THEN NULL ELSE coalesce(t.${c}, 0) + coalesce(EXCLUDED.${c}, 0) END`

const add = (c: string) => `${c} = t.${c} + EXCLUDED.${c}`

/**
 * Rows arrive as increments for (minute, method): counts add up, min/max combine, the average is
 * re-weighted by operation count, error counts merge key by key, gauges take the newest reading.
 * So early flushes, restarts within a minute and several instances sharing a database all sum
 * correctly. (Right-hand sides see the row as it was before this update.)
 */
const rollupUpdates = [
  add("operations_total"),
  add("operations_successful"),
  add("operations_failed"),
  add("operations_cached"),
  `avg_duration_ms = CASE WHEN t.operations_total + EXCLUDED.operations_total = 0 THEN NULL ELSE
     (coalesce(t.avg_duration_ms, 0) * t.operations_total + coalesce(EXCLUDED.avg_duration_ms, 0) * EXCLUDED.operations_total)
     / (t.operations_total + EXCLUDED.operations_total) END`,
  "min_duration_ms = LEAST(t.min_duration_ms, EXCLUDED.min_duration_ms)",
  "max_duration_ms = GREATEST(t.max_duration_ms, EXCLUDED.max_duration_ms)",
  addNullable("ssh_connections_created"),
  addNullable("ssh_connections_reused"),
  add("commands_executed"),
  `cache_hit_ratio = CASE WHEN t.operations_total + EXCLUDED.operations_total = 0 THEN NULL ELSE
     (t.operations_cached + EXCLUDED.operations_cached)::double precision / (t.operations_total + EXCLUDED.operations_total) END`,
  "cache_entries = coalesce(EXCLUDED.cache_entries, t.cache_entries)",
  "cache_bytes = coalesce(EXCLUDED.cache_bytes, t.cache_bytes)",
  addNullable("cache_evictions"),
  add("bytes_collected"),
  add("db_writes"),
  `error_types = (SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb) FROM (
     SELECT k, sum(v::bigint) AS n FROM (
       SELECT key AS k, value AS v FROM jsonb_each_text(t.error_types)
       UNION ALL SELECT key, value FROM jsonb_each_text(EXCLUDED.error_types)) e
     GROUP BY k) s)`,
].join(", ")

const cacheUpdates = cacheColumns.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(", ")

/** In batches of writeBatch rows, one statement each; returns rows written. */
const inBatches = <T>(
  rows: ReadonlyArray<T>,
  write: (batch: ReadonlyArray<T>) => Effect.Effect<unknown, StoreError>,
): Effect.Effect<number, StoreError> =>
  Effect.gen(function* () {
    let written = 0
    for (let i = 0; i < rows.length; i += writeBatch) {
      const batch = rows.slice(i, i + writeBatch)
      yield* write(batch)
      written += batch.length
    }
    return written
  })

export const makeMetricsRepo = (sql: Sql): MetricsRepo => ({
  addRollups: Effect.fn("Store.addRollups")((rows: ReadonlyArray<RollupRow>) =>
    inBatches(rows, (batch) => {
      const params: Array<unknown> = []
      const tuples = valuesTuples(
        batch.map((r) => rollupColumns.map((c) => (c === "error_types" ? JSON.stringify(r[c]) : r[c]))),
        params,
        (j) => (rollupColumns[j] === "error_types" ? "jsonb" : undefined),
      )
      return sql.run(
        "addRollups",
        `INSERT INTO service_performance_metrics AS t (${rollupColumns.join(", ")}) VALUES ${tuples}
         ON CONFLICT (time, method) DO UPDATE SET ${rollupUpdates}`,
        params,
      )
    })
  ),

  performanceRows: (q) => {
    const params: Array<unknown> = [q.from, q.to]
    const where = ["time >= $1", "time <= $2"]
    if (q.method !== undefined) where.push(`method = $${params.push(q.method)}`)
    return sql.rows(
      "performanceRows",
      `SELECT * FROM service_performance_metrics WHERE ${where.join(" AND ")}
       ORDER BY time DESC, method LIMIT $${params.push(q.limit)}`,
      params,
    )
  },

  upsertCacheMetadata: Effect.fn("Store.upsertCacheMetadata")((rows: ReadonlyArray<CacheMetadataRow>) =>
    inBatches(rows, (batch) => {
      const params: Array<unknown> = []
      const tuples = valuesTuples(batch.map((r) => cacheColumns.map((c) => r[c])), params)
      return sql.run(
        "upsertCacheMetadata",
        `INSERT INTO cache_metadata (${cacheColumns.join(", ")}) VALUES ${tuples}
         ON CONFLICT (cache_key) DO UPDATE SET ${cacheUpdates}`,
        params,
      )
    })
  ),

  invalidateCacheMetadata: (scope, reason, at) => {
    const params: Array<unknown> = [at, reason]
    const where = ["invalidated_at IS NULL"]
    if (scope.device !== undefined) where.push(`device = $${params.push(scope.device)}`)
    if (scope.dataType !== undefined) where.push(`data_type = $${params.push(scope.dataType)}`)
    return Effect.asVoid(
      sql.run(
        "invalidateCacheMetadata",
        `UPDATE cache_metadata SET invalidated_at = $1, invalidation_reason = $2, updated_at = $1 WHERE ${
          where.join(" AND ")
        }`,
        params,
      ),
    )
  },
})

import { Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"
import { type Bucket, bucketValues, rollupColumns } from "./rollup.ts"
import { writeBatch } from "./sql.ts"

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
const updates = [
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
]

/** Add buckets into service_performance_metrics; returns rows written. */
export const writeRollups = (store: StoreShape, buckets: ReadonlyArray<Bucket>): Effect.Effect<number, StoreError> =>
  Effect.gen(function* () {
    let written = 0
    for (let i = 0; i < buckets.length; i += writeBatch) {
      const batch = buckets.slice(i, i + writeBatch)
      const params: Array<unknown> = []
      const tuples = batch.map((b) =>
        `(${
          bucketValues(b).map((v, j) => {
            const n = params.push(v)
            return rollupColumns[j] === "error_types" ? `$${n}::jsonb` : `$${n}`
          }).join(", ")
        })`
      )
      yield* store.query(
        `INSERT INTO service_performance_metrics AS t (${rollupColumns.join(", ")}) VALUES ${tuples.join(", ")}
         ON CONFLICT (time, method) DO UPDATE SET ${updates.join(", ")}`,
        params,
      )
      written += batch.length
    }
    return written
  })

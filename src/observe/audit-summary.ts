import { Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"
import { Store } from "../store/Store.ts"

/** Per data type over a window: how often, how fast, how often from cache, how often failing. */
const summaryQuery = `SELECT data_type, count(*) AS calls,
    sum(CASE WHEN cache_hit THEN 1 ELSE 0 END) AS cache_hits,
    sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
    avg(duration_ms) AS avg_ms, max(duration_ms) AS max_ms,
    avg(CASE WHEN cache_hit THEN NULL ELSE duration_ms END) AS avg_uncached_ms
  FROM data_collection_audit WHERE time >= $1 GROUP BY data_type ORDER BY calls DESC`

const round = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10)

export interface AuditSummaryRow {
  readonly data_type: string
  readonly calls: number
  readonly cache_hits: number
  readonly errors: number
  readonly avg_ms: number | null
  readonly max_ms: number | null
  readonly avg_uncached_ms: number | null
}

/** The audit log since `from`, summarised per data type. */
export const auditSummary = (from: Date): Effect.Effect<Array<AuditSummaryRow>, StoreError, Store> =>
  Effect.map(
    Store.use((s) => s.query(summaryQuery, [from])),
    (rows) =>
      rows.map((r) => ({
        data_type: String(r["data_type"]),
        calls: Number(r["calls"]),
        cache_hits: Number(r["cache_hits"]),
        errors: Number(r["errors"]),
        avg_ms: round(r["avg_ms"]),
        max_ms: round(r["max_ms"]),
        avg_uncached_ms: round(r["avg_uncached_ms"]),
      })),
  )

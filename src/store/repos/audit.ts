import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import { makeGroupCommit } from "../group-commit.ts"
import { toStoreError } from "../errors.ts"
import { pgSafeText } from "../rows.ts"
import { clampLimit, type Row, type Sql } from "./sql.ts"

/** One audit row per pipeline call (hits, misses, refreshes and errors alike). */
export interface AuditEntry {
  readonly time: Date
  readonly deviceId: number | null
  readonly deviceName: string
  readonly operationId: string
  readonly dataType: string
  readonly method: "polling" | "api" | "mcp" | "watch" | "cli" | "library"
  readonly source: string
  readonly forceRefresh: boolean
  readonly cacheHit: boolean
  readonly durationMs: number
  readonly sshCommandCount: number
  readonly dataSizeBytes: number
  readonly status: "success" | "error" | "partial"
  readonly errorMessage: string | null
  readonly recordsCreated: number
  readonly freshnessThreshold: number
  /** API token that asked (its id, never the secret); null/absent for CLI, polling, open mode. */
  readonly tokenId?: string | null | undefined
}

export interface AuditFilter {
  readonly device?: string | undefined
  readonly dataType?: string | undefined
  readonly method?: string | undefined
  readonly status?: string | undefined
  readonly since?: Date | undefined
  /** Rows before this time (exclusive): with `since`, a window. */
  readonly until?: Date | undefined
  /** The API token that made the call. */
  readonly tokenId?: string | undefined
  readonly limit?: number | undefined
}

/** Per data type over a window: how often, how fast, how often from cache, how often failing. */
export interface AuditSummaryRow {
  readonly data_type: string
  readonly calls: number
  readonly cache_hits: number
  readonly errors: number
  readonly avg_ms: number | null
  readonly max_ms: number | null
  readonly avg_uncached_ms: number | null
}

/** data_collection_audit. The write buffer wraps every method. */
export interface AuditRepo {
  readonly insertAudit: (entry: AuditEntry) => Effect.Effect<void, StoreError>
  readonly queryAudit: (filter: AuditFilter) => Effect.Effect<Array<Row>, StoreError>
  /** The audit log since `from`, summarised per data type, busiest first. */
  readonly auditSummary: (from: Date) => Effect.Effect<Array<AuditSummaryRow>, StoreError>
  /** Time of the newest successful host read (not a cache hit) of a device's data type after `since`. */
  readonly lastHostRead: (
    deviceId: number,
    dataType: string,
    since: Date,
  ) => Effect.Effect<Date | undefined, StoreError>
}

const summaryQuery = `SELECT data_type, count(*) AS calls,
    sum(CASE WHEN cache_hit THEN 1 ELSE 0 END) AS cache_hits,
    sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
    avg(duration_ms) AS avg_ms, max(duration_ms) AS max_ms,
    avg(CASE WHEN cache_hit THEN NULL ELSE duration_ms END) AS avg_uncached_ms
  FROM data_collection_audit WHERE time >= $1 GROUP BY data_type ORDER BY calls DESC`

const round = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10)

const auditColumns = 17
const auditValues = (e: AuditEntry): Array<unknown> =>
  [
    e.time,
    e.deviceId,
    e.deviceName,
    e.operationId,
    e.dataType,
    e.method,
    e.source,
    e.forceRefresh,
    e.cacheHit,
    e.durationMs,
    e.sshCommandCount,
    e.dataSizeBytes,
    e.status,
    e.errorMessage,
    e.recordsCreated,
    e.freshnessThreshold,
    e.tokenId ?? null,
  ].map((p) => (typeof p === "string" ? pgSafeText(p) : p))

export const makeAuditRepo = (sql: Sql): AuditRepo => {
  // Every API/MCP read writes an audit row: concurrent ones share one INSERT.
  const auditBatches = makeGroupCommit<AuditEntry>(async (entries) => {
    const params: Array<unknown> = []
    const tuples = entries.map((e) => {
      const start = params.length
      params.push(...auditValues(e))
      return `(${Array.from({ length: auditColumns }, (_, i) => `$${start + i + 1}`).join(", ")})`
    })
    await sql.client.query(
      `INSERT INTO data_collection_audit (time, device_id, device_name, operation_id, data_type, method, source,
         force_refresh, cache_hit, duration_ms, ssh_command_count, data_size_bytes, status, error_message,
         records_created, freshness_threshold, token_id)
       VALUES ${tuples.join(", ")}`,
      params,
    )
  })

  const insertAudit = (e: AuditEntry): Effect.Effect<void, StoreError> =>
    Effect.tryPromise({ try: () => auditBatches.add(e), catch: (err) => toStoreError("insertAudit", err) })

  const queryAudit = (f: AuditFilter): Effect.Effect<Array<Row>, StoreError> => {
    const params: Array<unknown> = []
    const where: Array<string> = []
    if (f.device !== undefined) where.push(`device_name = $${params.push(f.device)}`)
    if (f.dataType !== undefined) where.push(`data_type = $${params.push(f.dataType)}`)
    if (f.method !== undefined) where.push(`method = $${params.push(f.method)}`)
    if (f.status !== undefined) where.push(`status = $${params.push(f.status)}`)
    if (f.since !== undefined) where.push(`time >= $${params.push(f.since)}`)
    if (f.until !== undefined) where.push(`time < $${params.push(f.until)}`)
    if (f.tokenId !== undefined) where.push(`token_id = $${params.push(f.tokenId)}`)
    const text = `SELECT * FROM data_collection_audit ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY time DESC, id DESC LIMIT $${params.push(clampLimit(f.limit))}`
    return sql.rows("queryAudit", text, params)
  }

  const auditSummary = (from: Date) =>
    Effect.map(sql.rows("auditSummary", summaryQuery, [from]), (rows) =>
      rows.map((r): AuditSummaryRow => ({
        data_type: String(r["data_type"]),
        calls: Number(r["calls"]),
        cache_hits: Number(r["cache_hits"]),
        errors: Number(r["errors"]),
        avg_ms: round(r["avg_ms"]),
        max_ms: round(r["max_ms"]),
        avg_uncached_ms: round(r["avg_uncached_ms"]),
      })))

  const lastHostRead = (deviceId: number, dataType: string, since: Date) =>
    Effect.map(
      sql.rows<{ t: Date | string | null }>(
        "lastHostRead",
        `SELECT max(time) AS t FROM data_collection_audit
         WHERE device_id = $1 AND data_type = $2 AND status <> 'error' AND cache_hit = false AND time > $3`,
        [deviceId, dataType, since],
      ),
      (rows) => (rows[0]?.t == null ? undefined : new Date(rows[0].t)),
    )

  return { insertAudit, queryAudit, auditSummary, lastHostRead }
}

import { Effect } from "effect"
import { StoreError } from "../../domain/errors.ts"
import { toStoreError } from "../errors.ts"
import { toParam } from "../rows.ts"
import { badName, clampLimit, identifier, maxParams, type Row, type Sql } from "./sql.ts"

export interface HistoryQuery {
  readonly table: string
  readonly deviceId: number
  readonly from?: Date | undefined
  readonly to?: Date | undefined
  readonly limit?: number | undefined
}

/** Collected rows in the device-scoped time-series tables. The write buffer wraps every method. */
export interface SeriesRepo {
  /** Insert rows (column name → value; objects/arrays go to jsonb) into a time-series table, in one statement. */
  readonly insertRows: (
    table: string,
    rows: ReadonlyArray<Row>,
    options?: { readonly skipDuplicates?: boolean },
  ) => Effect.Effect<number, StoreError>
  /** Rows of a device-scoped time-series table in [from, to], newest first. */
  readonly history: (q: HistoryQuery) => Effect.Effect<Array<Row>, StoreError>
  /** Newest stored journal cursor of a device (system_logs), or null before the first read. */
  readonly latestLogCursor: (deviceId: number) => Effect.Effect<string | null, StoreError>
}

/**
 * Newest stored cursor of a device ($1 = device id). Insertion order (id), not entry time:
 * wall-clock time can step backwards, the order entries were read in cannot.
 */
export const latestCursorQuery =
  "SELECT cursor FROM system_logs WHERE device_id = $1 AND cursor IS NOT NULL ORDER BY id DESC LIMIT 1"

export const makeSeriesRepo = (sql: Sql): SeriesRepo => {
  const insertRows = (
    table: string,
    rows: ReadonlyArray<Row>,
    options: { readonly skipDuplicates?: boolean } = {},
  ): Effect.Effect<number, StoreError> => {
    if (!identifier.test(table)) return Effect.fail(badName("insertRows", "table", table))
    if (rows.length === 0) return Effect.succeed(0)
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    const bad = columns.find((c) => !identifier.test(c))
    if (bad !== undefined) return Effect.fail(badName("insertRows", "column", bad))
    if (columns.length === 0) {
      return Effect.fail(new StoreError({ op: "insertRows", message: "rows have no columns", unavailable: false }))
    }

    const statement = (batch: ReadonlyArray<Row>) => {
      const params: Array<unknown> = []
      // A key missing from a row means the column default, not NULL.
      const tuples = batch.map(
        (row) =>
          `(${columns.map((c) => (row[c] === undefined ? "DEFAULT" : `$${params.push(toParam(row[c]))}`)).join(", ")})`,
      )
      // Without a conflict target, DO NOTHING covers every unique index, partial ones included.
      const conflict = options.skipDuplicates === true ? " ON CONFLICT DO NOTHING" : ""
      return { text: `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}${conflict}`, params }
    }
    const perStatement = Math.max(1, Math.floor(maxParams / columns.length))
    if (rows.length <= perStatement) {
      const { text, params } = statement(rows)
      return Effect.map(sql.run("insertRows", text, params), (r) => r.count)
    }
    // Too many parameters for one statement: split, but keep it all-or-nothing.
    return Effect.tryPromise({
      try: () =>
        sql.client.transaction(async (tx) => {
          let total = 0
          for (let i = 0; i < rows.length; i += perStatement) {
            const { text, params } = statement(rows.slice(i, i + perStatement))
            total += (await tx.query(text, params)).count
          }
          return total
        }),
      catch: (e) => toStoreError("insertRows", e),
    })
  }

  const history = (q: HistoryQuery): Effect.Effect<Array<Row>, StoreError> => {
    if (!identifier.test(q.table)) return Effect.fail(badName("history", "table", q.table))
    const params: Array<unknown> = [q.deviceId]
    const where = ["device_id = $1"]
    if (q.from !== undefined) where.push(`time >= $${params.push(q.from)}`)
    if (q.to !== undefined) where.push(`time <= $${params.push(q.to)}`)
    const text = `SELECT * FROM ${q.table} WHERE ${where.join(" AND ")} ORDER BY time DESC LIMIT $${
      params.push(clampLimit(q.limit))
    }`
    return sql.rows("history", text, params)
  }

  const latestLogCursor = (deviceId: number) =>
    Effect.map(
      sql.rows<{ cursor: string }>("latestLogCursor", latestCursorQuery, [deviceId]),
      (rows) => rows[0]?.cursor ?? null,
    )

  return { insertRows, history, latestLogCursor }
}

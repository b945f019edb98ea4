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

/** The downsampled system_metrics series, in answer order (the chart contract of Data.series). */
export const SYSTEM_METRIC_SERIES = [
  "cpu_percent",
  "cpu_iowait_percent",
  "cpu_steal_percent",
  "mem_used_percent",
  "swap_used_percent",
  "load1",
  "load5",
  "load15",
  "disk_used_percent_max",
  "net_rx_bytes_per_second",
  "net_tx_bytes_per_second",
] as const

export type SystemMetricSeriesName = (typeof SYSTEM_METRIC_SERIES)[number]

export interface SeriesQuery {
  readonly deviceId: number
  /** Inclusive; also the origin of the buckets. */
  readonly from: Date
  /** Exclusive. */
  readonly to: Date
  /** Bucket width in seconds (at least 1). */
  readonly stepSeconds: number
}

/** Columnar buckets (uPlot's shape): one entry per bucket with rows, in every array. */
export interface ColumnarSeries<K extends string> {
  /** Unix seconds of each bucket's start, ascending. */
  readonly time: Array<number>
  readonly series: Record<K, Array<number | null>>
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
  /**
   * system_metrics of a device in [from, to), aggregated in SQL into buckets of stepSeconds from
   * `from` (date_bin): averages of the gauges, the max of disk_used_percent_max, network rates from
   * the counters. Only buckets with rows are returned.
   */
  readonly systemMetricSeries: (q: SeriesQuery) => Effect.Effect<ColumnarSeries<SystemMetricSeriesName>, StoreError>
  /** Newest stored journal cursor of a device (system_logs), or null before the first read. */
  readonly latestLogCursor: (deviceId: number) => Effect.Effect<string | null, StoreError>
}

/**
 * Newest stored cursor of a device ($1 = device id). Insertion order (id), not entry time:
 * wall-clock time can step backwards, the order entries were read in cannot.
 */
export const latestCursorQuery =
  "SELECT cursor FROM system_logs WHERE device_id = $1 AND cursor IS NOT NULL ORDER BY id DESC LIMIT 1"

const metricColumns =
  "id, time, cpu_percent, cpu_iowait_percent, cpu_steal_percent, mem_used_percent, swap_used_bytes, " +
  "swap_total_bytes, load1, load5, load15, disk_used_percent_max, net_rx_bytes, net_tx_bytes"

/**
 * $1 device id, $2 from, $3 to, $4 step seconds. The newest row before `from` joins the window
 * only so the first bucket's counter deltas have a predecessor. A counter rate per bucket is the
 * sum of the row-to-row increases over the seconds they cover; a decrease (a counter reset after
 * a reboot) counts neither its delta nor its seconds, so a bucket with only a reset is null, never
 * a negative spike.
 */
export const systemMetricSeriesQuery = `
WITH picked AS (
  (SELECT ${metricColumns} FROM system_metrics
    WHERE device_id = $1 AND time < $2::timestamptz ORDER BY time DESC, id DESC LIMIT 1)
  UNION ALL
  (SELECT ${metricColumns} FROM system_metrics
    WHERE device_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz)
), stepped AS (
  SELECT *,
    (net_rx_bytes - lag(net_rx_bytes) OVER w)::float8 AS rx_delta,
    (net_tx_bytes - lag(net_tx_bytes) OVER w)::float8 AS tx_delta,
    extract(epoch FROM time - lag(time) OVER w)::float8 AS dt
  FROM picked
  WINDOW w AS (ORDER BY time, id)
)
SELECT
  extract(epoch FROM date_bin(make_interval(secs => $4::float8), time, $2::timestamptz))::float8 AS bucket,
  avg(cpu_percent)::float8 AS cpu_percent,
  avg(cpu_iowait_percent)::float8 AS cpu_iowait_percent,
  avg(cpu_steal_percent)::float8 AS cpu_steal_percent,
  avg(mem_used_percent)::float8 AS mem_used_percent,
  avg(CASE WHEN swap_total_bytes > 0 THEN swap_used_bytes::float8 * 100 / swap_total_bytes END)::float8
    AS swap_used_percent,
  avg(load1)::float8 AS load1,
  avg(load5)::float8 AS load5,
  avg(load15)::float8 AS load15,
  max(disk_used_percent_max)::float8 AS disk_used_percent_max,
  (sum(rx_delta) FILTER (WHERE rx_delta >= 0 AND dt > 0)
    / nullif(sum(dt) FILTER (WHERE rx_delta >= 0 AND dt > 0), 0))::float8 AS net_rx_bytes_per_second,
  (sum(tx_delta) FILTER (WHERE tx_delta >= 0 AND dt > 0)
    / nullif(sum(dt) FILTER (WHERE tx_delta >= 0 AND dt > 0), 0))::float8 AS net_tx_bytes_per_second
FROM stepped
WHERE time >= $2::timestamptz
GROUP BY 1
ORDER BY 1`

/** Three decimals: enough for a chart, a third of the bytes of a full double. */
const chartValue = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : v === null || v === undefined ? Number.NaN : Number(v)
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null
}

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

  const systemMetricSeries = (q: SeriesQuery) => {
    if (!(Number.isFinite(q.stepSeconds) && q.stepSeconds >= 1)) {
      return Effect.fail(
        new StoreError({ op: "systemMetricSeries", message: "step must be at least 1 second", unavailable: false }),
      )
    }
    return Effect.map(
      sql.rows("systemMetricSeries", systemMetricSeriesQuery, [q.deviceId, q.from, q.to, q.stepSeconds]),
      (rows): ColumnarSeries<SystemMetricSeriesName> => ({
        time: rows.map((r) => Number(r["bucket"])),
        series: Object.fromEntries(
          SYSTEM_METRIC_SERIES.map((name) => [name, rows.map((r) => chartValue(r[name]))]),
        ) as Record<SystemMetricSeriesName, Array<number | null>>,
      }),
    )
  }

  return { insertRows, history, systemMetricSeries, latestLogCursor }
}

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
  "cpu_user_percent",
  "cpu_system_percent",
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

/** What a keyed series is split by, and the series each key has (in answer order). */
export const KEYED_SERIES = {
  /** system_metrics' data.disk.mounts (real filesystems only), by mountpoint: the newest reading per bucket. */
  mount: ["used_percent"],
  /** network_interfaces by interface (lo left out), rates from the counters. */
  interface: ["rx_bytes_per_second", "tx_bytes_per_second"],
  /** container_snapshots by container name. */
  container: ["cpu_percent", "mem_usage_bytes"],
} as const

export type SeriesKeyKind = keyof typeof KEYED_SERIES

export interface KeyedSeriesQuery extends SeriesQuery {
  readonly by: SeriesKeyKind
  /** Keys returned at most (the busiest or fullest first). */
  readonly maxKeys: number
}

/** One time axis for every key; each key's arrays are aligned with it (null where it had no row). */
export interface KeyedSeries {
  readonly time: Array<number>
  /** Distinct keys with rows in the range, including those cut by maxKeys. */
  readonly keysTotal: number
  readonly keys: Array<{ readonly key: string; readonly series: Record<string, Array<number | null>> }>
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
   * With `by`: a keyed series (KEYED_SERIES) of mounts, interfaces or containers, same buckets.
   */
  readonly systemMetricSeries: {
    (q: SeriesQuery): Effect.Effect<ColumnarSeries<SystemMetricSeriesName>, StoreError>
    (q: KeyedSeriesQuery): Effect.Effect<KeyedSeries, StoreError>
  }
  /** Newest stored journal cursor of a device (system_logs), or null before the first read. */
  readonly latestLogCursor: (deviceId: number) => Effect.Effect<string | null, StoreError>
}

/**
 * Newest stored cursor of a device ($1 = device id). Insertion order (id), not entry time:
 * wall-clock time can step backwards, the order entries were read in cannot.
 */
export const latestCursorQuery =
  "SELECT cursor FROM system_logs WHERE device_id = $1 AND cursor IS NOT NULL ORDER BY id DESC LIMIT 1"

/** A jsonb value as float8 when it is a JSON number, else null (never a cast error on odd data). */
const jsonNumber = (expr: string) => `(CASE WHEN jsonb_typeof(${expr}) = 'number' THEN (${expr})::float8 END)`

// User and system CPU: columns filled from data.cpu.total on insert (sql/096), not read from the
// jsonb here, which made a week's series about three times slower.
const metricColumns = "id, time, cpu_percent, cpu_user_percent AS cpu_user, cpu_system_percent AS cpu_system, " +
  "cpu_iowait_percent, cpu_steal_percent, mem_used_percent, swap_used_bytes, swap_total_bytes, " +
  "load1, load5, load15, disk_used_percent_max, net_rx_bytes, net_tx_bytes"

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
  avg(cpu_user)::float8 AS cpu_user_percent,
  avg(cpu_system)::float8 AS cpu_system_percent,
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

/** A counter's rate over the rows of a bucket, as in systemMetricSeriesQuery (a reset counts nothing). */
const counterRate = (delta: string) =>
  `(sum(${delta}) FILTER (WHERE ${delta} >= 0 AND dt > 0) / nullif(sum(dt) FILTER (WHERE ${delta} >= 0 AND dt > 0), 0))`

/**
 * Per kind: a `keyed` CTE of the window's rows (time, id, key and values), the two scores that
 * rank the keys (first by s1, then s2, then name) and the aggregates per bucket, named as in
 * KEYED_SERIES.
 */
const keyedParts: Record<SeriesKeyKind, { keyed: string; s1: string; s2: string; aggregates: string }> = {
  mount: {
    // Disk use moves slowly: the newest reading of each bucket stands for it, so only one row's
    // mounts per bucket are expanded from the jsonb (picked by id and time first, a narrow sort).
    keyed: `newest AS (
  SELECT DISTINCT ON (1) date_bin(make_interval(secs => $4::float8), time, $2::timestamptz), id, time
  FROM system_metrics
  WHERE device_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz
  ORDER BY 1, time DESC, id DESC
), keyed AS (
  SELECT s.time, s.id, m->>'mountpoint' AS key, ${jsonNumber("m->'used_percent'")} AS used
  FROM newest n
  JOIN system_metrics s ON s.device_id = $1 AND s.id = n.id AND s.time = n.time
  CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(s.data->'disk'->'mounts') = 'array' THEN s.data->'disk'->'mounts' ELSE '[]'::jsonb END
  ) AS m
  WHERE jsonb_typeof(m->'mountpoint') = 'string' AND (m->'pseudo') IS DISTINCT FROM 'true'::jsonb
)`,
    // The fullest now first.
    s1: "(array_agg(used ORDER BY time DESC, id DESC))[1]",
    s2: "max(used)",
    aggregates: "max(used)::float8 AS used_percent",
  },
  interface: {
    // Rows up to an hour (or a step) before `from` give the first bucket's deltas a predecessor.
    keyed: `picked AS (
  SELECT id, time, interface, rx_bytes, tx_bytes FROM network_interfaces
  WHERE device_id = $1 AND interface <> 'lo' AND time < $3::timestamptz
    AND time >= $2::timestamptz - make_interval(secs => greatest($4::float8, 3600))
), stepped AS (
  SELECT time, id, interface AS key,
    (rx_bytes - lag(rx_bytes) OVER w)::float8 AS rx_delta,
    (tx_bytes - lag(tx_bytes) OVER w)::float8 AS tx_delta,
    extract(epoch FROM time - lag(time) OVER w)::float8 AS dt
  FROM picked
  WINDOW w AS (PARTITION BY interface ORDER BY time, id)
), keyed AS (SELECT * FROM stepped WHERE time >= $2::timestamptz)`,
    // The most traffic in the range first.
    s1: "coalesce(sum(greatest(rx_delta, 0)), 0) + coalesce(sum(greatest(tx_delta, 0)), 0)",
    s2: "count(*)",
    aggregates: `${counterRate("rx_delta")}::float8 AS rx_bytes_per_second,
  ${counterRate("tx_delta")}::float8 AS tx_bytes_per_second`,
  },
  container: {
    keyed: `keyed AS (
  SELECT time, id, name AS key, cpu_percent, mem_usage_bytes::float8 AS mem
  FROM container_snapshots
  WHERE device_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz
)`,
    // The busiest over the range first, then the largest.
    s1: "avg(cpu_percent)",
    s2: "avg(mem)",
    aggregates: "avg(cpu_percent)::float8 AS cpu_percent, avg(mem)::float8 AS mem_usage_bytes",
  },
}

/**
 * $1 device id, $2 from, $3 to, $4 step seconds, $5 keys at most. One row per (bucket, key) with
 * rows, for the top keys only; each row also carries its key's rank and the count of all keys.
 */
export const keyedSeriesQuery = (by: SeriesKeyKind): string => {
  const p = keyedParts[by]
  return `
WITH ${p.keyed},
scores AS (SELECT key, (${p.s1})::float8 AS s1, (${p.s2})::float8 AS s2 FROM keyed GROUP BY key),
top AS (
  SELECT key, row_number() OVER (ORDER BY s1 DESC NULLS LAST, s2 DESC NULLS LAST, key) AS rank,
    count(*) OVER () AS keys_total
  FROM scores
)
SELECT top.rank, top.keys_total, top.key,
  extract(epoch FROM date_bin(make_interval(secs => $4::float8), keyed.time, $2::timestamptz))::float8 AS bucket,
  ${p.aggregates}
FROM keyed JOIN top USING (key)
WHERE top.rank <= $5
GROUP BY top.rank, top.keys_total, top.key, bucket
ORDER BY bucket, top.rank`
}

/** Rows of keyedSeriesQuery onto one time axis, keys in rank order. */
const pivot = (by: SeriesKeyKind, rows: ReadonlyArray<Row>): KeyedSeries => {
  const names = KEYED_SERIES[by]
  const time = [...new Set(rows.map((r) => Number(r["bucket"])))].sort((a, b) => a - b)
  const index = new Map(time.map((t, i) => [t, i]))
  const keys = new Map<string, { rank: number; series: Record<string, Array<number | null>> }>()
  for (const r of rows) {
    const key = String(r["key"])
    let entry = keys.get(key)
    if (entry === undefined) {
      entry = {
        rank: Number(r["rank"]),
        series: Object.fromEntries(names.map((n) => [n, time.map((): number | null => null)])),
      }
      keys.set(key, entry)
    }
    const at = index.get(Number(r["bucket"]))!
    for (const n of names) entry.series[n]![at] = chartValue(r[n])
  }
  return {
    time,
    keysTotal: rows.length === 0 ? 0 : Number(rows[0]!["keys_total"]),
    keys: [...keys].sort((a, b) => a[1].rank - b[1].rank).map(([key, e]) => ({ key, series: e.series })),
  }
}

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

  const systemMetricSeries = (
    q: SeriesQuery | KeyedSeriesQuery,
  ): Effect.Effect<ColumnarSeries<SystemMetricSeriesName> | KeyedSeries, StoreError> => {
    if (!(Number.isFinite(q.stepSeconds) && q.stepSeconds >= 1)) {
      return Effect.fail(
        new StoreError({ op: "systemMetricSeries", message: "step must be at least 1 second", unavailable: false }),
      )
    }
    if ("by" in q) {
      if (!Object.hasOwn(KEYED_SERIES, q.by)) return Effect.fail(badName("systemMetricSeries", "key kind", q.by))
      return Effect.map(
        sql.rows("keyedSeries", keyedSeriesQuery(q.by), [q.deviceId, q.from, q.to, q.stepSeconds, q.maxKeys]),
        (rows) => pivot(q.by, rows),
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

  return {
    insertRows,
    history,
    // The overloads' answer follows from the query's `by`, checked above.
    systemMetricSeries: systemMetricSeries as SeriesRepo["systemMetricSeries"],
    latestLogCursor,
  }
}

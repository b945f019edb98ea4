/** Pure summarising of system_metrics rows so a long history fits an agent's context window. */

export const METRIC_COLUMNS = [
  "cpu_percent",
  "cpu_iowait_percent",
  "mem_used_percent",
  "swap_used_bytes",
  "load1",
  "load5",
  "load15",
  "process_count",
  "disk_used_percent_max",
] as const

/** Rates derived from the cumulative network counters between consecutive samples. */
const RATE_COLUMNS = ["net_rx_bytes", "net_tx_bytes"] as const

export interface MetricStats {
  readonly min: number
  readonly avg: number
  readonly max: number
  readonly last: number
}

export interface MetricsSummary {
  readonly samples: number
  readonly first: string | null
  readonly last: string | null
  readonly metrics: Record<string, MetricStats>
  /** Bucket averages, oldest first; at most the requested number of points. */
  readonly points: ReadonlyArray<Record<string, number | string>>
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === "") return null
  const n = typeof v === "number" ? v : Number(v)
  return Number.isFinite(n) ? n : null
}

const round = (n: number): number => Math.round(n * 100) / 100

const timeOf = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime())

/** Rows in any order with `time` and metric columns → stats per metric + bucket-averaged points. */
export const summariseMetrics = (rows: ReadonlyArray<Record<string, unknown>>, maxPoints: number): MetricsSummary => {
  const sorted = rows
    .map((r) => ({ t: timeOf(r["time"]), r }))
    .filter((x) => Number.isFinite(x.t))
    .sort((a, b) => a.t - b.t)
  // One numeric series per metric, rates computed from counter deltas (a reset gives no sample).
  const series: Array<{ t: number; values: Record<string, number> }> = []
  let previous: { t: number; r: Record<string, unknown> } | undefined
  for (const x of sorted) {
    const values: Record<string, number> = {}
    for (const col of METRIC_COLUMNS) {
      const v = num(x.r[col])
      if (v !== null) values[col] = v
    }
    if (previous !== undefined && x.t > previous.t) {
      for (const col of RATE_COLUMNS) {
        const now = num(x.r[col])
        const before = num(previous.r[col])
        if (now !== null && before !== null && now >= before) {
          values[`${col}_per_sec`] = (now - before) / ((x.t - previous.t) / 1000)
        }
      }
    }
    series.push({ t: x.t, values })
    previous = x
  }
  const metrics: Record<string, MetricStats> = {}
  const acc: Record<string, { min: number; max: number; sum: number; n: number; last: number }> = {}
  for (const s of series) {
    for (const [k, v] of Object.entries(s.values)) {
      const a = acc[k] ?? { min: v, max: v, sum: 0, n: 0, last: v }
      a.min = Math.min(a.min, v)
      a.max = Math.max(a.max, v)
      a.sum += v
      a.n += 1
      a.last = v
      acc[k] = a
    }
  }
  for (const [k, a] of Object.entries(acc)) {
    metrics[k] = { min: round(a.min), avg: round(a.sum / a.n), max: round(a.max), last: round(a.last) }
  }
  const points: Array<Record<string, number | string>> = []
  const buckets = Math.max(1, Math.min(maxPoints, series.length))
  const first = series[0]
  const lastSample = series[series.length - 1]
  if (first !== undefined && lastSample !== undefined) {
    const span = Math.max(1, lastSample.t - first.t + 1)
    const grouped: Array<Array<(typeof series)[number]>> = Array.from({ length: buckets }, () => [])
    for (const s of series) grouped[Math.min(buckets - 1, Math.floor(((s.t - first.t) / span) * buckets))]!.push(s)
    for (const group of grouped) {
      if (group.length === 0) continue
      const point: Record<string, number | string> = {
        time: new Date(group.reduce((sum, s) => sum + s.t, 0) / group.length).toISOString(),
        samples: group.length,
      }
      const keys = new Set(group.flatMap((s) => Object.keys(s.values)))
      for (const k of keys) {
        const vs = group.map((s) => s.values[k]).filter((v): v is number => v !== undefined)
        point[k] = round(vs.reduce((a, b) => a + b, 0) / vs.length)
      }
      points.push(point)
    }
  }
  return {
    samples: series.length,
    first: first === undefined ? null : new Date(first.t).toISOString(),
    last: lastSample === undefined ? null : new Date(lastSample.t).toISOString(),
    metrics,
    points,
  }
}

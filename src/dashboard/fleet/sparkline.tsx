/** The fleet row's CPU sparkline: an inline SVG drawn on the server (no script, no inline style). */
import { Effect } from "effect"
import { Data } from "../../app/data.ts"

/** A downsampled CPU series: bucket start times (unix seconds) and values (null: no sample). */
export interface CpuSpark {
  readonly from: number
  readonly to: number
  readonly time: ReadonlyArray<number>
  readonly cpu: ReadonlyArray<number | null>
}

export const SPARK_POINTS = 60
const HOUR_S = 3600
const W = 96
const H = 20

/** The last hour of a device's CPU in SPARK_POINTS buckets (a store read); undefined if unreadable. */
export const cpuSpark = (device: string, now: number) =>
  Data.use((d) =>
    d.series(device, "system_metrics", {
      from: new Date(now - HOUR_S * 1000),
      to: new Date(now),
      points: SPARK_POINTS,
    })
  ).pipe(
    Effect.map((s): CpuSpark | undefined =>
      "series" in s
        ? { from: Date.parse(s.from) / 1000, to: Date.parse(s.to) / 1000, time: s.time, cpu: s.series.cpu_percent }
        : undefined
    ),
    Effect.orElseSucceed(() => undefined),
  )

/** Runs of consecutive buckets with a value, as polyline point lists (a gap breaks the line). */
export const sparkRuns = (spark: CpuSpark): Array<string> => {
  const span = Math.max(1, spark.to - spark.from)
  const step = span / SPARK_POINTS
  const runs: Array<string> = []
  let run: Array<string> = []
  let last = Number.NaN
  spark.time.forEach((t, i) => {
    const v = spark.cpu[i]
    if (v === null || v === undefined || t - last > step * 1.5) {
      if (run.length > 0) runs.push(run.join(" "))
      run = []
    }
    if (v === null || v === undefined) return
    last = t
    const x = ((t - spark.from + step / 2) / span) * W
    const y = H - (Math.min(100, Math.max(0, v)) / 100) * H
    run.push(`${x.toFixed(1)},${y.toFixed(1)}`)
  })
  if (run.length > 0) runs.push(run.join(" "))
  // A lone point still shows: a short flat tick.
  return runs.map((r) => (r.includes(" ") ? r : `${r} ${(Number(r.split(",")[0]) + 3).toFixed(1)},${r.split(",")[1]}`))
}

export const Sparkline = ({ device, spark }: { device: string; spark: CpuSpark | undefined }) => {
  const values = (spark?.cpu ?? []).filter((v): v is number => v !== null)
  if (spark === undefined || values.length === 0) {
    return <span class="muted small spark-none" data-spark="0">no CPU data in the last hour</span>
  }
  const label = `CPU of ${device} over the last hour: ${Math.round(Math.min(...values))} to ${
    Math.round(Math.max(...values))
  } %`
  return (
    <svg
      class="spark"
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
      data-spark={String(values.length)}
    >
      <title>{label}</title>
      <line class="spark-base" x1="0" y1={String(H)} x2={String(W)} y2={String(H)} />
      {sparkRuns(spark).map((points, i) => <polyline key={String(i)} points={points} />)}
    </svg>
  )
}

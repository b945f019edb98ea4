/** Prometheus text exposition format (version 0.0.4), written by hand: small and dependency-free. */

export type MetricType = "counter" | "gauge" | "histogram"

export interface Sample {
  /** Appended to the family name (histograms: "_bucket", "_sum", "_count"). */
  readonly suffix?: string
  readonly labels?: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  readonly help: string
  readonly type: MetricType
  readonly samples: ReadonlyArray<Sample>
}

export const contentType = "text/plain; version=0.0.4; charset=utf-8"

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** HELP text escapes backslash and newline. */
const escapeHelp = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** Label values also escape the double quote. */
export const escapeLabelValue = (s: string): string =>
  s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')

export const formatValue = (v: number): string =>
  Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v)

const formatLabels = (labels: Readonly<Record<string, string>> | undefined): string => {
  if (labels === undefined) return ""
  const keys = Object.keys(labels)
  if (keys.length === 0) return ""
  const parts = keys.map((k) => {
    if (!labelName.test(k)) throw new Error(`invalid Prometheus label name ${JSON.stringify(k)}`)
    return `${k}="${escapeLabelValue(labels[k] ?? "")}"`
  })
  return `{${parts.join(",")}}`
}

/** A family with one unlabelled sample. */
const single = (type: MetricType) => (name: string, help: string, value: number): Family => ({
  name,
  help,
  type,
  samples: [{ value }],
})
export const gauge = single("gauge")
export const counter = single("counter")

/** Families in order; a family with no samples still gets its HELP/TYPE lines. */
export const renderExposition = (families: ReadonlyArray<Family>): string => {
  const lines: Array<string> = []
  for (const f of families) {
    if (!metricName.test(f.name)) throw new Error(`invalid Prometheus metric name ${JSON.stringify(f.name)}`)
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`)
    lines.push(`# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ""}${formatLabels(s.labels)} ${formatValue(s.value)}`)
  }
  return lines.join("\n") + "\n"
}

/** Cumulative histogram keyed by a label set; bucket bounds in the metric's unit. */
export interface Histogram {
  readonly observe: (labels: Readonly<Record<string, string>>, value: number) => void
  readonly samples: () => Array<Sample>
}

export const makeHistogram = (bounds: ReadonlyArray<number>): Histogram => {
  const sorted = [...bounds].sort((a, b) => a - b)
  const series = new Map<
    string,
    { labels: Readonly<Record<string, string>>; counts: Array<number>; sum: number; count: number }
  >()
  return {
    observe: (labels, value) => {
      const key = labelKey(labels)
      let s = series.get(key)
      if (s === undefined) {
        s = { labels, counts: sorted.map(() => 0), sum: 0, count: 0 }
        series.set(key, s)
      }
      for (let i = 0; i < sorted.length; i++) if (value <= (sorted[i] as number)) s.counts[i] = (s.counts[i] ?? 0) + 1
      s.sum += value
      s.count++
    },
    samples: () =>
      [...series.values()].flatMap((s) => [
        ...sorted.map((le, i) => ({
          suffix: "_bucket",
          labels: { ...s.labels, le: formatValue(le) },
          value: s.counts[i] ?? 0,
        })),
        { suffix: "_bucket", labels: { ...s.labels, le: "+Inf" }, value: s.count },
        { suffix: "_sum", labels: s.labels, value: s.sum },
        { suffix: "_count", labels: s.labels, value: s.count },
      ]),
  }
}

/** Counters keyed by a label set. */
export interface LabeledCounter {
  readonly inc: (labels: Readonly<Record<string, string>>, by?: number) => void
  readonly samples: () => Array<Sample>
}

export const makeLabeledCounter = (): LabeledCounter => {
  const series = new Map<string, { labels: Readonly<Record<string, string>>; value: number }>()
  return {
    inc: (labels, by = 1) => {
      const key = labelKey(labels)
      const s = series.get(key)
      if (s === undefined) series.set(key, { labels, value: by })
      else s.value += by
    },
    samples: () => [...series.values()].map((s) => ({ labels: s.labels, value: s.value })),
  }
}

const labelKey = (labels: Readonly<Record<string, string>>): string =>
  JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]))

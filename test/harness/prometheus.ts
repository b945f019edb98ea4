/** A strict reader for Prometheus text exposition, to check what /metrics serves. */

export interface ParsedSample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}

export interface Exposition {
  readonly types: Map<string, string>
  readonly help: Map<string, string>
  readonly samples: Array<ParsedSample>
}

const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelRe = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/

const unescape = (s: string) => s.replace(/\\(\\|"|n)/g, (_, c: string) => (c === "n" ? "\n" : c))

const parseValue = (raw: string): number => {
  if (raw === "+Inf") return Infinity
  if (raw === "-Inf") return -Infinity
  if (raw === "NaN") return Number.NaN
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad sample value ${JSON.stringify(raw)}`)
  return Number(raw)
}

/** Which family a sample belongs to: histogram samples carry _bucket/_sum/_count. */
const familyOf = (name: string, types: Map<string, string>): string | undefined => {
  if (types.has(name)) return name
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length)
      if (types.get(base) === "histogram") return base
    }
  }
  return undefined
}

/** Throws on anything a Prometheus scraper would reject or misread. */
export const parseExposition = (text: string): Exposition => {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline")
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: Array<ParsedSample> = []
  const seen = new Set<string>()
  const lines = text.slice(0, -1).split("\n")
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${line}`
    if (line.startsWith("# HELP ")) {
      const [, name = "", ...rest] = line.slice(2).split(" ")
      if (!nameRe.test(name) || help.has(name)) throw new Error(`bad or repeated HELP, ${where}`)
      help.set(name, rest.join(" "))
      continue
    }
    if (line.startsWith("# TYPE ")) {
      const [, name = "", type = "", extra] = line.slice(2).split(" ")
      if (
        !nameRe.test(name) || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type) ||
        extra !== undefined
      ) {
        throw new Error(`bad TYPE, ${where}`)
      }
      if (types.has(name)) throw new Error(`repeated TYPE, ${where}`)
      types.set(name, type)
      continue
    }
    if (line.startsWith("#") || line === "") throw new Error(`unexpected line, ${where}`)
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]
    if (name === undefined) throw new Error(`bad metric name, ${where}`)
    let rest = line.slice(name.length)
    const labels: Record<string, string> = {}
    if (rest.startsWith("{")) {
      rest = rest.slice(1)
      while (!rest.startsWith("}")) {
        const m = labelRe.exec(rest)
        if (m === null) throw new Error(`bad label, ${where}`)
        const key = m[1] as string
        if (key in labels) throw new Error(`repeated label, ${where}`)
        labels[key] = unescape(m[2] as string)
        rest = rest.slice(m[0].length)
        if (rest.startsWith(",")) rest = rest.slice(1)
        else if (!rest.startsWith("}")) throw new Error(`bad label list, ${where}`)
      }
      rest = rest.slice(1)
    }
    if (!rest.startsWith(" ")) throw new Error(`missing value, ${where}`)
    const value = parseValue(rest.slice(1))
    const family = familyOf(name, types)
    if (family === undefined) throw new Error(`sample before its TYPE, ${where}`)
    if (types.get(family) === "counter" && !name.endsWith("_total")) throw new Error(`counter without _total, ${where}`)
    const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (seen.has(id)) throw new Error(`duplicate series, ${where}`)
    seen.add(id)
    samples.push({ name, labels, value })
  }
  for (const [name, type] of types) {
    if (type !== "histogram") continue
    const series = new Map<string, Array<[number, number]>>()
    for (const s of samples.filter((s) => s.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels
      if (le === undefined) throw new Error(`${name}_bucket without le`)
      const key = JSON.stringify(Object.entries(rest).sort())
      series.set(key, [...(series.get(key) ?? []), [parseValue(le), s.value]])
    }
    for (const [key, buckets] of series) {
      const sorted = buckets.sort((a, b) => a[0] - b[0])
      for (let i = 1; i < sorted.length; i++) {
        if ((sorted[i] as [number, number])[1] < (sorted[i - 1] as [number, number])[1]) {
          throw new Error(`${name} buckets are not cumulative for ${key}`)
        }
      }
      const inf = sorted.at(-1)
      if (inf === undefined || inf[0] !== Infinity) throw new Error(`${name} has no +Inf bucket for ${key}`)
      const count = samples.find((s) =>
        s.name === `${name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key
      )
      if (count?.value !== inf[1]) throw new Error(`${name}_count differs from the +Inf bucket for ${key}`)
    }
  }
  return { types, help, samples }
}

/** The value of the one sample with exactly these labels, or undefined. */
export const sampleValue = (e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined => {
  const want = JSON.stringify(Object.entries(labels).sort())
  return e.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value
}

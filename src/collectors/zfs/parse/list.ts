import type { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { bad, guard, numberedLines } from "./fail.ts"
import type { ZfsListVdev, ZfsPoolCapacity } from "./model.ts"
import { parsePercent, parseRatio, parseSize, splitColumns } from "./units.ts"
import { groupKind } from "./vdev.ts"

/** Columns the collection script asks for with `zpool list -Hp -o …` (no header is printed). */
export const ZPOOL_LIST_COLUMNS = [
  "name",
  "size",
  "alloc",
  "free",
  "frag",
  "cap",
  "dedup",
  "health",
  "altroot",
] as const

const COLUMN_ALIASES: Readonly<Record<string, string>> = {
  allocated: "alloc",
  capacity: "cap",
  fragmentation: "frag",
  checkpoint: "ckpoint",
  expandsize: "expandsz",
  dedupratio: "dedup",
}
const normalise = (column: string): string => {
  const c = column.toLowerCase()
  return COLUMN_ALIASES[c] ?? c
}

type Values = Readonly<Record<string, string>>

/** Typed readers for one column of a row; a missing column reads as null. */
const reader = (values: Values, at: string) => {
  const read = <A>(column: string, parse: (token: string, at: string) => A): A | null => {
    const v = values[column]
    return v === undefined ? null : parse(v, `${at} ${column.toUpperCase()}`)
  }
  return {
    size: (c: string) => read(c, parseSize),
    percent: (c: string) => read(c, parsePercent),
    ratio: (c: string) => read(c, parseRatio),
    text: (c: string) => read(c, (v) => (v === "-" ? null : v)),
  }
}

const poolRow = (values: Values, at: string): ZfsPoolCapacity => {
  const r = reader(values, at)
  return {
    name: values["name"] as string,
    health: r.text("health"),
    size_bytes: r.size("size"),
    alloc_bytes: r.size("alloc"),
    free_bytes: r.size("free"),
    checkpoint_bytes: r.size("ckpoint"),
    expand_size_bytes: r.size("expandsz"),
    fragmentation_percent: r.percent("frag"),
    capacity_percent: r.percent("cap"),
    dedup_ratio: r.ratio("dedup"),
    altroot: r.text("altroot"),
    vdevs: [],
  }
}

const vdevRow = (values: Values, depth: number, group: string | null, at: string): ZfsListVdev => {
  const r = reader(values, at)
  return {
    name: values["name"] as string,
    depth,
    group,
    size_bytes: r.size("size"),
    alloc_bytes: r.size("alloc"),
    free_bytes: r.size("free"),
    expand_size_bytes: r.size("expandsz"),
    fragmentation_percent: r.percent("frag"),
    capacity_percent: r.percent("cap"),
    health: r.text("health"),
  }
}

/**
 * `zpool list` in any of its forms: with a header (columns named by it) or `-H` (columns as
 * given, default the script's `-o` list), human or `-p` numbers, `-v` vdev rows (indented,
 * positional, possibly short) under `logs`/`cache`/… group rows.
 */
export const parseZpoolList = (
  text: string,
  columns: ReadonlyArray<string> = ZPOOL_LIST_COLUMNS,
): Result.Result<Array<ZfsPoolCapacity>, ParseError> =>
  guard("pools", () => {
    const lines = numberedLines(text).filter((l) => l.line.trim() !== "")
    if (lines.every((l) => /^no pools available$/.test(l.line.trim()))) return []
    let cols = columns.map(normalise)
    let body = lines
    const first = lines[0]
    if (first !== undefined && /^NAME\s/.test(first.line)) {
      cols = first.line.trim().split(/\s+/).map(normalise)
      body = lines.slice(1)
    }
    if (cols[0] !== "name") return bad(`first column must be NAME, got '${cols[0] ?? ""}'`, "header")
    const pools: Array<{ pool: ZfsPoolCapacity; vdevs: Array<ZfsListVdev> }> = []
    let group: string | null = null
    for (const { n, line } of body) {
      const at = `line ${n}`
      const tokens = splitColumns(line)
      const values: Record<string, string> = {}
      cols.forEach((c, i) => {
        const t = tokens[i]
        if (t !== undefined && t !== "") values[c] = t
      })
      const indent = (/^ */.exec(line) as RegExpExecArray)[0].length
      const name = tokens[0] as string
      const kind = groupKind(name)
      if (indent === 0 && kind !== undefined && tokens.slice(1).every((t) => t === "-" || t === "")) {
        group = kind
        continue
      }
      const current = pools[pools.length - 1]
      if (indent > 0) {
        if (current === undefined) return bad(`vdev row '${name}' before any pool row`, at)
        current.vdevs.push(vdevRow(values, Math.floor(indent / 2), group, at))
        continue
      }
      if (tokens.length !== cols.length) {
        return bad(`pool row '${name}' has ${tokens.length} fields, expected ${cols.length} (${cols.join(",")})`, at)
      }
      group = null
      pools.push({ pool: poolRow(values, at), vdevs: [] })
    }
    return pools.map(({ pool, vdevs }) => ({ ...pool, vdevs }))
  })

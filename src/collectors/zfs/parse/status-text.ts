import type { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseConfigTable } from "./config.ts"
import { bad, guard, numberedLines } from "./fail.ts"
import type { ZfsPoolStatus } from "./model.ts"
import { parseScanText } from "./scan.ts"
import { sumErrors } from "./vdev.ts"

type Line = { readonly n: number; readonly line: string }

/** Header keys of a pool block; `scrub:` is the illumos / legacy spelling of `scan:`. */
const KEY =
  /^\s*(pool|id|state|status|action|see|scan|scrub|remove|checkpoint|config|errors|comment|dedup):(?:\s(.*)|$)/

interface Field {
  readonly key: string
  readonly n: number
  readonly lines: Array<Line>
}

/** Group a pool block into its keyed fields; continuation lines belong to the field above. */
const fieldsOf = (block: ReadonlyArray<Line>): Array<Field> => {
  const fields: Array<Field> = []
  for (const l of block) {
    const m = KEY.exec(l.line)
    if (m !== null) {
      fields.push({ key: m[1] === "scrub" ? "scan" : (m[1] as string), n: l.n, lines: [{ n: l.n, line: m[2] ?? "" }] })
    } else {
      fields[fields.length - 1]?.lines.push(l)
    }
  }
  return fields
}

const textOf = (f: Field | undefined): string | null => {
  if (f === undefined) return null
  const text = f.lines.map((l) => l.line.trim()).filter((s) => s !== "").join(" ")
  return text === "" ? null : text
}

/** "No known data errors" → 0, "1 data errors, use '-v'…" → 1, a -v file list → its length. */
const dataErrorCount = (errors: ReadonlyArray<Field>): number | null => {
  const all = errors.flatMap((f) => f.lines.map((l) => l.line.trim())).filter((s) => s !== "")
  for (const s of all) {
    const m = /^(\d+) data errors?\b/.exec(s)
    if (m !== null) return Number(m[1])
  }
  if (all.some((s) => /^No known data errors/.test(s))) return 0
  const permanent = all.findIndex((s) => /^Permanent errors have been detected/.test(s))
  if (permanent >= 0) return all.length - permanent - 1
  return null
}

const poolFromBlock = (block: ReadonlyArray<Line>): ZfsPoolStatus => {
  const fields = fieldsOf(block)
  const get = (key: string): Field | undefined => fields.find((f) => f.key === key)
  const pool = get("pool")
  const name = textOf(pool) ?? bad("pool line without a name", `line ${pool?.n ?? block[0]?.n ?? 0}`)
  const state = textOf(get("state")) ?? bad(`pool '${name}': no 'state:' line`, `line ${pool?.n ?? 0}`)
  const scanField = get("scan")
  const config = get("config")
  const tree = config === undefined ? { root: null, groups: [] } : parseConfigTable(config.lines.slice(1))
  const errors = fields.filter((f) => f.key === "errors")
  const errorsText = errors.map(textOf).filter((s): s is string => s !== null).join("\n")
  return {
    name,
    state,
    status: textOf(get("status")),
    action: textOf(get("action")),
    see: textOf(get("see")),
    scan: scanField === undefined ? null : parseScanText(scanField.lines.map((l) => l.line).join("\n")),
    root: tree.root,
    groups: tree.groups,
    errors_text: errorsText === "" ? null : errorsText,
    data_errors: dataErrorCount(errors),
    totals: sumErrors(tree.root, tree.groups),
  }
}

/** A bare config table with no pool header (abbreviated examples): the root row names the pool. */
const poolFromTable = (lines: ReadonlyArray<Line>): ZfsPoolStatus => {
  const tree = parseConfigTable(lines)
  const root = tree.root ?? bad("config table without rows", "config")
  return {
    name: root.name,
    state: root.state,
    status: null,
    action: null,
    see: null,
    scan: null,
    root,
    groups: tree.groups,
    errors_text: null,
    data_errors: null,
    totals: sumErrors(root, tree.groups),
  }
}

const NO_POOLS = /^(no pools available|all pools are healthy)$/

/** `zpool status [-p] [-v] [-c …]` text, any number of pools, OpenZFS or illumos wording. */
export const parseZpoolStatus = (text: string): Result.Result<Array<ZfsPoolStatus>, ParseError> =>
  guard("status", () => {
    const lines = numberedLines(text)
    const starts = lines.flatMap((l, i) => (/^\s*pool:\s/.test(l.line) ? [i] : []))
    if (starts.length === 0) {
      const meaningful = lines.filter((l) => l.line.trim() !== "")
      if (meaningful.length === 0 || meaningful.every((l) => NO_POOLS.test(l.line.trim()))) return []
      if (meaningful.some((l) => /^\s*NAME\s+STATE\b/.test(l.line))) return [poolFromTable(lines)]
      return bad(
        `no 'pool:' line in zpool status output (starts with '${(meaningful[0] as Line).line.trim().slice(0, 60)}')`,
        `line ${(meaningful[0] as Line).n}`,
      )
    }
    return starts.map((start, i) => poolFromBlock(lines.slice(start, starts[i + 1] ?? lines.length)))
  })

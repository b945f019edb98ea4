import { bad } from "./fail.ts"
import type { ZfsVdev, ZfsVdevGroup } from "./model.ts"
import { isCountToken, parseCount } from "./units.ts"
import { groupKind, interiorType } from "./vdev.ts"

interface Row {
  readonly depth: number
  readonly name: string
  readonly state: string | null
  readonly read_errors: number | null
  readonly write_errors: number | null
  readonly cksum_errors: number | null
  readonly note: string | null
  readonly extra: Record<string, string>
  readonly bare: boolean
}

interface MutableVdev {
  name: string
  type: string
  state: string | null
  read_errors: number | null
  write_errors: number | null
  cksum_errors: number | null
  note: string | null
  extra: Record<string, string>
  children: Array<MutableVdev>
}

export interface ConfigTree {
  readonly root: ZfsVdev | null
  readonly groups: ReadonlyArray<ZfsVdevGroup>
}

const leadingWidth = (line: string): number => (/^\s*/.exec(line) as RegExpExecArray)[0].length

/** Column starts of the `-c` script columns (vendor, model, size …) named after CKSUM in the header. */
const extraColumns = (header: string): Array<{ readonly name: string; readonly start: number }> => {
  const out: Array<{ name: string; start: number }> = []
  const re = /\S+/g
  let afterCksum = false
  for (const m of header.matchAll(re)) {
    if (afterCksum) out.push({ name: m[0], start: m.index })
    if (m[0] === "CKSUM") afterCksum = true
  }
  return out
}

const parseRow = (
  line: string,
  baseIndent: number,
  extras: ReadonlyArray<{ readonly name: string; readonly start: number }>,
  at: string,
): Row => {
  const depth = Math.max(0, Math.floor((leadingWidth(line) - baseIndent) / 2))
  // Five leading fields (NAME STATE READ WRITE CKSUM), then free text and/or -c columns.
  const full = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(line)
  const tokens = line.trim().split(/\s+/)
  const name = tokens[0] as string
  const extra: Record<string, string> = {}
  if (full !== null && isCountToken(full[3]) && isCountToken(full[4]) && isCountToken(full[5])) {
    const end = full[0].length
    const firstExtra = extras[0]?.start ?? line.length
    extras.forEach((col, i) => {
      const value = line.slice(Math.max(col.start, end), extras[i + 1]?.start ?? line.length).trim()
      if (value !== "") extra[col.name] = value
    })
    const note = line.slice(end, Math.max(end, firstExtra)).trim()
    return {
      depth,
      name,
      state: full[2] as string,
      read_errors: parseCount(full[3] as string, at),
      write_errors: parseCount(full[4] as string, at),
      cksum_errors: parseCount(full[5] as string, at),
      note: note === "" ? null : note,
      extra,
      bare: false,
    }
  }
  // Spares ("sdc  AVAIL", "sdd  INUSE  currently in use") and group labels carry no counters.
  const rest = tokens.slice(2).join(" ")
  return {
    depth,
    name,
    state: tokens[1] ?? null,
    read_errors: null,
    write_errors: null,
    cksum_errors: null,
    note: rest === "" ? null : rest,
    extra,
    bare: tokens.length === 1,
  }
}

const toVdev = (row: Row, type: string): MutableVdev => ({
  name: row.name,
  type,
  state: row.state,
  read_errors: row.read_errors,
  write_errors: row.write_errors,
  cksum_errors: row.cksum_errors,
  note: row.note,
  extra: row.extra,
  children: [],
})

/**
 * The `config:` table of one pool: indentation gives the tree. Abbreviated listings that
 * lost their indentation (the `-c` man-page example) are rebuilt from vdev names instead.
 */
export const parseConfigTable = (lines: ReadonlyArray<{ readonly n: number; readonly line: string }>): ConfigTree => {
  const headerIndex = lines.findIndex((l) => /^\s*NAME\s+STATE\b/.test(l.line))
  if (headerIndex < 0) {
    const first = lines.find((l) => l.line.trim() !== "")
    return first === undefined
      ? { root: null, groups: [] }
      : bad("config table has no NAME/STATE header", `line ${first.n}`)
  }
  const header = lines[headerIndex] as { n: number; line: string }
  const baseIndent = leadingWidth(header.line)
  const extras = extraColumns(header.line)
  const rows = lines
    .slice(headerIndex + 1)
    .filter((l) => l.line.trim() !== "")
    .map((l) => parseRow(l.line, baseIndent, extras, `line ${l.n}`))
  const first = rows[0]
  if (first === undefined) return { root: null, groups: [] }

  const root = toVdev(first, "root")
  const groups: Array<{ kind: string; vdevs: Array<MutableVdev> }> = []
  const flat = rows.length > 1 && rows.every((r) => r.depth === 0)
  // Stack of open nodes; `into` receives depth-0/1 rows of the current section (root or a group).
  let into: Array<MutableVdev> = root.children
  let stack: Array<{ depth: number; node: MutableVdev }> = [{ depth: 0, node: root }]
  let flatParent: MutableVdev | null = null

  for (const row of rows.slice(1)) {
    const kind = row.depth === 0 && row.bare ? groupKind(row.name) : undefined
    if (kind !== undefined) {
      const group = { kind, vdevs: [] as Array<MutableVdev> }
      groups.push(group)
      into = group.vdevs
      stack = []
      flatParent = null
      continue
    }
    const node = toVdev(row, interiorType(row.name) ?? "disk")
    if (flat) {
      // No indentation to go by: interior vdevs open a level, everything else is a leaf.
      if (node.type !== "disk") {
        into.push(node)
        flatParent = node
      } else {
        ;(flatParent?.children ?? into).push(node)
      }
      continue
    }
    while (stack.length > 0 && (stack[stack.length - 1] as { depth: number }).depth >= row.depth) stack.pop()
    const parent = stack[stack.length - 1]
    if (parent === undefined) into.push(node)
    else parent.node.children.push(node)
    stack.push({ depth: row.depth, node })
  }
  return { root, groups }
}

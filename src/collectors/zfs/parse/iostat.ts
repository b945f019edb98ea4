import type { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { bad, guard, numberedLines } from "./fail.ts"
import type { ZfsIostatPool, ZfsIostatVdev } from "./model.ts"
import { parseSize, splitColumns } from "./units.ts"
import { groupKind } from "./vdev.ts"

/** The fixed columns of `zpool iostat`; anything after them comes from `-c` scripts. */
const STANDARD = 7

const statsOf = (tokens: ReadonlyArray<string>, extraNames: ReadonlyArray<string>, at: string) => {
  const size = (i: number, what: string): number | null => {
    const t = tokens[i]
    return t === undefined ? null : parseSize(t, `${at} ${what}`)
  }
  const extra: Record<string, string> = {}
  extraNames.forEach((name, i) => {
    const v = tokens[STANDARD + i]
    if (v !== undefined) extra[name] = v
  })
  return {
    name: tokens[0] as string,
    alloc_bytes: size(1, "alloc"),
    free_bytes: size(2, "free"),
    read_ops: size(3, "read operations"),
    write_ops: size(4, "write operations"),
    read_bytes_per_sec: size(5, "read bandwidth"),
    write_bytes_per_sec: size(6, "write bandwidth"),
    extra,
  }
}

/**
 * `zpool iostat [-v] [-p] [-H] [-c …]`: pools at column 0, vdevs indented beneath them,
 * separator lines of dashes, a two-line header unless -H. Repeated samples are appended.
 */
export const parseZpoolIostat = (text: string): Result.Result<Array<ZfsIostatPool>, ParseError> =>
  guard("iostat", () => {
    const pools: Array<{ pool: ReturnType<typeof statsOf>; vdevs: Array<ZfsIostatVdev> }> = []
    let extraNames: Array<string> = []
    let group: string | null = null
    let sawHeader = false
    for (const { n, line } of numberedLines(text)) {
      const at = `line ${n}`
      const trimmed = line.trim()
      if (trimmed === "" || /^-+(\s+-+)*$/.test(trimmed)) continue
      if (/^capacity\s+operations\s+bandwidth/.test(trimmed)) {
        sawHeader = true
        continue
      }
      if (/^pool\s+alloc\s+free\s+read\s+write\s+read\s+write/.test(trimmed)) {
        sawHeader = true
        extraNames = trimmed.split(/\s+/).slice(STANDARD)
        continue
      }
      const tokens = splitColumns(line)
      const name = tokens[0] as string
      const indent = (/^\s*/.exec(line) as RegExpExecArray)[0].length
      const kind = groupKind(name)
      if (indent === 0 && kind !== undefined && tokens.slice(1).every((t) => t === "-")) {
        group = kind
        continue
      }
      if (tokens.length < STANDARD) {
        return bad(`row '${name}' has ${tokens.length} fields, expected at least ${STANDARD}`, at)
      }
      const stats = statsOf(tokens, extraNames, at)
      if (indent === 0) {
        group = null
        pools.push({ pool: stats, vdevs: [] })
        continue
      }
      const current = pools[pools.length - 1]
      if (current === undefined) return bad(`vdev row '${name}' before any pool row`, at)
      current.vdevs.push({ ...stats, depth: Math.floor(indent / 2), group })
    }
    if (pools.length === 0 && !sawHeader && text.trim() !== "") {
      return bad("no zpool iostat rows or header found", "iostat")
    }
    return pools.map(({ pool, vdevs }) => ({ ...pool, vdevs }))
  })

import type { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { bad, guard, numberedLines } from "./fail.ts"
import type { ZfsDataset, ZfsSnapshot } from "./model.ts"
import { epochToIso, parseCtime, parseRatio, parseSize, splitColumns } from "./units.ts"

/** Columns the collection script asks for (`zfs list -Hp -o …`). */
export const DATASET_COLUMNS = ["name", "used", "avail", "refer", "mountpoint", "compressratio", "type"] as const
export const SNAPSHOT_COLUMNS = ["name", "used", "refer", "creation"] as const

const ALIASES: Readonly<Record<string, string>> = {
  available: "avail",
  referenced: "refer",
  usedbysnapshots: "usedsnap",
  ratio: "compressratio",
}

/** Rows of `zfs list -H` as column → value maps; the field count must match the columns asked for. */
const rowsOf = (text: string, columns: ReadonlyArray<string>, what: string) => {
  const cols = columns.map((c) => ALIASES[c.toLowerCase()] ?? c.toLowerCase())
  if (cols[0] !== "name") return bad(`first column must be name, got '${cols[0] ?? ""}'`, what)
  const rows: Array<{ at: string; values: Record<string, string> }> = []
  for (const { n, line } of numberedLines(text)) {
    if (line.trim() === "" || /^no datasets available$/.test(line.trim())) continue
    const at = `${what} line ${n}`
    const tokens = splitColumns(line)
    if (tokens.length !== cols.length) {
      return bad(`${tokens.length} fields where ${cols.length} were expected (${cols.join(",")})`, at)
    }
    const values: Record<string, string> = {}
    cols.forEach((c, i) => (values[c] = tokens[i] as string))
    rows.push({ at, values })
  }
  return rows
}

const sizeOf = (values: Record<string, string>, column: string, at: string): number | null => {
  const v = values[column]
  return v === undefined ? null : parseSize(v, `${at} ${column}`)
}

/** `zfs list -Hp -t filesystem,volume -o <columns>` (also `usedsnap`, the usedbysnapshots alias). */
export const parseZfsDatasetList = (
  text: string,
  columns: ReadonlyArray<string> = DATASET_COLUMNS,
): Result.Result<Array<ZfsDataset>, ParseError> =>
  guard("datasets", () =>
    rowsOf(text, columns, "datasets").map(({ at, values }) => {
      const text = (c: string): string | null => {
        const v = values[c]
        return v === undefined || v === "-" ? null : v
      }
      const ratio = values["compressratio"]
      return {
        name: values["name"] as string,
        type: text("type"),
        used_bytes: sizeOf(values, "used", at),
        avail_bytes: sizeOf(values, "avail", at),
        refer_bytes: sizeOf(values, "refer", at),
        used_by_snapshots_bytes: sizeOf(values, "usedsnap", at),
        mountpoint: text("mountpoint"),
        compress_ratio: ratio === undefined ? null : parseRatio(ratio, `${at} compressratio`),
      }
    }))

/** `creation` is Unix seconds with -p; a ctime-like date without it; "-" when unknown. */
const creationOf = (value: string | undefined): string | null => {
  if (value === undefined || value === "-") return null
  return /^\d+$/.test(value) ? epochToIso(Number(value)) : parseCtime(value)
}

/** `zfs list -Hp -t snapshot -o <columns>`: every name must be dataset@snapshot. */
export const parseZfsSnapshotList = (
  text: string,
  columns: ReadonlyArray<string> = SNAPSHOT_COLUMNS,
): Result.Result<Array<ZfsSnapshot>, ParseError> =>
  guard("snapshots", () =>
    rowsOf(text, columns, "snapshots").map(({ at, values }) => {
      const name = values["name"] as string
      const atSign = name.indexOf("@")
      if (atSign <= 0 || atSign === name.length - 1) {
        return bad(`'${name}' is not a snapshot name (dataset@snapshot)`, at)
      }
      return {
        dataset: name.slice(0, atSign),
        snapshot: name.slice(atSign + 1),
        used_bytes: sizeOf(values, "used", at),
        refer_bytes: sizeOf(values, "refer", at),
        created_at: creationOf(values["creation"]),
      }
    }))

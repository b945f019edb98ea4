import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

/**
 * Docker's table output (Go tabwriter, padding ≥ 3): a header of column titles separated by
 * two or more spaces; every cell starts at its title's column. Titles themselves may contain
 * single spaces ("CONTAINER ID", "MEM USAGE / LIMIT").
 */
export interface Table {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Readonly<Record<string, string>>>
}

export const parseFixedWidthTable = (
  text: string,
  expected: ReadonlyArray<string>,
  dataType: string,
  at: string,
): Result.Result<Table, ParseError> => {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "")
  const header = lines[0]
  if (header === undefined) return Result.succeed({ columns: [], rows: [] })
  const starts: Array<{ title: string; start: number }> = []
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ title: m[0], start: m.index ?? 0 })
  const columns = starts.map((s) => s.title)
  const missing = expected.filter((c) => !columns.includes(c))
  if (missing.length > 0) {
    return Result.fail(
      new ParseError({ dataType, message: `table header lacks column(s) ${missing.join(", ")}`, at: `${at} line 1` }),
    )
  }
  const rows: Array<Record<string, string>> = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    const row: Record<string, string> = {}
    for (let c = 0; c < starts.length; c++) {
      const { title, start } = starts[c] as { title: string; start: number }
      const end = starts[c + 1]?.start ?? line.length
      row[title] = line.slice(start, Math.max(start, end)).trim()
    }
    // A cell boundary inside a word means the row is shifted; refuse rather than mis-assign values.
    const first = starts[0]?.start ?? 0
    const shifted = starts.some(({ start }) => start > 0 && start < line.length && line[start - 1] !== " ")
    if (shifted || line.slice(0, first).trim() !== "" || (row[columns[0] as string] ?? "") === "") {
      return Result.fail(
        new ParseError({ dataType, message: "table row does not align with the header", at: `${at} line ${i + 1}` }),
      )
    }
    rows.push(row)
  }
  return Result.succeed({ columns, rows })
}

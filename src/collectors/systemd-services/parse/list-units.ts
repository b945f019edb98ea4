import { Result, Schema } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseJson, sdFail, STATE_WORD, tableRows, UNIT_NAME } from "./fail.ts"
import type { ListedUnit } from "./schema.ts"

/**
 * Text `systemctl list-units` (with or without header/legend, `--plain` or `●`-marked rows).
 * The legend follows a blank line, so the first blank line after the rows ends the table.
 */
export const parseListUnitsText = (text: string, at = "list-units"): Result.Result<Array<ListedUnit>, ParseError> => {
  const out: Array<ListedUnit> = []
  for (const { line, n } of tableRows(text, /^UNIT\s+LOAD\s+ACTIVE\s+SUB\b/, /^\d+ loaded units listed/)) {
    // `●` (or `*` in a non-UTF-8 locale) marks units that are failed or not found.
    const t = line.replace(/^[●*]\s*/, "").split(/\s+/)
    const [name, load, active, sub] = t
    if (
      name === undefined || !UNIT_NAME.test(name) ||
      [load, active, sub].some((s) => s === undefined || !STATE_WORD.test(s))
    ) {
      return sdFail(
        `expected 'UNIT LOAD ACTIVE SUB DESCRIPTION', got ${JSON.stringify(line.slice(0, 100))}`,
        `${at}:${n}`,
      )
    }
    out.push({
      name,
      load_state: load as string,
      active_state: active as string,
      sub_state: sub as string,
      description: t.slice(4).join(" "),
    })
  }
  return Result.succeed(out)
}

const JsonRow = Schema.Struct({
  unit: Schema.String,
  load: Schema.String,
  active: Schema.String,
  sub: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
})
const decodeRows = Schema.decodeUnknownResult(Schema.Array(JsonRow))

/** `systemctl list-units --output=json` (systemd ≥ 246). */
export const parseListUnitsJson = (text: string, at = "list-units"): Result.Result<Array<ListedUnit>, ParseError> =>
  Result.flatMap(parseJson(text, at), (json) => {
    const rows = decodeRows(json)
    if (Result.isFailure(rows)) return sdFail(`unexpected list-units JSON shape: ${rows.failure.message}`, at)
    return Result.succeed(
      rows.success.map((r) => ({
        name: r.unit,
        load_state: r.load,
        active_state: r.active,
        sub_state: r.sub,
        description: r.description ?? "",
      })),
    )
  })

export const isJsonArray = (text: string): boolean => text.trimStart().startsWith("[")

/** JSON when the body is a JSON array, the text table otherwise. */
export const parseListUnits = (text: string, at = "list-units"): Result.Result<Array<ListedUnit>, ParseError> =>
  isJsonArray(text) ? parseListUnitsJson(text, at) : parseListUnitsText(text, at)

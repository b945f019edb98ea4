import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { sdFail, STATE_WORD, tableRows, UNIT_NAME } from "./fail.ts"
import type { UnitFileEntry } from "./schema.ts"

/** `systemctl list-unit-files`: `UNIT FILE  STATE  [VENDOR PRESET]`, legend after a blank line. */
export const parseListUnitFiles = (
  text: string,
  at = "unit-files",
): Result.Result<Array<UnitFileEntry>, ParseError> => {
  const out: Array<UnitFileEntry> = []
  for (const { line, n } of tableRows(text, /^UNIT FILE\s+STATE\b/, /^\d+ unit files listed/)) {
    const [name, state, preset] = line.split(/\s+/)
    if (name === undefined || !UNIT_NAME.test(name) || state === undefined || !STATE_WORD.test(state)) {
      return sdFail(`expected 'UNIT FILE STATE [PRESET]', got ${JSON.stringify(line.slice(0, 100))}`, `${at}:${n}`)
    }
    out.push({ name, state, preset: preset ?? null })
  }
  return Result.succeed(out)
}

import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { sdFail, STATE_WORD, UNIT_NAME } from "./fail.ts"
import type { UnitFileEntry } from "./schema.ts"

/** `systemctl list-unit-files`: `UNIT FILE  STATE  [VENDOR PRESET]`, legend after a blank line. */
export const parseListUnitFiles = (
  text: string,
  at = "unit-files",
): Result.Result<Array<UnitFileEntry>, ParseError> => {
  const out: Array<UnitFileEntry> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "") {
      if (out.length > 0) break
      continue
    }
    if (/^UNIT FILE\s+STATE\b/.test(line)) continue
    if (/^\d+ unit files listed/.test(line)) break
    const [name, state, preset] = line.split(/\s+/)
    if (name === undefined || !UNIT_NAME.test(name) || state === undefined || !STATE_WORD.test(state)) {
      return sdFail(`expected 'UNIT FILE STATE [PRESET]', got ${JSON.stringify(line.slice(0, 100))}`, `${at}:${i + 1}`)
    }
    out.push({ name, state, preset: preset ?? null })
  }
  return Result.succeed(out)
}

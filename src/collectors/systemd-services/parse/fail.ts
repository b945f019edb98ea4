import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export const SYSTEMD_TYPE = "systemd_services"

export const sdFail = <A = never>(message: string, at?: string): Result.Result<A, ParseError> =>
  Result.fail(new ParseError({ dataType: SYSTEMD_TYPE, message, at }))

/** JSON.parse without throwing. */
export const parseJson = (text: string, at: string): Result.Result<unknown, ParseError> => {
  try {
    return Result.succeed(JSON.parse(text) as unknown)
  } catch (e) {
    return sdFail(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`, at)
  }
}

/** Unit states are lowercase words with dashes (loaded, not-found, active, auto-restart…). */
export const STATE_WORD = /^[a-z][a-z-]*$/

/** A unit name has a type suffix: `foo.service`, `dev-sda.device`, `-.mount`. */
export const UNIT_NAME = /^\S+\.[a-z]+$/

/**
 * The rows of a systemctl text table with their line numbers: the header and the count line are
 * skipped, and the first blank line after a row ends the table (the legend follows it).
 */
export const tableRows = (text: string, header: RegExp, footer: RegExp): Array<{ line: string; n: number }> => {
  const rows: Array<{ line: string; n: number }> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "") {
      if (rows.length > 0) break
      continue
    }
    if (header.test(line)) continue
    if (footer.test(line)) break
    rows.push({ line, n: i + 1 })
  }
  return rows
}

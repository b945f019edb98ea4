import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { emptyEntry, type LogEntry, logFail } from "./common.ts"

// "May 18 15:13:34" (short: no year) or "2017-05-18T15:13:34+0200" (short-iso).
const STAMP = String
  .raw`([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z))`
const SHORT_LINE = new RegExp(String.raw`^${STAMP} (\S+) ([^\s\[:][^\[:]*?)(?:\[(\d+)\])?: ?(.*)$`)

/**
 * `journalctl` default (short / short-iso) text: "stamp host ident[pid]: message". "-- ... --"
 * lines (log range header, reboot markers, "No entries") are skipped; an indented line continues
 * the previous message. The short format carries no year, so time stays null and time_text keeps it.
 */
export const parseJournalShort = (text: string): Result.Result<Array<LogEntry>, ParseError> => {
  const out: Array<LogEntry> = []
  const lines = text.replace(/\r/g, "").split("\n")
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "" || /^-- .* --$/.test(line.trim())) continue
    const m = SHORT_LINE.exec(line)
    if (m === null) {
      const prev = out[out.length - 1]
      if (prev !== undefined && /^\s/.test(line)) {
        out[out.length - 1] = { ...prev, message: `${prev.message ?? ""}\n${line.trim()}` }
        continue
      }
      return logFail(
        `not a journalctl short-format line ("stamp host ident[pid]: message"): ${JSON.stringify(line.slice(0, 80))}`,
        `line ${i + 1}`,
      )
    }
    const stamp = m[1] as string
    const iso = /^\d{4}-/.test(stamp) ? new Date(stamp.replace(/([+-]\d\d)(\d\d)$/, "$1:$2")) : null
    out.push({
      ...emptyEntry("journal-text"),
      time: iso !== null && !Number.isNaN(iso.getTime()) ? iso.toISOString() : null,
      time_text: stamp,
      hostname: m[2] as string,
      identifier: m[3] as string,
      unit: m[3] as string,
      pid: m[4] === undefined ? null : Number(m[4]),
      message: m[5] as string,
    })
  }
  return Result.succeed(out)
}

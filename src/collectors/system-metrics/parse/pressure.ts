import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount, toDecimal } from "./common.ts"

export interface PressureLine {
  /** Percent of time stalled, averaged over 10 s, 60 s, 300 s. */
  readonly avg10: number
  readonly avg60: number
  readonly avg300: number
  /** Total stall time in microseconds. */
  readonly total_micros: number
}

/** `some`: at least one task stalled; `full`: all non-idle tasks stalled (absent for cpu before 5.13). */
export interface Pressure {
  readonly some: PressureLine | null
  readonly full: PressureLine | null
}

const LINE = /^(some|full)\s+avg10=(\S+)\s+avg60=(\S+)\s+avg300=(\S+)\s+total=(\S+)$/

/** /proc/pressure/{cpu,memory,io} (PSI, Linux 4.20+). */
export const parsePressure = (
  text: string,
  at: string = "pressure",
  dataType: string = SYSTEM_METRICS,
): Result.Result<Pressure, ParseError> => {
  const out: { some: PressureLine | null; full: PressureLine | null } = { some: null, full: null }
  for (const [i, raw] of textLines(text).entries()) {
    const line = raw.trim()
    if (line === "") continue
    const m = LINE.exec(line)
    const avg10 = toDecimal(m?.[2])
    const avg60 = toDecimal(m?.[3])
    const avg300 = toDecimal(m?.[4])
    const totalMicros = toCount(m?.[5])
    if (m === null || avg10 === undefined || avg60 === undefined || avg300 === undefined || totalMicros === undefined) {
      return parseFail(dataType, `not a PSI line: '${line.slice(0, 80)}'`, `${at} line ${i + 1}`)
    }
    out[m[1] as "some" | "full"] = { avg10, avg60, avg300, total_micros: totalMicros }
  }
  if (out.some === null && out.full === null) return parseFail(dataType, "no 'some' or 'full' line", at)
  return Result.succeed(out)
}

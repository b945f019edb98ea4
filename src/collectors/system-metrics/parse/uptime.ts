import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, toDecimal } from "./common.ts"

export interface Uptime {
  readonly uptime_seconds: number
  /** Summed over all CPUs, so it can exceed uptime; null if the kernel printed only one field. */
  readonly idle_seconds: number | null
}

/** /proc/uptime: `46901.13 46856.66`. */
export const parseUptime = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<Uptime, ParseError> => {
  const fields = text.trim().split(/\s+/)
  const up = toDecimal(fields[0])
  const idle = fields.length > 1 ? toDecimal(fields[1]) : null
  if (up === undefined || up < 0 || idle === undefined || fields.length > 2) {
    return parseFail(dataType, `not a /proc/uptime line: '${text.trim().slice(0, 80)}'`, "uptime")
  }
  return Result.succeed({ uptime_seconds: up, idle_seconds: idle })
}

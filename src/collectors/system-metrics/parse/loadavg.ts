import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, toCount, toDecimal } from "./common.ts"

export interface Loadavg {
  readonly load1: number
  readonly load5: number
  readonly load15: number
  /** Runnable scheduling entities right now. */
  readonly running: number
  /** Scheduling entities (threads) that exist. */
  readonly total: number
  readonly last_pid: number
}

/** /proc/loadavg: `0.21 0.37 0.39 1/719 19737`. */
export const parseLoadavg = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<Loadavg, ParseError> => {
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\/(\d+)\s+(\d+)\s*$/.exec(text.trim())
  const loads = [m?.[1], m?.[2], m?.[3]].map(toDecimal)
  const [load1, load5, load15] = loads
  if (
    m === null || load1 === undefined || load5 === undefined || load15 === undefined || loads.some((l) => (l ?? 0) < 0)
  ) {
    return parseFail(dataType, `not a /proc/loadavg line: '${text.trim().slice(0, 80)}'`, "loadavg")
  }
  return Result.succeed({
    load1,
    load5,
    load15,
    running: toCount(m[4]) ?? 0,
    total: toCount(m[5]) ?? 0,
    last_pid: toCount(m[6]) ?? 0,
  })
}

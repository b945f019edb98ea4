import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { netFail, toCount } from "./fail.ts"
import type { Counters } from "./schema.ts"

export interface NetDevEntry {
  readonly name: string
  readonly counters: Counters
}

/**
 * /proc/net/dev: two header lines (with `|`), then `iface: 8 receive + 8 transmit fields`.
 * Big counters can touch the colon (`eth0:1234567`), so split on the first colon only.
 */
export const parseProcNetDev = (text: string, at = "proc-net-dev"): Result.Result<Array<NetDevEntry>, ParseError> => {
  const out: Array<NetDevEntry> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "" || line.includes("|")) continue
    const colon = line.indexOf(":")
    if (colon <= 0) {
      return netFail(`line is not 'iface: counters': ${JSON.stringify(line.slice(0, 80))}`, `${at}:${i + 1}`)
    }
    const name = line.slice(0, colon).trim()
    const fields = line.slice(colon + 1).trim().split(/\s+/)
    const nums = fields.map(toCount)
    if (fields.length < 16 || nums.some((n) => n === undefined)) {
      return netFail(
        `interface ${name}: expected 16 numeric counters, got ${JSON.stringify(fields.slice(0, 16).join(" "))}`,
        `${at}:${i + 1}`,
      )
    }
    const n = nums as Array<number>
    out.push({
      name,
      counters: {
        rx_bytes: n[0] as number,
        rx_packets: n[1] as number,
        rx_errors: n[2] as number,
        rx_dropped: n[3] as number,
        tx_bytes: n[8] as number,
        tx_packets: n[9] as number,
        tx_errors: n[10] as number,
        tx_dropped: n[11] as number,
      },
    })
  }
  return Result.succeed(out)
}

export interface CounterSample {
  /** Seconds since boot from /proc/uptime (null when it was not readable). */
  readonly uptime: number | null
  readonly entries: ReadonlyArray<NetDevEntry>
}

/** One sample section: `cat /proc/uptime /proc/net/dev` (the uptime line is optional). */
export const parseCounterSample = (text: string, at: string): Result.Result<CounterSample, ParseError> => {
  const nl = text.indexOf("\n")
  const first = (nl < 0 ? text : text.slice(0, nl)).trim()
  const m = /^(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?$/.exec(first)
  const uptime = m ? Number(m[1]) : null
  const rest = m ? (nl < 0 ? "" : text.slice(nl + 1)) : text
  return Result.map(parseProcNetDev(rest, at), (entries) => ({ uptime, entries }))
}

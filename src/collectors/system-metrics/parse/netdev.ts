import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount } from "./common.ts"

export interface NetCounters {
  readonly rx_bytes: number
  readonly rx_packets: number
  readonly rx_errors: number
  readonly rx_dropped: number
  readonly tx_bytes: number
  readonly tx_packets: number
  readonly tx_errors: number
  readonly tx_dropped: number
}

export interface NetInterface extends NetCounters {
  readonly name: string
}

export interface NetDev {
  /** Every interface, loopback included. */
  readonly interfaces: ReadonlyArray<NetInterface>
  /** Sum over every interface except `lo` (traffic to oneself is not network traffic). */
  readonly totals: NetCounters
}

const ZERO: NetCounters = {
  rx_bytes: 0,
  rx_packets: 0,
  rx_errors: 0,
  rx_dropped: 0,
  tx_bytes: 0,
  tx_packets: 0,
  tx_errors: 0,
  tx_dropped: 0,
}

const add = (a: NetCounters, b: NetCounters): NetCounters => ({
  rx_bytes: a.rx_bytes + b.rx_bytes,
  rx_packets: a.rx_packets + b.rx_packets,
  rx_errors: a.rx_errors + b.rx_errors,
  rx_dropped: a.rx_dropped + b.rx_dropped,
  tx_bytes: a.tx_bytes + b.tx_bytes,
  tx_packets: a.tx_packets + b.tx_packets,
  tx_errors: a.tx_errors + b.tx_errors,
  tx_dropped: a.tx_dropped + b.tx_dropped,
})

/**
 * /proc/net/dev: two header lines, then `iface: 8 receive columns, 8 transmit columns`.
 * Split at the first colon: old kernels glue big byte counts to it (`eth0:123456789`).
 */
export const parseNetDev = (
  text: string,
  at: string = "net_dev",
  dataType: string = SYSTEM_METRICS,
): Result.Result<NetDev, ParseError> => {
  const interfaces: Array<NetInterface> = []
  for (const [i, line] of textLines(text).entries()) {
    if (line.trim() === "" || line.includes("|")) continue // the two header lines
    const colon = line.indexOf(":")
    const where = `${at} line ${i + 1}`
    if (colon < 0) return parseFail(dataType, `no 'interface:' prefix in '${line.trim().slice(0, 80)}'`, where)
    const name = line.slice(0, colon).trim()
    const values = line.slice(colon + 1).trim().split(/\s+/).map(toCount)
    if (name === "" || values.length < 16 || values.some((v) => v === undefined)) {
      return parseFail(
        dataType,
        `interface '${name}' needs 16 counters, got '${line.slice(colon + 1).trim().slice(0, 120)}'`,
        where,
      )
    }
    const v = values as Array<number>
    interfaces.push({
      name,
      rx_bytes: v[0] ?? 0,
      rx_packets: v[1] ?? 0,
      rx_errors: v[2] ?? 0,
      rx_dropped: v[3] ?? 0,
      tx_bytes: v[8] ?? 0,
      tx_packets: v[9] ?? 0,
      tx_errors: v[10] ?? 0,
      tx_dropped: v[11] ?? 0,
    })
  }
  if (interfaces.length === 0) return parseFail(dataType, "no interfaces in /proc/net/dev", at)
  const totals = interfaces.filter((n) => n.name !== "lo").reduce<NetCounters>(add, ZERO)
  return Result.succeed({ interfaces, totals })
}

export interface NetRate {
  readonly name: string
  readonly rx_bytes_per_sec: number
  readonly tx_bytes_per_sec: number
}

export interface NetRates {
  readonly interfaces: ReadonlyArray<NetRate>
  /** Over every interface but `lo`. */
  readonly rx_bytes_per_sec: number
  readonly tx_bytes_per_sec: number
}

const rate = (before: number, after: number, seconds: number): number =>
  seconds > 0 ? Math.round((Math.max(0, after - before) / seconds) * 100) / 100 : 0

/** Byte rates between two samples taken `seconds` apart (interfaces present in both; a counter reset counts 0). */
export const netRates = (a: NetDev, b: NetDev, seconds: number): NetRates => {
  const before = new Map(a.interfaces.map((n) => [n.name, n]))
  const interfaces: Array<NetRate> = []
  for (const n of b.interfaces) {
    const prev = before.get(n.name)
    if (prev === undefined) continue
    interfaces.push({
      name: n.name,
      rx_bytes_per_sec: rate(prev.rx_bytes, n.rx_bytes, seconds),
      tx_bytes_per_sec: rate(prev.tx_bytes, n.tx_bytes, seconds),
    })
  }
  const external = interfaces.filter((n) => n.name !== "lo")
  const sum = (k: "rx_bytes_per_sec" | "tx_bytes_per_sec") =>
    Math.round(external.reduce((s, n) => s + n[k], 0) * 100) / 100
  return { interfaces, rx_bytes_per_sec: sum("rx_bytes_per_sec"), tx_bytes_per_sec: sum("tx_bytes_per_sec") }
}

import { Result } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount } from "./common.ts"

export interface NetCounters {
  readonly rxBytes: number
  readonly rxPackets: number
  readonly rxErrors: number
  readonly rxDropped: number
  readonly txBytes: number
  readonly txPackets: number
  readonly txErrors: number
  readonly txDropped: number
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
  rxBytes: 0,
  rxPackets: 0,
  rxErrors: 0,
  rxDropped: 0,
  txBytes: 0,
  txPackets: 0,
  txErrors: 0,
  txDropped: 0,
}

const add = (a: NetCounters, b: NetCounters): NetCounters => ({
  rxBytes: a.rxBytes + b.rxBytes,
  rxPackets: a.rxPackets + b.rxPackets,
  rxErrors: a.rxErrors + b.rxErrors,
  rxDropped: a.rxDropped + b.rxDropped,
  txBytes: a.txBytes + b.txBytes,
  txPackets: a.txPackets + b.txPackets,
  txErrors: a.txErrors + b.txErrors,
  txDropped: a.txDropped + b.txDropped,
})

/**
 * /proc/net/dev: two header lines, then `iface: 8 receive columns, 8 transmit columns`.
 * Split at the first colon: old kernels glue big byte counts to it (`eth0:123456789`).
 */
export const parseNetDev = (text: string, at: string = "net_dev", dataType: string = SYSTEM_METRICS): Result.Result<NetDev, ParseError> => {
  const interfaces: Array<NetInterface> = []
  for (const [i, line] of textLines(text).entries()) {
    if (line.trim() === "" || line.includes("|")) continue // the two header lines
    const colon = line.indexOf(":")
    const where = `${at} line ${i + 1}`
    if (colon < 0) return parseFail(dataType, `no 'interface:' prefix in '${line.trim().slice(0, 80)}'`, where)
    const name = line.slice(0, colon).trim()
    const values = line.slice(colon + 1).trim().split(/\s+/).map(toCount)
    if (name === "" || values.length < 16 || values.some((v) => v === undefined)) {
      return parseFail(dataType, `interface '${name}' needs 16 counters, got '${line.slice(colon + 1).trim().slice(0, 120)}'`, where)
    }
    const v = values as Array<number>
    interfaces.push({
      name,
      rxBytes: v[0] ?? 0,
      rxPackets: v[1] ?? 0,
      rxErrors: v[2] ?? 0,
      rxDropped: v[3] ?? 0,
      txBytes: v[8] ?? 0,
      txPackets: v[9] ?? 0,
      txErrors: v[10] ?? 0,
      txDropped: v[11] ?? 0,
    })
  }
  if (interfaces.length === 0) return parseFail(dataType, "no interfaces in /proc/net/dev", at)
  const totals = interfaces.filter((n) => n.name !== "lo").reduce<NetCounters>(add, ZERO)
  return Result.succeed({ interfaces, totals })
}

export interface NetRate {
  readonly name: string
  readonly rxBytesPerSec: number
  readonly txBytesPerSec: number
}

export interface NetRates {
  readonly interfaces: ReadonlyArray<NetRate>
  /** Over every interface but `lo`. */
  readonly rxBytesPerSec: number
  readonly txBytesPerSec: number
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
      rxBytesPerSec: rate(prev.rxBytes, n.rxBytes, seconds),
      txBytesPerSec: rate(prev.txBytes, n.txBytes, seconds),
    })
  }
  const external = interfaces.filter((n) => n.name !== "lo")
  const sum = (k: "rxBytesPerSec" | "txBytesPerSec") => Math.round(external.reduce((s, n) => s + n[k], 0) * 100) / 100
  return { interfaces, rxBytesPerSec: sum("rxBytesPerSec"), txBytesPerSec: sum("txBytesPerSec") }
}

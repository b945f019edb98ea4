import { Result, Schema } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { netFail } from "./parse/fail.ts"
import { parseIpJson } from "./parse/ip-json.ts"
import { parseIpText } from "./parse/ip-text.ts"
import { type CounterSample, parseCounterSample } from "./parse/proc-net-dev.ts"
import { defaultRoutes, parseIpRoute } from "./parse/routes.ts"
import { Counters, type Interface, type IpLink, NetworkInterfaces, type Rates, type Route } from "./parse/schema.ts"
import { parseListening } from "./parse/sockets.ts"
import { requireSection, type Section, splitSections } from "../shared/sections.ts"

export { parseIpJson } from "./parse/ip-json.ts"
export { parseIpText } from "./parse/ip-text.ts"
export { parseCounterSample, parseProcNetDev } from "./parse/proc-net-dev.ts"
export { defaultRoutes, parseIpRoute, parseIpRouteJson, parseIpRouteText } from "./parse/routes.ts"
export { parseListening, parseNetstat, parseSs, parseSsUsers, splitHostPort } from "./parse/sockets.ts"
export type { Address, Counters, Interface, IpLink, NetworkInterfaces, Rates, Route, Socket } from "./parse/schema.ts"

/** A section that ran and printed something (a missing tool leaves it empty with a non-zero code). */
const bodyOf = (s: Section | undefined): string | null => (s !== undefined && s.body.trim() !== "" ? s.body : null)

/** Interface list from `ip`: JSON when `ip -j` worked, text otherwise; null when ip printed nothing. */
export const parseIpSection = (
  body: string | null,
): Result.Result<{ source: "ip-json" | "ip-text"; links: Array<IpLink> } | null, ParseError> => {
  if (body === null) return Result.succeed(null)
  if (body.trimStart().startsWith("[")) {
    return Result.map(parseIpJson(body, "addr"), (links) => ({ source: "ip-json" as const, links }))
  }
  return Result.map(parseIpText(body, "addr"), (links) => ({ source: "ip-text" as const, links }))
}

/** `/sys/class/net/<if>/speed` lines `name mbps`; -1 / 2^32-1 mean "unknown" and are dropped. */
export const parseSpeeds = (body: string): Map<string, number> => {
  const out = new Map<string, number>()
  for (const line of body.split("\n")) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line)
    if (m && Number(m[2]) > 0 && Number(m[2]) < 4294967295) out.set(m[1] as string, Number(m[2]))
  }
  return out
}

/** Per-second rates from two samples; null when either is missing or a counter went backwards (wrap/reset). */
export const ratesBetween = (
  a: Counters | undefined,
  b: Counters | undefined,
  seconds: number | null,
): Rates | null => {
  if (a === undefined || b === undefined || seconds === null || seconds <= 0) return null
  const d = (x: number, y: number): number | null => (y >= x ? (y - x) / seconds : null)
  const rx = d(a.rx_bytes, b.rx_bytes)
  const tx = d(a.tx_bytes, b.tx_bytes)
  const rxp = d(a.rx_packets, b.rx_packets)
  const txp = d(a.tx_packets, b.tx_packets)
  if (rx === null || tx === null || rxp === null || txp === null) return null
  return { rx_bytes_per_sec: rx, tx_bytes_per_sec: tx, rx_packets_per_sec: rxp, tx_packets_per_sec: txp }
}

/** The internal param a prepare sets: the previous read's `{ uptime, counters: { iface: Counters } }`. */
export const PREVIOUS_COUNTERS = "previous_counters"

/** The previous read's counters as the first sample; null when absent or not what prepare writes. */
export const previousCountersOf = (params: Params): CounterSample | null => {
  const raw = params[PREVIOUS_COUNTERS]
  if (typeof raw !== "string") return null
  try {
    const v = JSON.parse(raw) as { uptime?: unknown; counters?: unknown }
    if (typeof v.uptime !== "number" || typeof v.counters !== "object" || v.counters === null) return null
    const entries = Object.entries(v.counters as Record<string, unknown>).flatMap(([name, c]) => {
      const counters = decodeCounters(c)
      return Result.isSuccess(counters) ? [{ name, counters: counters.success }] : []
    })
    return { uptime: v.uptime, entries }
  } catch {
    return null
  }
}

const decodeCounters = Schema.decodeUnknownResult(Counters)

const sampleOf = (s: Section | undefined, at: string): Result.Result<CounterSample | null, ParseError> => {
  const body = bodyOf(s)
  return body === null ? Result.succeed(null) : parseCounterSample(body, at)
}

/** Seconds between samples from /proc/uptime; the nominal interval when uptime was unreadable. */
const elapsed = (a: CounterSample | null, b: CounterSample | null, nominal: number): number | null => {
  if (a === null || b === null) return null
  if (a.uptime !== null && b.uptime !== null) return b.uptime > a.uptime ? b.uptime - a.uptime : null
  return nominal
}

const bareLink = (name: string): IpLink => ({
  name,
  ifindex: null,
  parent: null,
  flags: [],
  mtu: null,
  state: null,
  mac: null,
  link_type: null,
  master: null,
  kind: null,
  slave_kind: null,
  bond: null,
  bond_slave: null,
  addresses: [],
  counters: null,
})

const routesOf = (s: Section | undefined, family: "inet" | "inet6"): Result.Result<Array<Route>, ParseError> => {
  const body = bodyOf(s)
  return body === null ? Result.succeed([]) : parseIpRoute(body, family, family === "inet" ? "route4" : "route6")
}

const decode = Schema.decodeUnknownResult(NetworkInterfaces)

/** Parse the output of networkInterfacesScript(). */
export const parseNetworkInterfaces = (
  result: CommandResult,
  params: Params = {},
): Result.Result<NetworkInterfaces, ParseError> =>
  Result.gen(function* () {
    const sections = splitSections(result.stdout)
    yield* requireSection(sections, "addr", "network_interfaces")
    yield* requireSection(sections, "sample2", "network_interfaces")
    const ip = yield* parseIpSection(bodyOf(sections.get("addr")))
    // Without a sample1 section the first sample is the previous read's counters (prepare).
    const s1 = sections.has("sample1")
      ? yield* sampleOf(sections.get("sample1"), "sample1")
      : previousCountersOf(params)
    const s2 = yield* sampleOf(sections.get("sample2"), "sample2")
    if (ip === null && s2 === null) return yield* netFail("neither ip nor /proc/net/dev produced any output", "addr")
    const nominal = Number(params["interval"] ?? 0.5)
    const seconds = elapsed(s1, s2, Number.isFinite(nominal) && nominal > 0 ? nominal : 0.5)
    const before = new Map(s1?.entries.map((e) => [e.name, e.counters]))
    const after = new Map(s2?.entries.map((e) => [e.name, e.counters]))
    const speeds = parseSpeeds(sections.get("speed")?.body ?? "")
    const links = ip?.links ?? (s2?.entries ?? []).map((e) => bareLink(e.name))
    const interfaces: Array<Interface> = links.map((l) => ({
      ...l,
      // The second sample is the freshest reading and the one the rates end on.
      counters: after.get(l.name) ?? l.counters,
      rates: ratesBetween(before.get(l.name), after.get(l.name), seconds),
      speed_mbps: speeds.get(l.name) ?? null,
    }))
    const routes = [
      ...(yield* routesOf(sections.get("route4"), "inet")),
      ...(yield* routesOf(sections.get("route6"), "inet6")),
    ]
    const ls = sections.get("listening")
    const listeningBody = bodyOf(ls)
    const listening = listeningBody === null
      ? { available: ls?.exitCode === 0, sockets: [] }
      : { available: true, sockets: yield* parseListening(listeningBody, "listening") }
    const value = {
      source: ip?.source ?? "proc-net-dev",
      interfaces,
      routes,
      default_routes: defaultRoutes(routes),
      sample_seconds: interfaces.some((i) => i.rates !== null) ? seconds : null,
      sample_uptime: s2?.uptime ?? null,
      listening,
    }
    const checked = decode(value)
    if (Result.isFailure(checked)) return yield* netFail(`parsed value failed validation: ${checked.failure.message}`)
    return checked.success
  })

import { Result, Schema } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { asMac, netFail, parseJson } from "./fail.ts"
import type { Address, Bond, BondSlave, Counters, IpLink } from "./schema.ts"

/** The subset of `ip -j [-s] [-d] addr|link` we read; other keys are ignored. */
const opt = Schema.optional
const StatsDir = Schema.Struct({
  bytes: opt(Schema.Finite),
  packets: opt(Schema.Finite),
  errors: opt(Schema.Finite),
  dropped: opt(Schema.Finite),
})
const Stats = Schema.Struct({ rx: opt(StatsDir), tx: opt(StatsDir) })
const Data = Schema.Record(Schema.String, Schema.Unknown)
const RawAddr = Schema.Struct({
  family: opt(Schema.String),
  local: opt(Schema.String),
  address: opt(Schema.String),
  prefixlen: opt(Schema.Finite),
  scope: opt(Schema.String),
})
const RawLink = Schema.Struct({
  ifindex: opt(Schema.Finite),
  ifname: Schema.String,
  link: opt(Schema.NullOr(Schema.String)),
  flags: opt(Schema.Array(Schema.String)),
  mtu: opt(Schema.Finite),
  operstate: opt(Schema.String),
  link_type: opt(Schema.String),
  address: opt(Schema.String),
  master: opt(Schema.String),
  linkinfo: opt(
    Schema.Struct({
      info_kind: opt(Schema.String),
      info_data: opt(Data),
      info_slave_kind: opt(Schema.String),
      info_slave_data: opt(Data),
    }),
  ),
  addr_info: opt(Schema.Array(RawAddr)),
  stats64: opt(Stats),
  stats: opt(Stats),
})
type RawLink = typeof RawLink.Type
const RawLinks = Schema.Array(RawLink)
const decodeLinks = Schema.decodeUnknownResult(RawLinks)

const str = (v: unknown): string | null => (typeof v === "string" ? v : null)
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null)

const toCounters = (s: typeof Stats.Type | undefined): Counters | null => {
  if (s?.rx?.bytes === undefined || s.tx?.bytes === undefined) return null
  return {
    rx_bytes: s.rx.bytes,
    rx_packets: s.rx.packets ?? 0,
    rx_errors: s.rx.errors ?? 0,
    rx_dropped: s.rx.dropped ?? 0,
    tx_bytes: s.tx.bytes,
    tx_packets: s.tx.packets ?? 0,
    tx_errors: s.tx.errors ?? 0,
    tx_dropped: s.tx.dropped ?? 0,
  }
}

const toAddresses = (raw: RawLink["addr_info"]): Array<Address> => {
  const out: Array<Address> = []
  // Old iproute2 emits `{}` placeholders in addr_info; only entries with a family and local address count.
  for (const a of raw ?? []) {
    if ((a.family !== "inet" && a.family !== "inet6") || a.local === undefined) continue
    out.push({
      family: a.family,
      address: a.local,
      prefixlen: a.prefixlen ?? null,
      scope: a.scope ?? null,
      peer: a.address !== undefined && a.address !== a.local ? a.address : null,
    })
  }
  return out
}

const toLink = (r: RawLink): IpLink => {
  const info = r.linkinfo
  const kind = info?.info_kind ?? null
  const slaveKind = info?.info_slave_kind ?? null
  const bond: Bond | null = kind === "bond" && info?.info_data
    ? {
      mode: str(info.info_data["mode"]),
      active_slave: str(info.info_data["active_slave"]),
      miimon: num(info.info_data["miimon"]),
    }
    : null
  const bondSlave: BondSlave | null = slaveKind === "bond" && info?.info_slave_data
    ? { state: str(info.info_slave_data["state"]), mii_status: str(info.info_slave_data["mii_status"]) }
    : null
  return {
    name: r.ifname,
    ifindex: r.ifindex ?? null,
    parent: r.link ?? null,
    flags: r.flags ?? [],
    mtu: r.mtu ?? null,
    state: r.operstate ?? null,
    mac: asMac(r.address),
    link_type: r.link_type ?? null,
    master: r.master ?? null,
    kind,
    slave_kind: slaveKind,
    bond,
    bond_slave: bondSlave,
    addresses: toAddresses(r.addr_info),
    counters: toCounters(r.stats64 ?? r.stats),
  }
}

/** `ip -j [-s] [-d] addr show` or `ip -j link show`: an array of links. */
export const parseIpJson = (text: string, at = "ip-json"): Result.Result<Array<IpLink>, ParseError> =>
  Result.flatMap(parseJson(text, at), (json) => {
    const decoded = decodeLinks(json)
    if (Result.isFailure(decoded)) return netFail(`unexpected ip JSON shape: ${decoded.failure.message}`, at)
    return Result.succeed(decoded.success.map(toLink))
  })

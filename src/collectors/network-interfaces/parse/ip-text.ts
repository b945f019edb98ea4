import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { asMac, netFail, toCount } from "./fail.ts"
import type { Address, Bond, BondSlave, Counters, IpLink } from "./schema.ts"

/** `3: bond1.57@bond1: <FLAGS> mtu 1500 qdisc noqueue state UP ...` */
const HEADER = /^(\d+):\s+([^\s:@]+)(?:@([^\s:]+))?:\s+<([^>]*)>(.*)$/

interface Draft {
  name: string
  ifindex: number
  parent: string | null
  flags: Array<string>
  mtu: number | null
  state: string | null
  mac: string | null
  link_type: string | null
  master: string | null
  kind: string | null
  slave_kind: string | null
  bond: Bond | null
  bond_slave: BondSlave | null
  addresses: Array<Address>
  rx: Record<string, number> | null
  tx: Record<string, number> | null
}

/** Value after `key` in a token list. */
const after = (tokens: ReadonlyArray<string>, key: string): string | undefined => {
  const i = tokens.indexOf(key)
  return i >= 0 ? tokens[i + 1] : undefined
}

/** First token of a `-d` details line that names a link kind rather than an attribute. */
const DETAIL_ATTRS = new Set(["promiscuity", "addrgenmode", "altname", "alias", "prog/xdp", "vf", "numtxqueues"])

const countersOf = (d: Draft): Counters | null => {
  if (d.rx === null || d.tx === null) return null
  const g = (r: Record<string, number>, k: string): number => r[k] ?? 0
  return {
    rx_bytes: g(d.rx, "bytes"),
    rx_packets: g(d.rx, "packets"),
    rx_errors: g(d.rx, "errors"),
    rx_dropped: g(d.rx, "dropped"),
    tx_bytes: g(d.tx, "bytes"),
    tx_packets: g(d.tx, "packets"),
    tx_errors: g(d.tx, "errors"),
    tx_dropped: g(d.tx, "dropped"),
  }
}

const finish = (d: Draft): IpLink => ({
  name: d.name,
  ifindex: d.ifindex,
  parent: d.parent,
  flags: d.flags,
  mtu: d.mtu,
  state: d.state,
  mac: d.mac,
  link_type: d.link_type,
  master: d.master,
  kind: d.kind,
  slave_kind: d.slave_kind,
  bond: d.bond,
  bond_slave: d.bond_slave,
  addresses: d.addresses,
  counters: countersOf(d),
})

const parseHeader = (m: RegExpExecArray, at: string): Result.Result<Draft, ParseError> => {
  const tokens = (m[5] as string).trim().split(/\s+/).filter((t) => t !== "")
  const mtuTok = after(tokens, "mtu")
  const mtu = toCount(mtuTok)
  if (mtuTok !== undefined && mtu === undefined) return netFail(`interface ${m[2]}: mtu is not a number: ${mtuTok}`, at)
  const parent = m[3] === undefined || m[3] === "NONE" ? null : m[3]
  return Result.succeed({
    name: m[2] as string,
    ifindex: Number(m[1]),
    parent,
    flags: (m[4] as string).split(",").filter((f) => f !== ""),
    mtu: mtu ?? null,
    state: after(tokens, "state") ?? null,
    mac: null,
    link_type: null,
    master: after(tokens, "master") ?? null,
    kind: null,
    slave_kind: null,
    bond: null,
    bond_slave: null,
    addresses: [],
    rx: null,
    tx: null,
  })
}

const parseAddress = (tokens: ReadonlyArray<string>, d: Draft, at: string): Result.Result<Address, ParseError> => {
  const family = tokens[0] === "inet6" ? "inet6" : "inet"
  const [local, len] = (tokens[1] ?? "").split("/")
  if (local === undefined || local === "") return netFail(`interface ${d.name}: ${family} line without an address`, at)
  const peerTok = after(tokens, "peer")
  const [peer, peerLen] = peerTok === undefined ? [undefined, undefined] : peerTok.split("/")
  const lenTok = len ?? peerLen
  const prefixlen = toCount(lenTok)
  if (lenTok !== undefined && prefixlen === undefined) {
    return netFail(`interface ${d.name}: bad prefix length ${lenTok}`, at)
  }
  return Result.succeed({
    family,
    address: local,
    prefixlen: prefixlen ?? null,
    scope: after(tokens, "scope") ?? null,
    peer: peer ?? null,
  })
}

/** `bond mode active-backup active_slave enp1s0 miimon 100 ...` / `bond_slave state ACTIVE mii_status UP ...` */
const applyDetails = (tokens: ReadonlyArray<string>, d: Draft): void => {
  const first = tokens[0] as string
  if (first.endsWith("_slave")) {
    d.slave_kind = first.slice(0, -"_slave".length)
    if (first === "bond_slave") {
      d.bond_slave = { state: after(tokens, "state") ?? null, mii_status: after(tokens, "mii_status") ?? null }
    }
    return
  }
  d.kind = first
  if (first === "bond") {
    const miimon = toCount(after(tokens, "miimon"))
    d.bond = {
      mode: after(tokens, "mode") ?? null,
      active_slave: after(tokens, "active_slave") ?? null,
      miimon: miimon ?? null,
    }
  }
}

/**
 * Text `ip [-s] [-d] addr|link show` (old iproute2, busybox). Lines before the first interface
 * header (e.g. "Message truncated" noise) are skipped; unknown detail lines are ignored.
 */
export const parseIpText = (text: string, at = "ip-text"): Result.Result<Array<IpLink>, ParseError> => {
  const out: Array<IpLink> = []
  let cur: Draft | null = null
  /** Set after an `RX:`/`TX:` header: the next line holds its numbers. */
  let pending: { dir: "rx" | "tx" | null; names: Array<string> } | null = null
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string
    const line = raw.trim()
    const where = `${at}:${i + 1}`
    if (line === "") continue
    const header = HEADER.exec(raw)
    if (header) {
      if (cur) out.push(finish(cur))
      const h = parseHeader(header, where)
      if (Result.isFailure(h)) return Result.fail(h.failure)
      cur = h.success
      pending = null
      continue
    }
    if (cur === null) continue
    const tokens = line.split(/\s+/)
    const first = tokens[0] as string
    if (pending) {
      const values = tokens.map(toCount)
      if (values.some((v) => v === undefined)) {
        return netFail(`interface ${cur.name}: expected counters, got ${JSON.stringify(line.slice(0, 80))}`, where)
      }
      if (pending.dir) {
        const rec: Record<string, number> = {}
        pending.names.forEach((n, k) => (rec[n] = values[k] as number))
        cur[pending.dir] = rec
      }
      pending = null
      continue
    }
    if (/^(RX|TX)\b/.test(first)) {
      // `RX: bytes packets ...` carries the main counters; `RX errors: length crc ...` (-s -s) is extra detail.
      const plain = first === "RX:" || first === "TX:"
      pending = { dir: plain ? (first === "RX:" ? "rx" : "tx") : null, names: plain ? tokens.slice(1) : [] }
      continue
    }
    if (first.startsWith("link/")) {
      cur.link_type = first.slice("link/".length).replace(/^\[(.*)\]$/, "$1")
      cur.mac = asMac(tokens[1])
      continue
    }
    if (first === "inet" || first === "inet6") {
      const a = parseAddress(tokens, cur, where)
      if (Result.isFailure(a)) return Result.fail(a.failure)
      cur.addresses.push(a.success)
      continue
    }
    if (first === "valid_lft" || DETAIL_ATTRS.has(first)) continue
    if (/^[a-z][a-z0-9_]*$/.test(first) && tokens.length > 1) applyDetails(tokens, cur)
    else if (/^[a-z][a-z0-9_]*$/.test(first) && tokens.length === 1) cur.kind = first
  }
  if (cur) out.push(finish(cur))
  if (out.length === 0 && text.trim() !== "") {
    return netFail("no interface header line ('N: name: <FLAGS> ...') found", at)
  }
  return Result.succeed(out)
}

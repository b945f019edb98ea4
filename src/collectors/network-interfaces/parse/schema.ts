import { Schema } from "effect"

/** Output schemas of the network_interfaces data type (the parsed value is checked against them). */

const Num = Schema.Finite
const NullNum = Schema.NullOr(Schema.Finite)
const NullStr = Schema.NullOr(Schema.String)

export const Family = Schema.Literals(["inet", "inet6"])
export type Family = typeof Family.Type

export const Address = Schema.Struct({
  family: Family,
  address: Schema.String,
  prefixlen: NullNum,
  scope: NullStr,
  /** Point-to-point peer (`inet A peer B/32`). */
  peer: NullStr,
})
export type Address = typeof Address.Type

export const Counters = Schema.Struct({
  rx_bytes: Num,
  rx_packets: Num,
  rx_errors: Num,
  rx_dropped: Num,
  tx_bytes: Num,
  tx_packets: Num,
  tx_errors: Num,
  tx_dropped: Num,
})
export type Counters = typeof Counters.Type

export const Rates = Schema.Struct({
  rx_bytes_per_sec: Num,
  tx_bytes_per_sec: Num,
  rx_packets_per_sec: Num,
  tx_packets_per_sec: Num,
})
export type Rates = typeof Rates.Type

export const Bond = Schema.Struct({ mode: NullStr, active_slave: NullStr, miimon: NullNum })
export type Bond = typeof Bond.Type

export const BondSlave = Schema.Struct({ state: NullStr, mii_status: NullStr })
export type BondSlave = typeof BondSlave.Type

/** One interface as read from `ip` (JSON or text); counters may come from ip -s. */
export const IpLink = Schema.Struct({
  name: Schema.String,
  ifindex: NullNum,
  /** The `@link` part of `vlan@parent` (null when none or NONE). */
  parent: NullStr,
  flags: Schema.Array(Schema.String),
  mtu: NullNum,
  state: NullStr,
  mac: NullStr,
  link_type: NullStr,
  master: NullStr,
  /** Link kind from -d details: bond, bridge, vlan, wireguard, vxlan, tun… */
  kind: NullStr,
  /** Kind of the master this link is enslaved to: bond, bridge, openvswitch… */
  slave_kind: NullStr,
  bond: Schema.NullOr(Bond),
  bond_slave: Schema.NullOr(BondSlave),
  addresses: Schema.Array(Address),
  counters: Schema.NullOr(Counters),
})
export type IpLink = typeof IpLink.Type

export const Interface = Schema.Struct({
  ...IpLink.fields,
  rates: Schema.NullOr(Rates),
  speed_mbps: NullNum,
})
export type Interface = typeof Interface.Type

export const Route = Schema.Struct({
  family: Family,
  dst: Schema.String,
  gateway: NullStr,
  dev: NullStr,
  protocol: NullStr,
  metric: NullNum,
  scope: NullStr,
  src: NullStr,
  table: NullStr,
  type: NullStr,
})
export type Route = typeof Route.Type

export const SocketProcess = Schema.Struct({ name: Schema.String, pid: NullNum, fd: NullNum })
export type SocketProcess = typeof SocketProcess.Type

export const Socket = Schema.Struct({
  /** tcp, udp, raw, sctp… (tcp6/udp6 from netstat are folded into tcp/udp). */
  protocol: NullStr,
  state: NullStr,
  local_address: Schema.String,
  /** Port as printed: a number, a service name, `*` or an interface (packet sockets). */
  local_port: Schema.String,
  port: NullNum,
  peer: Schema.String,
  processes: Schema.Array(SocketProcess),
})
export type Socket = typeof Socket.Type

export const NetworkInterfaces = Schema.Struct({
  /** Which tool the interface list came from. */
  source: Schema.Literals(["ip-json", "ip-text", "proc-net-dev"]),
  interfaces: Schema.Array(Interface),
  routes: Schema.Array(Route),
  default_routes: Schema.Array(Route),
  /** Seconds between the two /proc/net/dev samples (null when no rates could be computed). */
  sample_seconds: NullNum,
  /** /proc/uptime when the counters were read: the next read's rates start from them. */
  sample_uptime: NullNum,
  listening: Schema.Struct({ available: Schema.Boolean, sockets: Schema.Array(Socket) }),
})
export type NetworkInterfaces = typeof NetworkInterfaces.Type

import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, it } from "node:test"
import { Effect, Result } from "effect"
import { ParseError, ValidationError } from "../src/domain/errors.ts"
import {
  defaultRoutes,
  type IpLink,
  parseCounterSample,
  parseIpJson,
  parseIpRoute,
  parseIpText,
  parseListening,
  parseNetstat,
  parseNetworkInterfaces,
  parseProcNetDev,
  parseSs,
  ratesBetween,
} from "../src/collectors/network-interfaces/parse-network-interfaces.ts"
import { MARKER } from "../src/collectors/shared/sections.ts"
import { networkInterfaces, networkInterfacesScript } from "../src/collectors/network-interfaces/network-interfaces.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { NETWORK_FIXTURES, networkShimsFor, type NetworkToolGeneration } from "./harness/shims/network.ts"
import { ok } from "./harness/results.ts"

const err = <A>(r: Result.Result<A, ParseError>): ParseError => {
  assert.ok(Result.isFailure(r), "expected a ParseError")
  assert.ok(r.failure instanceof ParseError)
  assert.equal(r.failure.dataType, "network_interfaces")
  assert.ok(r.failure.message.length > 0)
  assert.ok(r.failure.at !== undefined && r.failure.at.length > 0, "error names where it happened")
  return r.failure
}

/** Succeeds, or fails with a typed ParseError; never throws. */
const outcome = (parse: () => Result.Result<unknown, ParseError>): "ok" | "error" => {
  const r = parse()
  if (Result.isSuccess(r)) return "ok"
  err(r)
  return "error"
}

const net = (file: string): string => readFixture("network", file)
const byName = (links: ReadonlyArray<IpLink>, name: string): IpLink => {
  const l = links.find((x) => x.name === name)
  assert.ok(l, `interface ${name} present`)
  return l
}

/** The parser each fixture file is meant for, chosen by its name. */
const parserFor = (file: string): (text: string) => Result.Result<unknown, ParseError> => {
  if (/route/.test(file)) return (t) => parseIpRoute(t, /(v6|-6)/.test(file) ? "inet6" : "inet")
  if (/ip-.*j.*\.json$/.test(file)) return (t) => parseIpJson(t)
  if (/__ip-/.test(file)) return (t) => parseIpText(t)
  if (/proc-net-dev/.test(file)) return (t) => parseProcNetDev(t)
  if (/__(ss|netstat)-/.test(file)) return (t) => parseListening(t)
  throw new Error(`no parser chosen for fixture ${file}`)
}

/** Expected outcome per fixture: every recorded output here is valid and must parse. */
const EXPECTED: Record<string, "ok" | "error"> = Object.fromEntries(listFixtures("network").map((f) => [f, "ok"]))

/** Frame bodies the way section() does, as one script's stdout. */
const framed = (bodies: Record<string, string>, exitCodes: Record<string, number> = {}): CommandResult => {
  const stdout = Object.entries(bodies)
    .map(([name, body]) => `\n${MARKER} ${name}\n${body}\n${MARKER}-rc ${name} ${exitCodes[name] ?? 0}\n`)
    .join("")
  return { stdout, stderr: "", exitCode: 0, durationMs: 1, bytes: stdout.length, truncated: false }
}

/** Deterministic PRNG for the mutation tests. */
const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

describe("network fixtures: every file parses or gives a typed ParseError", () => {
  const files = listFixtures("network")
  it("covers the whole folder", () => assert.ok(files.length >= 16))
  for (const f of files) {
    it(f, () => assert.equal(outcome(() => parserFor(f)(net(f))), EXPECTED[f]))
  }
})

describe("ip -j addr (JSON)", () => {
  it("cloud-init: lo and enp0s25 with addresses", () => {
    const links = ok(parseIpJson(net("cloud-init__ip-j-addr-show.json")))
    assert.deepEqual(links.map((l) => l.name), ["lo", "enp0s25"])
    const e = byName(links, "enp0s25")
    assert.equal(e.ifindex, 23)
    assert.equal(e.mtu, 1500)
    assert.equal(e.state, "UP")
    assert.equal(e.mac, "50:7b:9d:2c:af:91")
    assert.equal(e.link_type, "ether")
    assert.deepEqual(e.flags, ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"])
    assert.deepEqual(
      e.addresses.map((a) => `${a.family} ${a.address}/${a.prefixlen} ${a.scope}`),
      [
        "inet 192.168.2.18/24 global",
        "inet6 fe80::7777:2222:1111:eeee/64 global",
        "inet6 fe80::8107:2b92:867e:f8a6/64 link",
      ],
    )
    assert.equal(byName(links, "lo").mtu, 65536)
  })

  it("cloud-init iface-down: eth0 DOWN without addresses", () => {
    const eth0 = byName(ok(parseIpJson(net("cloud-init__ip-j-addr-show_iface-down.json"))), "eth0")
    assert.equal(eth0.state, "DOWN")
    assert.ok(!eth0.flags.includes("UP"))
    assert.deepEqual(eth0.addresses, [])
    assert.equal(eth0.mac, "00:16:3e:de:51:a6")
  })

  it("netplan -d: link kinds, tunnels without MAC, missing addr_info", () => {
    const links = ok(parseIpJson(net("netplan__ip-d-j-addr_compact.json")))
    assert.equal(links.length, 7)
    const wg = byName(links, "wg0")
    assert.equal(wg.kind, "wireguard")
    assert.equal(wg.mac, null)
    assert.equal(wg.mtu, 1420)
    const tun0 = byName(links, "tun0")
    assert.equal(tun0.kind, "sit")
    assert.equal(tun0.mac, null, "a sit tunnel's link address is an IPv4 address, not a MAC")
    assert.deepEqual(tun0.addresses.map((a) => `${a.address}/${a.prefixlen}`), ["2001:dead:beef::2/64"])
    const tun1 = byName(links, "tun1")
    assert.equal(tun1.kind, "tun")
    assert.deepEqual(tun1.addresses, [])
    assert.equal(byName(links, "wwan0").state, "DOWN")
    assert.equal(byName(links, "wlan0").addresses.length, 4)
  })

  it("reads -s stats64 and -d bond info when present", () => {
    const json = JSON.stringify([
      {
        ifindex: 4,
        ifname: "bond0",
        flags: ["MASTER", "UP"],
        mtu: 1500,
        operstate: "UP",
        link_type: "ether",
        address: "52:54:00:36:37:EA",
        linkinfo: { info_kind: "bond", info_data: { mode: "active-backup", active_slave: "enp1s0", miimon: 100 } },
        stats64: {
          rx: { bytes: 10, packets: 2, errors: 1, dropped: 3 },
          tx: { bytes: 20, packets: 4, errors: 0, dropped: 0 },
        },
      },
      {
        ifindex: 2,
        ifname: "enp1s0",
        master: "bond0",
        linkinfo: { info_slave_kind: "bond", info_slave_data: { state: "ACTIVE", mii_status: "UP" } },
        addr_info: [{}],
      },
    ])
    const [bond, slave] = ok(parseIpJson(json))
    assert.deepEqual(bond?.bond, { mode: "active-backup", active_slave: "enp1s0", miimon: 100 })
    assert.equal(bond?.mac, "52:54:00:36:37:ea")
    assert.deepEqual(bond?.counters, {
      rx_bytes: 10,
      rx_packets: 2,
      rx_errors: 1,
      rx_dropped: 3,
      tx_bytes: 20,
      tx_packets: 4,
      tx_errors: 0,
      tx_dropped: 0,
    })
    assert.equal(slave?.master, "bond0")
    assert.equal(slave?.slave_kind, "bond")
    assert.deepEqual(slave?.bond_slave, { state: "ACTIVE", mii_status: "UP" })
    assert.deepEqual(slave?.addresses, [], "old iproute2's {} placeholders are dropped")
  })

  it("bad JSON and wrong shapes are typed errors", () => {
    assert.match(err(parseIpJson('[{"ifname": "lo"')).message, /invalid JSON/)
    assert.match(err(parseIpJson('{"ifname": "lo"}')).message, /unexpected ip JSON shape/)
    assert.match(err(parseIpJson('[{"ifindex": 1}]')).message, /ifname/)
    assert.match(err(parseIpJson('[{"ifname": "lo", "mtu": "big"}]')).message, /mtu/)
  })
})

describe("ip text (old iproute2, busybox)", () => {
  it("ip addr with noise lines: 6 interfaces, master, @parent, peers", () => {
    const links = ok(parseIpText(net("insights__ip-addr_with-noise-lines.txt")))
    assert.deepEqual(links.map((l) => l.name), ["lo", "eth7", "tunl0", "tunl1", "bond1.57", "ip.tun2"])
    const eth7 = byName(links, "eth7")
    assert.equal(eth7.master, "bond1")
    assert.equal(eth7.state, "DOWN")
    assert.equal(eth7.mac, "00:11:3f:e2:f5:9f")
    assert.ok(eth7.flags.includes("NO-CARRIER"))
    const vlan = byName(links, "bond1.57")
    assert.equal(vlan.parent, "bond1")
    assert.deepEqual(
      vlan.addresses.map((a) => `${a.family} ${a.address}/${a.prefixlen} ${a.scope}`),
      [
        "inet 10.192.4.171/27 global",
        "inet6 fe80::211:3fff:fee2:f59e/64 link",
        "inet6 2001::211:3fff:fee2:f59e/64 global",
      ],
    )
    const tun = byName(links, "ip.tun2")
    assert.equal(tun.mtu, 80)
    assert.equal(tun.mac, null)
    assert.deepEqual(tun.addresses, [{
      family: "inet",
      address: "192.168.112.5",
      prefixlen: 32,
      scope: "global",
      peer: "192.168.122.6",
    }])
    assert.equal(byName(links, "lo").mtu, 16436)
  })

  it("ip -d -s link with a bond: counters and bond details", () => {
    const links = ok(parseIpText(net("insights__ip-d-s-link_bond.txt")))
    assert.equal(links.length, 4)
    const bond = byName(links, "bond0")
    assert.equal(bond.kind, "bond")
    assert.deepEqual(bond.bond, { mode: "active-backup", active_slave: "enp1s0", miimon: 100 })
    assert.equal(bond.counters?.rx_bytes, 6250225824)
    assert.equal(bond.counters?.rx_dropped, 3987208)
    assert.equal(bond.counters?.tx_dropped, 8)
    const backup = byName(links, "enp2s0")
    assert.equal(backup.master, "bond0")
    assert.equal(backup.slave_kind, "bond")
    assert.deepEqual(backup.bond_slave, { state: "BACKUP", mii_status: "UP" })
    assert.equal(backup.counters?.rx_dropped, 2498170)
    assert.equal(backup.counters?.tx_bytes, 5705272)
    assert.equal(byName(links, "enp1s0").counters?.rx_bytes, 6539676111)
    assert.equal(byName(links, "enp1s0").counters?.rx_packets, 45171801)
  })

  it("ip -s link, many interfaces: big counters, ovs/vxlan/gre kinds", () => {
    const links = ok(parseIpText(net("insights__ip-s-link_many-ifaces.txt")))
    assert.equal(links.length, 14)
    const e = byName(links, "eth0_1")
    assert.equal(e.mtu, 9000)
    assert.equal(e.master, "bond0")
    assert.equal(e.counters?.rx_bytes, 16809815066893)
    assert.equal(e.counters?.tx_bytes, 35867456371871)
    const vx = byName(links, "vxlan_sys_4789")
    assert.equal(vx.kind, "vxlan")
    assert.equal(vx.slave_kind, "openvswitch")
    assert.equal(vx.master, "ovs-system")
    assert.equal(byName(links, "br-int").counters?.rx_dropped, 101259804)
    assert.equal(byName(links, "gre0").parent, null, "@NONE is no parent")
    assert.equal(byName(links, "gre0").link_type, "gre")
    assert.equal(byName(links, "geneve1").counters?.rx_errors, 8)
    assert.equal(byName(links, "gre1").counters?.tx_bytes, 168)
  })

  it("malformed text is a typed error naming the line", () => {
    assert.match(err(parseIpText("just some words\nand more")).message, /no interface header/)
    const bad = err(parseIpText("1: lo: <UP> mtu big qdisc noqueue"))
    assert.match(bad.message, /mtu/)
    assert.equal(bad.at, "ip-text:1")
    const counters = err(parseIpText("1: lo: <UP> mtu 1\n    RX: bytes packets\n    12 x\n"))
    assert.equal(counters.at, "ip-text:3")
    assert.match(err(parseIpText("2: e: <UP> mtu 1\n    inet 10.0.0.1/abc scope global e")).message, /prefix/)
  })
})

describe("/proc/net/dev", () => {
  it("jc and procfs samples", () => {
    const jc = ok(parseProcNetDev(net("jc__proc-net-dev.txt")))
    assert.deepEqual(jc.map((e) => e.name), ["lo", "ens33"])
    assert.deepEqual(jc[1]?.counters, {
      rx_bytes: 60600053,
      rx_packets: 109378,
      rx_errors: 0,
      rx_dropped: 0,
      tx_bytes: 44256546,
      tx_packets: 121425,
      tx_errors: 0,
      tx_dropped: 0,
    })
    const procfs = ok(parseProcNetDev(net("procfs__proc-net-dev.txt")))
    assert.deepEqual(procfs.map((e) => e.name), ["vethf345468", "lo", "docker0", "eth0"])
    assert.equal(procfs[3]?.counters.rx_bytes, 874354587)
    assert.equal(procfs[3]?.counters.tx_packets, 732147)
  })

  it("a counter glued to the colon still parses", () => {
    const glued = net("jc__proc-net-dev.txt").replace(" ens33: 60600053", "ens33:60600053")
    assert.equal(ok(parseProcNetDev(glued))[1]?.counters.rx_bytes, 60600053)
  })

  it("sample with /proc/uptime first; bad rows are typed errors", () => {
    const s = ok(parseCounterSample(`1234.56 999.00\n${net("jc__proc-net-dev.txt")}`, "sample1"))
    assert.equal(s.uptime, 1234.56)
    assert.equal(s.entries.length, 2)
    assert.equal(ok(parseCounterSample(net("jc__proc-net-dev.txt"), "sample1")).uptime, null)
    assert.match(err(parseProcNetDev("eth0: 1 2 3")).message, /16 numeric counters/)
    assert.equal(err(parseProcNetDev("lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x")).at, "proc-net-dev:1")
    assert.match(err(parseProcNetDev("no colon here")).message, /iface: counters/)
  })

  it("rates: per second over the measured interval; null on wrap or no interval", () => {
    const a = ok(parseProcNetDev(net("jc__proc-net-dev.txt")))[1]?.counters
    assert.ok(a)
    const b = { ...a, rx_bytes: a.rx_bytes + 1000, tx_bytes: a.tx_bytes + 500, rx_packets: a.rx_packets + 10 }
    assert.deepEqual(ratesBetween(a, b, 0.5), {
      rx_bytes_per_sec: 2000,
      tx_bytes_per_sec: 1000,
      rx_packets_per_sec: 20,
      tx_packets_per_sec: 0,
    })
    assert.equal(ratesBetween(b, a, 0.5), null, "counter went backwards")
    assert.equal(ratesBetween(a, b, 0), null)
    assert.equal(ratesBetween(a, undefined, 1), null)
  })
})

describe("routes", () => {
  it("cloud-init text v4: two defaults, lowest metric first", () => {
    const routes = ok(parseIpRoute(net("cloud-init__ip-route-v4.txt"), "inet"))
    assert.equal(routes.length, 3)
    const defs = defaultRoutes(routes)
    assert.deepEqual(defs.map((r) => `${r.gateway} ${r.dev} ${r.metric}`), [
      "192.168.2.1 enp0s25 100",
      "192.168.2.1 wlp3s0 150",
    ])
    assert.equal(routes[2]?.src, "192.168.2.18")
    assert.equal(routes[2]?.scope, "link")
  })

  it("cloud-init text v6: default via link-local, typed local routes", () => {
    const routes = ok(parseIpRoute(net("cloud-init__ip-route-v6.txt"), "inet6"))
    assert.equal(routes.length, 11)
    assert.ok(routes.every((r) => r.family === "inet6"))
    const defs = defaultRoutes(routes)
    assert.deepEqual(defs.map((r) => `${r.gateway} ${r.dev}`), ["fe80::32ee:54de:cd43:b4e1 enp0s25"])
    const local = routes.find((r) => r.dst === "::1")
    assert.equal(local?.type, "local")
    assert.equal(local?.table, "local")
    assert.equal(routes[0]?.metric, 256)
  })

  it("netplan JSON: defaults of the main table only", () => {
    const v4 = ok(parseIpRoute(net("netplan__ip-d-j-route-4.json"), "inet"))
    assert.equal(v4.length, 7)
    assert.deepEqual(defaultRoutes(v4).map((r) => `${r.gateway} ${r.dev} ${r.metric} ${r.protocol}`), [
      "192.168.178.1 enp0s31f6 100 dhcp",
      "192.168.178.1 wlan0 600 dhcp",
    ])
    const v6 = ok(parseIpRoute(net("netplan__ip-d-j-route-6.json"), "inet6"))
    assert.equal(v6.length, 10)
    // The enp0s31f6 default sits in table 1234: only wlan0's is in main.
    assert.deepEqual(defaultRoutes(v6).map((r) => `${r.dev} ${r.metric} ${r.family}`), ["wlan0 20600 inet6"])
  })

  it("malformed routes are typed errors", () => {
    assert.match(err(parseIpRoute("default via 10.0.0.1 dev eth0 metric lots", "inet")).message, /metric/)
    assert.match(err(parseIpRoute("default via", "inet")).message, /no value/)
    assert.match(err(parseIpRoute('[{"dst": 5}]', "inet")).message, /route JSON/)
    assert.match(err(parseIpRoute("[oops", "inet")).message, /invalid JSON/)
  })
})

describe("listening sockets (ss, netstat)", () => {
  it("ss -tulpn: 13 sockets with processes, both users:() formats", () => {
    const s = ok(parseSs(net("insights__ss-tulpn.txt")))
    assert.equal(s.length, 13)
    assert.equal(s.filter((x) => x.protocol === "tcp").length, 7)
    const sshd = s.find((x) => x.port === 22)
    assert.deepEqual(sshd?.processes, [{ name: "sshd", pid: 1231, fd: 3 }])
    const smtp = s.find((x) => x.port === 25)
    assert.equal(smtp?.local_address, "127.0.0.1")
    assert.deepEqual(smtp?.processes, [{ name: "master", pid: 2612, fd: 13 }])
    const v6 = s.find((x) => x.port === 2223)
    assert.equal(v6?.local_address, "::")
  })

  it("ss -tupna: several processes on one socket; -H form equals the headed form", () => {
    const s = ok(parseSs(net("insights__ss-tupna.txt")))
    assert.equal(s.length, 8)
    assert.deepEqual(s.find((x) => x.protocol === "tcp" && x.port === 111)?.processes.map((p) => p.pid), [1139, 1])
    const headed = net("insights__ss-tulpn.txt")
    const headless = headed.split("\n").slice(1).join("\n")
    assert.deepEqual(ok(parseSs(headless)), ok(parseSs(headed)))
  })

  it("ss -a: unix/netlink/packet rows skipped, service-name ports kept", () => {
    const s = ok(parseSs(net("jc__centos-7.7__ss-a.txt")))
    assert.equal(s.length, 10)
    const ssh = s.find((x) => x.state === "LISTEN" && x.local_port === "ssh" && x.local_address === "::")
    assert.ok(ssh)
    assert.equal(ssh.port, null)
    assert.equal(s.filter((x) => x.state === "ESTAB").length, 2)
  })

  it("netstat -lnp: internet part only, udp without state", () => {
    const s = ok(parseNetstat(net("jc__ubuntu-18.04__netstat-lnp.txt")))
    assert.equal(s.length, 7)
    assert.deepEqual(s[0], {
      protocol: "tcp",
      state: "LISTEN",
      local_address: "127.0.0.1",
      local_port: "42351",
      port: 42351,
      peer: "0.0.0.0:*",
      processes: [{ name: "containerd", pid: 1112, fd: null }],
    })
    const udp = s.filter((x) => x.protocol === "udp")
    assert.equal(udp.length, 2)
    assert.ok(udp.every((x) => x.state === null))
    assert.equal(s.find((x) => x.local_address === "::" && x.port === 22)?.processes[0]?.name, "sshd")
  })

  it("garbage rows are typed errors", () => {
    assert.match(err(parseSs("tcp LISTEN zero 0 *:22 *:*")).message, /Recv-Q/)
    assert.match(err(parseSs("tcp")).message, /State/)
    assert.match(
      err(parseNetstat("Proto Recv-Q Send-Q Local Address Foreign Address State\nwhat is this")).message,
      /Proto/,
    )
  })
})

/** A full framed output built from real fixtures (as if the host had answered with them). */
const fixtureOutput = (
  overrides: Record<string, string> = {},
  exitCodes: Record<string, number> = {},
): CommandResult => {
  const dev = net("procfs__proc-net-dev.txt")
  // Second sample: every counter of eth0 moved on; lo untouched.
  const moved = dev.replace(
    /^(\s*eth0:)\s*(\d+)\s+(\d+)/m,
    (_m, p: string, b: string, pk: string) => `${p} ${Number(b) + 4000} ${Number(pk) + 10}`,
  )
  return framed(
    {
      addr: net("netplan__ip-d-j-addr_compact.json"),
      sample1: `100.00 50.00\n${dev}`,
      sample2: `102.00 51.00\n${moved}`,
      route4: net("netplan__ip-d-j-route-4.json"),
      route6: net("netplan__ip-d-j-route-6.json"),
      speed: "enp0s31f6 1000\nwlan0 -1\nlo 4294967295",
      listening: net("insights__ss-tulpn.txt").split("\n").slice(1).join("\n"),
      ...overrides,
    },
    exitCodes,
  )
}

describe("parseNetworkInterfaces (whole script output)", () => {
  it("JSON links, counters/rates from the two samples, speeds, routes, sockets", () => {
    const d = ok(parseNetworkInterfaces(fixtureOutput()))
    assert.equal(d.source, "ip-json")
    assert.equal(d.interfaces.length, 7)
    assert.equal(d.sample_seconds, 2)
    const lo = d.interfaces.find((i) => i.name === "lo")
    assert.equal(lo?.counters?.rx_bytes, 1664039048, "counters come from /proc/net/dev for interfaces it lists")
    assert.deepEqual(lo?.rates, {
      rx_bytes_per_sec: 0,
      tx_bytes_per_sec: 0,
      rx_packets_per_sec: 0,
      tx_packets_per_sec: 0,
    })
    const e = d.interfaces.find((i) => i.name === "enp0s31f6")
    assert.equal(e?.speed_mbps, 1000)
    assert.equal(e?.counters, null, "not in /proc/net/dev and ip gave no -s stats")
    assert.equal(e?.rates, null)
    assert.equal(d.interfaces.find((i) => i.name === "wlan0")?.speed_mbps, null, "-1 means unknown")
    assert.equal(d.default_routes[0]?.gateway, "192.168.178.1")
    assert.equal(d.default_routes[0]?.dev, "enp0s31f6")
    assert.equal(d.routes.length, 17)
    assert.equal(d.listening.available, true)
    assert.equal(d.listening.sockets.length, 13)
  })

  it("rates over the /proc/uptime interval", () => {
    const d = ok(parseNetworkInterfaces(fixtureOutput({ addr: "" }, { addr: 127 })))
    assert.equal(d.source, "proc-net-dev", "no ip at all: interfaces come from /proc/net/dev")
    assert.deepEqual(d.interfaces.map((i) => i.name), ["vethf345468", "lo", "docker0", "eth0"])
    const eth0 = d.interfaces.find((i) => i.name === "eth0")
    assert.deepEqual(eth0?.rates, {
      rx_bytes_per_sec: 2000,
      tx_bytes_per_sec: 0,
      rx_packets_per_sec: 5,
      tx_packets_per_sec: 0,
    })
    assert.equal(eth0?.counters?.rx_bytes, 874354587 + 4000)
    assert.equal(eth0?.mtu, null)
  })

  it("without /proc/uptime the nominal interval is used", () => {
    const dev = net("procfs__proc-net-dev.txt")
    const moved = dev.replace(/^(\s*eth0:)\s*(\d+)/m, (_m, p: string, b: string) => `${p} ${Number(b) + 4000}`)
    const eth0 = (interval: string) =>
      ok(parseNetworkInterfaces(fixtureOutput({ addr: "", sample1: dev, sample2: moved }, { addr: 127 }), { interval }))
        .interfaces.find((i) => i.name === "eth0")
    assert.equal(eth0("0.5")?.rates?.rx_bytes_per_sec, 8000)
    assert.equal(eth0("2")?.rates?.rx_bytes_per_sec, 2000)
    assert.equal(eth0("nonsense")?.rates?.rx_bytes_per_sec, 8000, "bad params fall back to the default, never NaN")
  })

  it("text ip output is used when ip -j is unavailable", () => {
    const d = ok(
      parseNetworkInterfaces(
        fixtureOutput({ addr: net("insights__ip-d-s-link_bond.txt"), route4: net("cloud-init__ip-route-v4.txt") }),
      ),
    )
    assert.equal(d.source, "ip-text")
    assert.equal(d.interfaces.find((i) => i.name === "bond0")?.bond?.mode, "active-backup")
    assert.equal(
      d.interfaces.find((i) => i.name === "enp1s0")?.counters?.rx_bytes,
      6539676111,
      "ip -s counters when /proc/net/dev lacks the interface",
    )
    assert.equal(d.default_routes[0]?.gateway, "192.168.2.1")
  })

  it("missing optional parts are represented, not errors", () => {
    const d = ok(
      parseNetworkInterfaces(
        fixtureOutput({ listening: "", route4: "", route6: "", speed: "", sample1: "" }, {
          listening: 127,
          route4: 127,
          route6: 127,
        }),
      ),
    )
    assert.deepEqual(d.listening, { available: false, sockets: [] })
    assert.deepEqual(d.routes, [])
    assert.equal(d.sample_seconds, null)
    assert.ok(d.interfaces.every((i) => i.rates === null))
    const noSockets = ok(parseNetworkInterfaces(fixtureOutput({ listening: "" })))
    assert.deepEqual(noSockets.listening, { available: true, sockets: [] }, "ss ran fine and found nothing")
  })

  it("netstat output in the listening section is parsed as netstat", () => {
    const d = ok(parseNetworkInterfaces(fixtureOutput({ listening: net("jc__ubuntu-18.04__netstat-lnp.txt") })))
    assert.equal(d.listening.sockets.length, 7)
  })

  it("errors: nothing usable, missing sections, malformed parts", () => {
    assert.match(
      err(parseNetworkInterfaces(fixtureOutput({ addr: "", sample1: "", sample2: "" }, { addr: 127, sample2: 1 })))
        .message,
      /neither ip nor/,
    )
    const missing = err(parseNetworkInterfaces(framed({ addr: "[]" })))
    assert.equal(missing.at, "sample2")
    assert.equal(err(parseNetworkInterfaces({ ...fixtureOutput(), stdout: "bash: syntax error" })).at, "addr")
    assert.equal(err(parseNetworkInterfaces(fixtureOutput({ addr: '[{"ifname": 3}]' }))).at, "addr")
    assert.equal(err(parseNetworkInterfaces(fixtureOutput({ sample2: "1.0 2.0\neth0: 1 2" }))).at, "sample2:1")
    assert.equal(err(parseNetworkInterfaces(fixtureOutput({ route6: "default via" }))).at, "route6:1")
  })

  it("toRows: one row per interface with CIDR lists and the record in data", () => {
    const d = ok(parseNetworkInterfaces(fixtureOutput()))
    const rows = networkInterfaces.toRows(d)
    assert.equal(rows.length, 7)
    const wlan = rows.find((r) => r["interface"] === "wlan0")
    assert.deepEqual(wlan?.["ipv4"], ["192.168.178.142/24"])
    assert.equal((wlan?.["ipv6"] as Array<string>).length, 3)
    assert.equal(wlan?.["mac"], "1c:4d:70:e4:e4:0e")
    assert.equal(wlan?.["state"], "UP")
    const lo = rows.find((r) => r["interface"] === "lo")
    assert.equal(lo?.["rx_bytes"], 1664039048)
    assert.equal(lo?.["rx_bytes_per_sec"], 0)
    assert.equal((lo?.["data"] as { name: string }).name, "lo")
  })
})

describe("robustness: truncated and mutated inputs never throw", () => {
  const files = listFixtures("network")
  it("every truncation point of every fixture", () => {
    for (const f of files) {
      const text = net(f)
      const parse = parserFor(f)
      const step = Math.max(1, Math.floor(text.length / 60))
      for (let n = 0; n < text.length; n += step) outcome(() => parse(text.slice(0, n)))
    }
  })

  it("random byte and line mutations", () => {
    const rnd = prng(42)
    const junk = ["", "x", "-1", ":", "[", "{", "}", '"', " ", "\n", "NaN", "@@", "99999999999999999999999", "<>", "/"]
    for (const f of files) {
      const text = net(f)
      const parse = parserFor(f)
      for (let k = 0; k < 40; k++) {
        const chars = [...text]
        for (let m = 0; m < 3; m++) {
          chars[Math.floor(rnd() * chars.length)] = junk[Math.floor(rnd() * junk.length)] as string
        }
        outcome(() => parse(chars.join("")))
        const lines = text.split("\n")
        lines.splice(Math.floor(rnd() * lines.length), 1, junk[Math.floor(rnd() * junk.length)] as string)
        outcome(() => parse(lines.join("\n")))
      }
    }
  })

  it("whole-output truncations", () => {
    const full = fixtureOutput().stdout
    for (let n = 0; n < full.length; n += 97) {
      outcome(() => parseNetworkInterfaces({ ...fixtureOutput(), stdout: full.slice(0, n) }))
    }
  })
})

describe("script parameters", () => {
  it("interval is validated and quoted", () => {
    assert.match(networkInterfacesScript({}), /sleep 0\.5 /)
    assert.match(networkInterfacesScript({ interval: "2" }), /sleep 2 /)
    for (const bad of ["0", "abc", "10", "1; rm -rf /", "-1"]) {
      assert.throws(() => networkInterfacesScript({ interval: bad }), ValidationError)
    }
  })
})

describe("script through /bin/sh with fake ip/ss/netstat on PATH", () => {
  let dir = ""
  const dirs: Array<string> = []
  const runWith = (gen: NetworkToolGeneration) => {
    dir = mkdtempSync(path.join(os.tmpdir(), `infra-net-${gen}-`))
    dirs.push(dir)
    for (const [name, body] of Object.entries(networkShimsFor(gen))) {
      writeFileSync(path.join(dir, name), body)
      chmodSync(path.join(dir, name), 0o755)
    }
    const script = networkInterfaces.script({})
    const stdout = execFileSync("/bin/sh", ["-c", script], {
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` },
    })
    return ok(
      networkInterfaces.parse({
        stdout,
        stderr: "",
        exitCode: 0,
        durationMs: 0,
        bytes: stdout.length,
        truncated: false,
      }, {}),
    )
  }
  before(() => assert.ok(existsSync("/bin/sh")))
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  const hostHasLo = existsSync("/proc/net/dev") && /^\s*lo:/m.test(readFileSync("/proc/net/dev", "utf8"))

  it("modern tools: JSON links and routes, ss -H, rates for lo from this host", () => {
    const d = runWith("modern")
    assert.equal(d.source, "ip-json")
    assert.deepEqual(
      d.interfaces.map((i) => i.name),
      ok(parseIpJson(net(NETWORK_FIXTURES.addrJson))).map((l) => l.name),
    )
    assert.equal(d.default_routes[0]?.gateway, "192.168.178.1")
    assert.equal(d.listening.sockets.length, 13)
    if (hostHasLo) {
      const lo = d.interfaces.find((i) => i.name === "lo")
      assert.ok(lo?.rates, "lo is sampled twice on this host")
      assert.ok(lo.rates.rx_bytes_per_sec >= 0)
      assert.ok(
        d.sample_seconds !== null && d.sample_seconds > 0.3 && d.sample_seconds < 5,
        `interval ${d.sample_seconds}`,
      )
    }
  })

  it("old iproute2: text fallback for links and routes, ss without -H", () => {
    const d = runWith("old")
    assert.equal(d.source, "ip-text")
    assert.deepEqual(d.interfaces.map((i) => i.name), ["lo", "enp1s0", "enp2s0", "bond0"])
    assert.equal(d.interfaces.find((i) => i.name === "bond0")?.bond?.active_slave, "enp1s0")
    assert.deepEqual(d.default_routes.map((r) => `${r.family} ${r.dev}`), [
      "inet enp0s25",
      "inet6 enp0s25",
      "inet wlp3s0",
    ])
    assert.equal(d.listening.sockets.length, 13)
  })

  it("busybox-like: plain ip addr, no ss, netstat answers", () => {
    const d = runWith("busybox")
    assert.equal(d.source, "ip-text")
    assert.equal(d.interfaces.length, 6)
    assert.equal(d.listening.sockets.length, 7)
  })
})

for (const backend of testBackends()) {
  describe(`network_interfaces rows on ${backend.name}`, () => {
    it("toRows output inserts into the migrated table and reads back", async () => {
      const d = ok(parseNetworkInterfaces(fixtureOutput()))
      const rows = networkInterfaces.toRows(d)
      const program = Effect.gen(function* () {
        const store = yield* Store
        const dev = yield* store.createDevice({ name: "net-host", host: "10.0.0.9" })
        const time = new Date("2026-01-01T00:00:00Z")
        const n = yield* store.insertRows(networkInterfaces.table, rows.map((r) => ({ ...r, time, device_id: dev.id })))
        const back = yield* store.history({ table: networkInterfaces.table, deviceId: dev.id })
        return { n, back }
      })
      const { n, back } = await Effect.runPromise(Effect.provide(program, backend.layer(uniqueSchema("netif"))))
      assert.equal(n, 7)
      const wlan = back.find((r) => r["interface"] === "wlan0")
      assert.deepEqual(wlan?.["ipv4"], ["192.168.178.142/24"])
      assert.equal(Number(back.find((r) => r["interface"] === "lo")?.["rx_bytes"]), 1664039048)
    })
  })
}

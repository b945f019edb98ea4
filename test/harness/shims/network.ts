import { shq } from "../../../src/domain/quote.ts"
import { fixturePath } from "../fixtures.ts"

/**
 * Fake `ip`, `ss` and `netstat` for the network_interfaces script, printing real recorded outputs.
 * The /proc/net/dev and /proc/uptime samples and /sys/class/net speeds are read from the test
 * host itself (its `lo` is also in the ip fixture, so that interface gets counters and rates).
 *
 * Three generations of tools, chosen by the shim set:
 * - modern: `ip -j` works (JSON fixtures), `ss -H` works;
 * - old: iproute2 without -j (text `ip -s -d`), ss without -H;
 * - busybox: ip knows neither -j nor -s/-d (plain `ip addr`), no ss at all (netstat answers).
 */
export type NetworkToolGeneration = "modern" | "old" | "busybox"

const net = (file: string): string => shq(fixturePath("network", file))

export const NETWORK_FIXTURES = {
  addrJson: "netplan__ip-d-j-addr_compact.json",
  route4Json: "netplan__ip-d-j-route-4.json",
  route6Json: "netplan__ip-d-j-route-6.json",
  /** `ip -d -s link`: the closest recorded text to `ip -s -d addr`. */
  addrDetailsText: "insights__ip-d-s-link_bond.txt",
  addrText: "insights__ip-addr_with-noise-lines.txt",
  route4Text: "cloud-init__ip-route-v4.txt",
  route6Text: "cloud-init__ip-route-v6.txt",
  ss: "insights__ss-tulpn.txt",
  netstat: "jc__ubuntu-18.04__netstat-lnp.txt",
} as const

const F = NETWORK_FIXTURES

const ip = (gen: NetworkToolGeneration): string =>
  `#!/bin/sh
# fake ip (${gen}): the invocations the network_interfaces script makes
gen=${gen}
case "$1" in
  -j)
    if [ "$gen" != modern ]; then echo 'Option "-j" is unknown, try "ip -help".' >&2; exit 255; fi ;;
  -s|-d)
    if [ "$gen" = busybox ]; then echo "ip: invalid option -- '\${1#-}'" >&2; exit 1; fi ;;
esac
case "$*" in
  "-j -s -d addr show") cat ${net(F.addrJson)} ;;
  "-j -4 route show") cat ${net(F.route4Json)} ;;
  "-j -6 route show") cat ${net(F.route6Json)} ;;
  "-s -d addr show") cat ${net(F.addrDetailsText)} ;;
  "addr show") cat ${net(F.addrText)} ;;
  "-4 route show") cat ${net(F.route4Text)} ;;
  "-6 route show") cat ${net(F.route6Text)} ;;
  *) echo "ip: unsupported arguments in test shim: $*" >&2; exit 255 ;;
esac
`

const ss = (gen: NetworkToolGeneration): string =>
  `#!/bin/sh
# fake ss (${gen})
gen=${gen}
if [ "$gen" = busybox ]; then echo "sh: ss: not found" >&2; exit 127; fi
case "$*" in
  -Htulpn)
    if [ "$gen" = old ]; then echo "ss: invalid option -- 'H'" >&2; exit 1; fi
    # -H: no header line
    sed 1d ${net(F.ss)} ;;
  -tulpn) cat ${net(F.ss)} ;;
  *) echo "ss: unsupported arguments in test shim: $*" >&2; exit 1 ;;
esac
`

const netstat = `#!/bin/sh
# fake netstat: the recorded listing is \`netstat -lnp\`, the closest to -tulpn
case "$*" in
  -tulpn) cat ${net(F.netstat)} ;;
  *) echo "netstat: unsupported arguments in test shim: $*" >&2; exit 1 ;;
esac
`

export const networkShimsFor = (gen: NetworkToolGeneration): Record<string, string> => ({
  ip: ip(gen),
  ss: ss(gen),
  netstat,
})

export const networkShims: Record<string, string> = networkShimsFor("modern")

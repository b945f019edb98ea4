import { jsonColumn } from "../../domain/json.ts"
import { ValidationError } from "../../domain/errors.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { Effect } from "effect"
import type { Device } from "../../domain/device.ts"
import type { StoreError } from "../../domain/errors.ts"
import type { StoreShape } from "../../store/Store.ts"
import { timeOf, usableGap } from "../../pipeline/previous-read.ts"
import { parseNetworkInterfaces, PREVIOUS_COUNTERS } from "./parse-network-interfaces.ts"
import { section } from "../shared/sections.ts"
import { shq } from "../../domain/quote.ts"
import { type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"
import { NetworkInterfaces } from "./parse/schema.ts"

/** Seconds between the two counter samples: `interval` param, 0.1–5, default 0.5. */
export const sampleInterval = (params: Params): number => {
  const raw = params["interval"]
  if (raw === undefined || raw === "") return 0.5
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0.1 || n > 5) {
    throw new ValidationError({
      message: "interval must be a number of seconds between 0.1 and 5",
      details: { interval: raw },
    })
  }
  return n
}

const SAMPLE = "cat /proc/uptime /proc/net/dev"

/**
 * One round trip: links + addresses (+ stats, details) from `ip -j`, falling back to text `ip`;
 * two /proc/net/dev samples around a short sleep for rates (/proc/uptime timestamps them);
 * routes; link speeds; listening sockets. Link speeds are read with the `read` builtin: a process
 * per interface would cost a docker host with fifty veths a hundred forks. No subshell of its own:
 * the transports already run each script in one (src/ssh/framing.ts, `sh -c` locally).
 */
export const networkInterfacesScript = (params: Params): string => {
  const interval = sampleInterval(params)
  return [
    section("addr", "ip -j -s -d addr show || ip -s -d addr show || ip addr show"),
    // With the previous read's counters (prepare), they are the first sample: no sleep on the host.
    ...(typeof params[PREVIOUS_COUNTERS] === "string" ? [] : [
      section("sample1", SAMPLE),
      // Busybox sleep may lack fractions: fall back to whole seconds (/proc/uptime keeps the rate right).
      `sleep ${shq(interval)} 2>/dev/null || sleep ${shq(Math.ceil(interval))}`,
    ]),
    section("sample2", SAMPLE),
    section("route4", "ip -j -4 route show || ip -4 route show"),
    section("route6", "ip -j -6 route show || ip -6 route show"),
    section(
      "speed",
      // A down link's speed file fails to read (EINVAL): no line for it.
      `for d in /sys/class/net/*; do s=; { read -r s <"$d/speed"; } 2>/dev/null && printf '%s %s\\n' "\${d##*/}" "$s"; done; true`,
    ),
    section("listening", "ss -Htulpn || ss -tulpn || netstat -tulpn"),
  ].join("\n")
}

/**
 * The newest stored collection's counters and the uptime they were read at, if recent, as the first
 * sample (a param callers cannot set: `interval` is the only one the Schema allows). An explicit
 * `interval` asks for a fresh sample; no usable previous read, or a store that cannot answer, too.
 */
const prepare = (store: StoreShape, device: Device, params: Params): Effect.Effect<Params, StoreError> =>
  params["interval"] !== undefined ? Effect.succeed(params) : store.history({
    table: "network_interfaces",
    deviceId: device.id,
    limit: PREVIOUS_ROWS,
  }).pipe(
    Effect.map((rows) => {
      const newest = rows[0]
      if (newest === undefined || !usableGap(newest["time"])) return params
      const at = timeOf(newest["time"])
      const counters: Record<string, unknown> = {}
      let uptime: number | null = null
      for (const row of rows) {
        if (timeOf(row["time"]) !== at) break
        const data = jsonColumn(row["data"]) as { name?: unknown; counters?: unknown; sample_uptime?: unknown }
        if (typeof data?.name !== "string" || typeof data.sample_uptime !== "number") return params
        if (data.counters !== null && data.counters !== undefined) counters[data.name] = data.counters
        uptime = data.sample_uptime
      }
      return uptime === null ? params : { ...params, [PREVIOUS_COUNTERS]: JSON.stringify({ uptime, counters }) }
    }),
    Effect.catch(() => Effect.succeed(params)),
  )

/** Rows read back for the previous collection: one per interface, newest first. */
const PREVIOUS_ROWS = 512

const cidrs = (i: NetworkInterfaces["interfaces"][number], family: "inet" | "inet6"): Array<string> =>
  i.addresses.filter((a) => a.family === family).map((
    a,
  ) => (a.prefixlen === null ? a.address : `${a.address}/${a.prefixlen}`))

export const networkInterfaces: DataTypeSpec<NetworkInterfaces> = {
  name: "network_interfaces",
  pollable: true,
  mcpTool: {
    name: "get_network_interfaces",
    title: "Network interfaces",
    description: "Network interfaces: state, MTU, MAC, addresses, link speed, counters and error/drop counts.",
  },
  params: params({ interval: "seconds between the two counter samples for rates, 0.1-5 (default 0.5)" }),
  description:
    "Network interfaces: state, MTU, MAC, addresses, bond/bridge membership, counters and rx/tx rates (since the previous read, or over a short sample for a first read or an explicit interval), default routes and listening sockets.",
  output: NetworkInterfaces,
  table: "network_interfaces",
  ttlSeconds: 120,
  timeout: "20 seconds",
  retry: transportRetry,
  maxOutputBytes: 4 * 1024 * 1024,
  prepare,
  script: networkInterfacesScript,
  parse: parseNetworkInterfaces,
  toRows: (data) =>
    data.interfaces.map((i) => ({
      interface: i.name,
      state: i.state,
      mtu: i.mtu,
      mac: i.mac,
      ipv4: cidrs(i, "inet"),
      ipv6: cidrs(i, "inet6"),
      rx_bytes: i.counters?.rx_bytes ?? null,
      tx_bytes: i.counters?.tx_bytes ?? null,
      rx_bytes_per_sec: i.rates?.rx_bytes_per_sec ?? null,
      tx_bytes_per_sec: i.rates?.tx_bytes_per_sec ?? null,
      rx_errors: i.counters?.rx_errors ?? null,
      tx_errors: i.counters?.tx_errors ?? null,
      // The uptime the counters were read at, so the next read can take its rates from them.
      data: { ...i, sample_uptime: data.sample_uptime },
    })),
}

import { jsonColumn } from "../../domain/json.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { usableGap } from "../../pipeline/previous-read.ts"
import { section } from "../shared/sections.ts"
import { shCommand } from "../../domain/quote.ts"
import { Effect } from "effect"
import {
  parseSystemMetrics,
  PREVIOUS_SAMPLE,
  previousSampleOf,
  SECTIONS as S,
  type SystemMetrics,
  SystemMetricsSchema,
} from "./parse-system-metrics.ts"
import { type DataTypeSpec, noParams, type Params } from "../../pipeline/DataType.ts"
import type { Device } from "../../domain/device.ts"
import type { StoreError } from "../../domain/errors.ts"
import type { StoreShape } from "../../store/Store.ts"

/** Every /proc file of a sample, read by one grep (`path:line`); the ~128 KB intr line of /proc/stat is left out. */
const SAMPLE1 = ["/proc/stat", "/proc/uptime", "/proc/net/dev"]
const SAMPLE2 = [
  ...SAMPLE1,
  "/proc/meminfo",
  "/proc/loadavg",
  "/proc/sys/kernel/hostname",
  "/proc/pressure/cpu",
  "/proc/pressure/memory",
  "/proc/pressure/io",
]
const hasPrevious = (params: Params): boolean => typeof params[PREVIOUS_SAMPLE] === "string"

/**
 * The device's last stored read, if recent, as the first sample (its counters, as JSON in a param the
 * caller cannot set: params are checked against noParams first). Without one, or if the store cannot
 * answer, the read samples for itself.
 */
const prepare = (store: StoreShape, device: Device, params: Params): Effect.Effect<Params, StoreError> =>
  store.history({ table: "system_metrics", deviceId: device.id, limit: 1 }).pipe(
    Effect.map((rows) => {
      const row = rows[0]
      if (row === undefined || !usableGap(row["time"])) return params
      const previous = previousSampleOf(jsonColumn(row["data"]))
      return previous === null ? params : { ...params, [PREVIOUS_SAMPLE]: JSON.stringify(previous) }
    }),
    Effect.catch(() => Effect.succeed(params)),
  )

const grepFiles = (files: ReadonlyArray<string>) => `grep -H -v '^intr ' ${shCommand(...files)}`

/**
 * df: GNU flags first (-T for the type, -B1 for bytes) under `timeout 5`, so a hung network mount
 * cannot stall the whole read; a first answer that starts with df's header is the common case and
 * costs two processes. Only when it fails (busybox, no timeout) is `timeout` probed and the other flags
 * tried. 124 is timeout's "timed out": a hung mount, so no retry without it.
 */
const DF = [
  "t='timeout 5'",
  'd() { o=$(LC_ALL=C $t df "$@" 2>/dev/null); r=$?; case $o in Filesystem*) return 0;; esac; return 1; }',
  'if d -PTB1 || [ "$r" = 124 ]; then :; else',
  "timeout 5 true >/dev/null 2>&1 || t=''",
  "d -PTB1 || d -PB1 || { o=''; LC_ALL=C $t df -Pk; r=$?; }",
  "fi",
  '[ -z "$o" ] || printf \'%s\\n\' "$o"',
  '[ "$r" = 0 ]',
].join("\n")

/**
 * One round trip, POSIX sh (dash, busybox ash), few processes: each fork+exec costs the host more than
 * everything else the read does. One grep reads /proc/stat, /proc/net/dev, /proc/uptime, meminfo,
 * loadavg, hostname and PSI. CPU % and network rates are deltas against the previous read's counters
 * (prepare); for a first read, or after a gap, the script takes its own first sample half a second
 * earlier, and the uptime pair measures the real interval either way.
 * Shell builtins do the rest: the usable CPUs (Cpus_allowed_list, what nproc counts) and the number of
 * processes (a glob over /proc). df is the one other program (see DF). Its variables and function
 * live only as long as the read: the transports run each script in a subshell (src/ssh/framing.ts).
 */
export const systemMetricsScript = (params: Params = {}): string =>
  [
    // With the previous read's counters (prepare), its sample is the first one: no sleep.
    ...(hasPrevious(params)
      ? []
      : [section(S.sample1, grepFiles(SAMPLE1)), "LC_ALL=C sleep 0.5 2>/dev/null || sleep 1"]),
    section(S.sample2, grepFiles(SAMPLE2)),
    section(
      S.cpusAllowed,
      'while read -r k v; do if [ "$k" = Cpus_allowed_list: ]; then echo "$v"; break; fi; done </proc/self/status',
    ),
    section(S.pids, "set -- /proc/[0-9]*; echo $#"),
    section(S.df, DF),
  ].join("\n")

export const systemMetrics: DataTypeSpec<SystemMetrics> = {
  name: "system_metrics",
  pollable: true,
  mcpTool: {
    name: "get_system_metrics",
    title: "System metrics",
    description:
      "CPU (total/per core, iowait, steal), memory and swap, load, uptime, processes, disk usage per mount, network rates, pressure stall info of one device, right now (or cached ≤ 5 min).",
  },
  params: noParams,
  description:
    "CPU (total, per core, iowait, steal since the previous read, or over a 0.5 s sample for a first read), memory and swap, load, uptime, process count, " +
    "disk usage per mount, network counters and rates, pressure stall information.",
  output: SystemMetricsSchema,
  table: "system_metrics",
  ttlSeconds: 300,
  timeout: "15 seconds",
  retry: transportRetry,
  prepare,
  script: systemMetricsScript,
  parse: (result, params) => parseSystemMetrics(result, params),
  toRows: (m) => [
    {
      cpu_percent: m.cpu.total.busy_percent,
      cpu_iowait_percent: m.cpu.total.iowait_percent,
      cpu_steal_percent: m.cpu.total.steal_percent,
      mem_total_bytes: m.memory.total_bytes,
      mem_available_bytes: m.memory.available_bytes,
      mem_used_percent: m.memory.used_percent,
      swap_total_bytes: m.memory.swap_total_bytes,
      swap_used_bytes: m.memory.swap_used_bytes,
      load1: m.load.load1,
      load5: m.load.load5,
      load15: m.load.load15,
      uptime_seconds: m.uptime.uptime_seconds,
      process_count: m.processes.count,
      disk_used_percent_max: m.disk.used_percent_max,
      // Cumulative counters (all interfaces but lo) so any two rows give a rate; per-second rates are in data.
      net_rx_bytes: m.network.totals.rx_bytes,
      net_tx_bytes: m.network.totals.tx_bytes,
      data: m,
    },
  ],
}

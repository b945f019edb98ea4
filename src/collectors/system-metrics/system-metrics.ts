import { transportRetry } from "../../domain/schedules.ts"
import { section } from "../shared/sections.ts"
import { parseSystemMetrics, SECTIONS as S, type SystemMetrics, SystemMetricsSchema } from "./parse-system-metrics.ts"
import { type DataTypeSpec, noParams } from "../../pipeline/DataType.ts"

/**
 * One round trip, POSIX sh (dash, busybox ash). CPU, network and uptime are read twice,
 * back to back, half a second apart: the rates come from the delta inside this one script,
 * and the uptime pair measures the real interval. Only the `cpu` lines of /proc/stat are sent
 * (its `intr` line can be ~128 KB). df: -T and -B1 when supported (GNU), else -Pk (busybox);
 * under `timeout 5` when that works, so a hung network mount cannot stall the whole read.
 * Commands that set variables run in a subshell: the shell channel may be reused.
 */
export const systemMetricsScript = (): string =>
  [
    section(S.hostname, "cat /proc/sys/kernel/hostname || hostname"),
    section(S.nproc, "nproc || getconf _NPROCESSORS_ONLN"),
    section(S.cpu1, "grep '^cpu' /proc/stat"),
    section(S.net1, "cat /proc/net/dev"),
    section(S.up1, "cat /proc/uptime"),
    "LC_ALL=C sleep 0.5 2>/dev/null || sleep 1",
    section(S.cpu2, "grep '^cpu' /proc/stat"),
    section(S.net2, "cat /proc/net/dev"),
    section(S.up2, "cat /proc/uptime"),
    section(S.counters, "grep -E '^(ctxt|btime|processes|procs_running|procs_blocked) ' /proc/stat"),
    section(S.meminfo, "cat /proc/meminfo"),
    section(S.loadavg, "cat /proc/loadavg"),
    section(S.pids, "ls /proc | grep -c '^[0-9]'"),
    section(
      S.df,
      // Probe timeout by running it: old busybox only understands `timeout -t 5`.
      "( t=''; if timeout 5 true >/dev/null 2>&1; then t='timeout 5'; fi; " +
        "if LC_ALL=C $t df -PTB1 / >/dev/null 2>&1; then LC_ALL=C $t df -PTB1; " +
        "elif LC_ALL=C $t df -PB1 / >/dev/null 2>&1; then LC_ALL=C $t df -PB1; " +
        "else LC_ALL=C $t df -Pk; fi )",
    ),
    section(S.psiCpu, "cat /proc/pressure/cpu"),
    section(S.psiMemory, "cat /proc/pressure/memory"),
    section(S.psiIo, "cat /proc/pressure/io"),
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
    "CPU (total, per core, iowait, steal over a 0.5 s sample), memory and swap, load, uptime, process count, " +
    "disk usage per mount, network counters and rates, pressure stall information.",
  output: SystemMetricsSchema,
  table: "system_metrics",
  ttlSeconds: 300,
  timeout: "15 seconds",
  retry: transportRetry,
  script: () => systemMetricsScript(),
  parse: (result) => parseSystemMetrics(result),
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

import { Result, Schema } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { CommandResult } from "../../domain/command.ts"
import { inSection as labelled, type Section, splitSections } from "../shared/sections.ts"
import { parseFail, SYSTEM_METRICS, toCount } from "./parse/common.ts"
import { diskUsedPercentMax, parseDf } from "./parse/df.ts"
import { parseLoadavg } from "./parse/loadavg.ts"
import { parseMeminfo } from "./parse/meminfo.ts"
import { netRates, parseNetDev } from "./parse/netdev.ts"
import { parsePressure, type Pressure } from "./parse/pressure.ts"
import { cpuPercentFromSamples, parseProcStat } from "./parse/stat.ts"
import { parseUptime } from "./parse/uptime.ts"

/** Section names printed by the system_metrics script (src/collectors/system-metrics/system-metrics.ts). */
export const SECTIONS = {
  hostname: "hostname",
  nproc: "nproc",
  cpu1: "cpu1",
  net1: "net1",
  up1: "up1",
  cpu2: "cpu2",
  net2: "net2",
  up2: "up2",
  counters: "stat_counters",
  meminfo: "meminfo",
  loadavg: "loadavg",
  pids: "pids",
  df: "df",
  psiCpu: "psi_cpu",
  psiMemory: "psi_memory",
  psiIo: "psi_io",
} as const

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Percent = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 100 }))
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

const CpuUsageFields = {
  busy_percent: Percent,
  user_percent: Percent,
  system_percent: Percent,
  iowait_percent: Percent,
  steal_percent: Percent,
  delta_jiffies: Count,
}

const NetCounterFields = {
  rx_bytes: Count,
  rx_packets: Count,
  rx_errors: Count,
  rx_dropped: Count,
  tx_bytes: Count,
  tx_packets: Count,
  tx_errors: Count,
  tx_dropped: Count,
}

const PressureLine = Schema.Struct({ avg10: Percent, avg60: Percent, avg300: Percent, total_micros: Count })
const PressureSchema = Schema.Struct({ some: Schema.NullOr(PressureLine), full: Schema.NullOr(PressureLine) })

export const SystemMetricsSchema = Schema.Struct({
  hostname: Schema.String,
  /** CPUs usable by processes (`nproc`); null when neither nproc nor getconf answered. */
  nproc: Schema.NullOr(Count),
  /** Seconds between the two samples the rates come from. */
  sample_seconds: NonNegative,
  cpu: Schema.Struct({
    /** Online CPUs listed in /proc/stat. */
    count: Count,
    total: Schema.Struct(CpuUsageFields),
    cores: Schema.Array(Schema.Struct({ cpu: Count, ...CpuUsageFields })),
  }),
  memory: Schema.Struct({
    total_bytes: Count,
    free_bytes: Count,
    available_bytes: Count,
    available_estimated: Schema.Boolean,
    buffers_bytes: Count,
    cached_bytes: Count,
    used_bytes: Count,
    used_percent: Percent,
    swap_total_bytes: Count,
    swap_free_bytes: Count,
    swap_used_bytes: Count,
  }),
  load: Schema.Struct({
    load1: NonNegative,
    load5: NonNegative,
    load15: NonNegative,
    running: Count,
    total: Count,
    last_pid: Count,
  }),
  uptime: Schema.Struct({
    uptime_seconds: NonNegative,
    idle_seconds: Schema.NullOr(NonNegative),
    /** Seconds since the epoch (`btime`). */
    boot_time: Schema.NullOr(Count),
  }),
  processes: Schema.Struct({
    /** Numeric directories in /proc. */
    count: Count,
    running: Schema.NullOr(Count),
    blocked: Schema.NullOr(Count),
    created_since_boot: Schema.NullOr(Count),
    context_switches: Schema.NullOr(Count),
  }),
  disk: Schema.Struct({
    mounts: Schema.Array(
      Schema.Struct({
        filesystem: Schema.String,
        type: Schema.NullOr(Schema.String),
        size_bytes: Count,
        used_bytes: Count,
        available_bytes: Count,
        used_percent: Schema.NullOr(Percent),
        mountpoint: Schema.String,
        pseudo: Schema.Boolean,
      }),
    ),
    /** Fullest real (non-pseudo) mount; pseudo ones only when there is nothing else. */
    used_percent_max: Schema.NullOr(Percent),
  }),
  network: Schema.Struct({
    interfaces: Schema.Array(
      Schema.Struct({
        name: Schema.String,
        ...NetCounterFields,
        rx_bytes_per_sec: Schema.NullOr(NonNegative),
        tx_bytes_per_sec: Schema.NullOr(NonNegative),
      }),
    ),
    /** Counters at the second sample, summed over every interface except lo. */
    totals: Schema.Struct(NetCounterFields),
    rx_bytes_per_sec: NonNegative,
    tx_bytes_per_sec: NonNegative,
  }),
  /** PSI; null per resource on kernels without /proc/pressure. */
  pressure: Schema.Struct({
    cpu: Schema.NullOr(PressureSchema),
    memory: Schema.NullOr(PressureSchema),
    io: Schema.NullOr(PressureSchema),
  }),
})

export type SystemMetrics = typeof SystemMetricsSchema.Type

const decode = Schema.decodeUnknownResult(SystemMetricsSchema)

/** Name the section in a per-file parser's error. */
const inSection = <A>(name: string, r: Result.Result<A, ParseError>): Result.Result<A, ParseError> =>
  Result.mapError(r, labelled(name))

const body = (sections: Map<string, Section>, name: string): Result.Result<string, ParseError> => {
  const s = sections.get(name)
  if (s === undefined) return parseFail(SYSTEM_METRICS, `section '${name}' missing from command output`, name)
  if (s.body.trim() === "") {
    return parseFail(SYSTEM_METRICS, `section '${name}' is empty (exit code ${s.exitCode ?? "unknown"})`, name)
  }
  return Result.succeed(s.body)
}

/** Optional sections (PSI): absent, failed or empty means "not supported here". */
const optionalPressure = (sections: Map<string, Section>, name: string): Result.Result<Pressure | null, ParseError> => {
  const s = sections.get(name)
  if (s === undefined || s.exitCode !== 0 || s.body.trim() === "") return Result.succeed(null)
  return inSection(name, parsePressure(s.body, name))
}

/** One count on one line (pids, nproc). */
const singleCount = (text: string, name: string): Result.Result<number, ParseError> => {
  const n = toCount(text.trim())
  return n === undefined
    ? parseFail(SYSTEM_METRICS, `expected a single count, got '${text.trim().slice(0, 40)}'`, name)
    : Result.succeed(n)
}

/** Output of the system_metrics script → Schema-validated metrics, or the first problem found. */
export const parseSystemMetrics = (result: CommandResult): Result.Result<SystemMetrics, ParseError> =>
  Result.gen(function* () {
    const sections = splitSections(result.stdout)
    const S = SECTIONS

    const hostname = (yield* body(sections, S.hostname)).trim()
    const nprocSection = sections.get(S.nproc)
    const nproc = nprocSection !== undefined && nprocSection.body.trim() !== ""
      ? yield* singleCount(nprocSection.body, S.nproc)
      : null

    const stat1 = yield* inSection(S.cpu1, parseProcStat(yield* body(sections, S.cpu1)))
    // Counters ride with the second sample so one ProcStat carries both.
    const counters = sections.get(S.counters)?.body ?? ""
    const stat2 = yield* inSection(S.cpu2, parseProcStat(`${yield* body(sections, S.cpu2)}\n${counters}`))
    const cpu = cpuPercentFromSamples(stat1, stat2)

    const up1 = yield* inSection(S.up1, parseUptime(yield* body(sections, S.up1)))
    const up2 = yield* inSection(S.up2, parseUptime(yield* body(sections, S.up2)))
    const sampleSeconds = Math.max(0, Math.round((up2.uptime_seconds - up1.uptime_seconds) * 100) / 100)

    const net1 = yield* inSection(S.net1, parseNetDev(yield* body(sections, S.net1), S.net1))
    const net2 = yield* inSection(S.net2, parseNetDev(yield* body(sections, S.net2), S.net2))
    const rates = netRates(net1, net2, sampleSeconds)
    const rateOf = new Map(rates.interfaces.map((r) => [r.name, r]))

    const memory = yield* inSection(S.meminfo, parseMeminfo(yield* body(sections, S.meminfo)))
    const load = yield* inSection(S.loadavg, parseLoadavg(yield* body(sections, S.loadavg)))
    const processCount = yield* singleCount(yield* body(sections, S.pids), S.pids)
    const df = yield* inSection(S.df, parseDf(yield* body(sections, S.df)))

    const candidate = {
      hostname,
      nproc,
      sample_seconds: sampleSeconds,
      cpu: { count: stat2.cores.length, total: cpu.total, cores: cpu.cores },
      memory,
      load,
      uptime: { ...up2, boot_time: stat2.bootTime },
      processes: {
        count: processCount,
        running: stat2.procsRunning,
        blocked: stat2.procsBlocked,
        created_since_boot: stat2.processesCreated,
        context_switches: stat2.contextSwitches,
      },
      disk: { mounts: df.mounts, used_percent_max: diskUsedPercentMax(df.mounts) },
      network: {
        interfaces: net2.interfaces.map((n) => ({
          ...n,
          rx_bytes_per_sec: rateOf.get(n.name)?.rx_bytes_per_sec ?? null,
          tx_bytes_per_sec: rateOf.get(n.name)?.tx_bytes_per_sec ?? null,
        })),
        totals: net2.totals,
        rx_bytes_per_sec: rates.rx_bytes_per_sec,
        tx_bytes_per_sec: rates.tx_bytes_per_sec,
      },
      pressure: {
        cpu: yield* optionalPressure(sections, S.psiCpu),
        memory: yield* optionalPressure(sections, S.psiMemory),
        io: yield* optionalPressure(sections, S.psiIo),
      },
    }
    return yield* Result.mapError(
      decode(candidate),
      (e) =>
        new ParseError({
          dataType: SYSTEM_METRICS,
          message: `parsed metrics failed validation: ${e.message}`,
          at: "system_metrics",
        }),
    )
  })

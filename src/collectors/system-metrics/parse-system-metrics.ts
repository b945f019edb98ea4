import { Result, Schema } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { CommandResult, Params } from "../../domain/command.ts"
import { inSection as labelled, type Section, splitSections } from "../shared/sections.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount } from "./parse/common.ts"
import { countCpuList, sectionsFromFiles, splitGrepFiles } from "./parse/grep-files.ts"
import { diskUsedPercentMax, parseDf } from "./parse/df.ts"
import { parseLoadavg } from "./parse/loadavg.ts"
import { parseMeminfo } from "./parse/meminfo.ts"
import { type NetDev, netRates, parseNetDev } from "./parse/netdev.ts"
import { parsePressure, type Pressure } from "./parse/pressure.ts"
import { cpuPercentFromSamples, parseProcStat, type ProcStat } from "./parse/stat.ts"
import { parseUptime } from "./parse/uptime.ts"

/**
 * Section names printed by the system_metrics script (src/collectors/system-metrics/system-metrics.ts).
 * The script prints sample1, sample2 (several /proc files each, from one grep), cpus_allowed, pids
 * and df; the parser splits the samples into the per-file sections earlier scripts printed one by one.
 */
export const SECTIONS = {
  sample1: "sample1",
  sample2: "sample2",
  cpusAllowed: "cpus_allowed",
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
  /**
   * Where the first sample came from: a short one inside this read, the previous read's counters
   * (rates over the interval since it), or zero at boot (the host rebooted since the previous read).
   */
  sample_basis: Schema.optional(Schema.Literals(["short_sample", "previous_read", "since_boot"])),
  /** The `cpu` lines of /proc/stat at this read: the next read's first sample. */
  cpu_jiffies: Schema.optional(Schema.Array(Schema.String)),
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

const SAMPLE1_FILES = { [SECTIONS.up1]: "/proc/uptime", [SECTIONS.net1]: "/proc/net/dev" }
const SAMPLE2_FILES = {
  [SECTIONS.up2]: "/proc/uptime",
  [SECTIONS.net2]: "/proc/net/dev",
  [SECTIONS.meminfo]: "/proc/meminfo",
  [SECTIONS.loadavg]: "/proc/loadavg",
  [SECTIONS.hostname]: "/proc/sys/kernel/hostname",
  [SECTIONS.psiCpu]: "/proc/pressure/cpu",
  [SECTIONS.psiMemory]: "/proc/pressure/memory",
  [SECTIONS.psiIo]: "/proc/pressure/io",
}
const COUNTER = /^(ctxt|btime|processes|procs_running|procs_blocked) /

/** The grep samples split into the per-file sections (cpu1, net1, …, meminfo, psi_io) the parser reads. */
const expandSamples = (sections: Map<string, Section>): Map<string, Section> => {
  const out = new Map(sections)
  const expand = (sample: string, files: Record<string, string>, cpu: string, counters?: string) => {
    const s = sections.get(sample)
    if (s === undefined) return
    const bodies = splitGrepFiles(s.body)
    for (const [name, section] of sectionsFromFiles(bodies, files)) out.set(name, section)
    const stat = bodies.get("/proc/stat")
    if (stat === undefined) return
    const lines = textLines(stat)
    out.set(cpu, { body: lines.filter((l) => l.startsWith("cpu")).join("\n"), exitCode: 0 })
    if (counters !== undefined) {
      out.set(counters, { body: lines.filter((l) => COUNTER.test(l)).join("\n"), exitCode: 0 })
    }
  }
  expand(SECTIONS.sample1, SAMPLE1_FILES, SECTIONS.cpu1)
  expand(SECTIONS.sample2, SAMPLE2_FILES, SECTIONS.cpu2, SECTIONS.counters)
  return out
}

/** CPUs this login may use: Cpus_allowed_list (current script) or nproc's answer (earlier scripts); null when neither. */
const usableCpus = (sections: Map<string, Section>): Result.Result<number | null, ParseError> => {
  const allowed = sections.get(SECTIONS.cpusAllowed)?.body.trim() ?? ""
  if (allowed !== "") {
    const n = countCpuList(allowed)
    return n === undefined
      ? parseFail(SYSTEM_METRICS, `expected a CPU list, got '${allowed.slice(0, 40)}'`, SECTIONS.cpusAllowed)
      : Result.succeed(n)
  }
  const nproc = sections.get(SECTIONS.nproc)
  return nproc !== undefined && nproc.body.trim() !== ""
    ? singleCount(nproc.body, SECTIONS.nproc)
    : Result.succeed(null)
}

/** The counters a read leaves for the next one (see system-metrics.ts: prepare). */
const PreviousSampleSchema = Schema.Struct({
  uptime_seconds: NonNegative,
  cpu: Schema.Array(Schema.String),
  net: Schema.Array(Schema.Struct({ name: Schema.String, ...NetCounterFields })),
})
export type PreviousSample = typeof PreviousSampleSchema.Type

/** The param prepare fills with the previous read's counters (JSON); never accepted from a caller. */
export const PREVIOUS_SAMPLE = "previous_sample"

const NET_COUNTERS = Object.keys(NetCounterFields) as ReadonlyArray<keyof typeof NetCounterFields>

/** What this read leaves for the next one; null for a stored read from before cpu_jiffies existed. */
export const previousSampleOf = (m: unknown): PreviousSample | null => {
  const metrics = Schema.decodeUnknownOption(SystemMetricsSchema)(m)
  if (metrics._tag === "None" || metrics.value.cpu_jiffies === undefined) return null
  const v = metrics.value
  return {
    uptime_seconds: v.uptime.uptime_seconds,
    cpu: v.cpu_jiffies ?? [],
    net: v.network.interfaces.map((i) => ({
      name: i.name,
      ...Object.fromEntries(NET_COUNTERS.map((k) => [k, i[k]])) as Record<(typeof NET_COUNTERS)[number], number>,
    })),
  }
}

const decodePrevious = Schema.decodeUnknownOption(Schema.fromJsonString(PreviousSampleSchema))

/** The previous read's counters from params, if prepare put valid ones there. */
const previousFromParams = (params: Params): PreviousSample | undefined => {
  const raw = params[PREVIOUS_SAMPLE]
  if (typeof raw !== "string" || raw === "") return undefined
  const decoded = decodePrevious(raw)
  return decoded._tag === "Some" ? decoded.value : undefined
}

const ZERO_TIMES = {
  user: 0,
  nice: 0,
  system: 0,
  idle: 0,
  iowait: 0,
  irq: 0,
  softirq: 0,
  steal: 0,
  guest: 0,
  guestNice: 0,
}
const ZERO_NET = Object.fromEntries(NET_COUNTERS.map((k) => [k, 0])) as Record<(typeof NET_COUNTERS)[number], number>

interface FirstSample {
  readonly stat: ProcStat
  readonly net: NetDev
  readonly uptime: number
  readonly basis: "short_sample" | "previous_read" | "since_boot"
}

/**
 * The first sample: the script's own (cpu1, net1, up1), else the previous read's counters; when the
 * host's uptime went back (a reboot since), the counters started at zero at boot.
 */
const firstSample = (
  sections: Map<string, Section>,
  previous: PreviousSample | undefined,
  stat2: ProcStat,
  net2: NetDev,
  uptime2: number,
): Result.Result<FirstSample, ParseError> =>
  Result.gen(function* () {
    const S = SECTIONS
    if (sections.has(S.cpu1) || previous === undefined) {
      const stat = yield* inSection(S.cpu1, parseProcStat(yield* body(sections, S.cpu1)))
      const up = yield* inSection(S.up1, parseUptime(yield* body(sections, S.up1)))
      const net = yield* inSection(S.net1, parseNetDev(yield* body(sections, S.net1), S.net1))
      return { stat, net, uptime: up.uptime_seconds, basis: "short_sample" as const }
    }
    if (uptime2 < previous.uptime_seconds) {
      return {
        stat: { ...stat2, total: ZERO_TIMES, cores: stat2.cores.map((c) => ({ cpu: c.cpu, times: ZERO_TIMES })) },
        net: { interfaces: net2.interfaces.map((n) => ({ ...n, ...ZERO_NET })), totals: ZERO_NET },
        uptime: 0,
        basis: "since_boot" as const,
      }
    }
    const stat = yield* inSection(PREVIOUS_SAMPLE, parseProcStat(previous.cpu.join("\n")))
    return {
      stat,
      net: { interfaces: previous.net, totals: ZERO_NET },
      uptime: previous.uptime_seconds,
      basis: "previous_read" as const,
    }
  })

/** One count on one line (pids, nproc). */
const singleCount = (text: string, name: string): Result.Result<number, ParseError> => {
  const n = toCount(text.trim())
  return n === undefined
    ? parseFail(SYSTEM_METRICS, `expected a single count, got '${text.trim().slice(0, 40)}'`, name)
    : Result.succeed(n)
}

/** Output of the system_metrics script → Schema-validated metrics, or the first problem found. */
export const parseSystemMetrics = (
  result: CommandResult,
  params: Params = {},
): Result.Result<SystemMetrics, ParseError> =>
  Result.gen(function* () {
    const sections = expandSamples(splitSections(result.stdout))
    const S = SECTIONS

    const hostname = (yield* body(sections, S.hostname)).trim()
    const nproc = yield* usableCpus(sections)

    // Counters ride with the second sample so one ProcStat carries both.
    const counters = sections.get(S.counters)?.body ?? ""
    const cpuLines2 = yield* body(sections, S.cpu2)
    const stat2 = yield* inSection(S.cpu2, parseProcStat(`${cpuLines2}\n${counters}`))
    const up2 = yield* inSection(S.up2, parseUptime(yield* body(sections, S.up2)))
    const net2 = yield* inSection(S.net2, parseNetDev(yield* body(sections, S.net2), S.net2))
    const first = yield* firstSample(sections, previousFromParams(params), stat2, net2, up2.uptime_seconds)
    const cpu = cpuPercentFromSamples(first.stat, stat2)
    const sampleSeconds = Math.max(0, Math.round((up2.uptime_seconds - first.uptime) * 100) / 100)
    const rates = netRates(first.net, net2, sampleSeconds)
    const rateOf = new Map(rates.interfaces.map((r) => [r.name, r]))

    const memory = yield* inSection(S.meminfo, parseMeminfo(yield* body(sections, S.meminfo)))
    const load = yield* inSection(S.loadavg, parseLoadavg(yield* body(sections, S.loadavg)))
    const processCount = yield* singleCount(yield* body(sections, S.pids), S.pids)
    const df = yield* inSection(S.df, parseDf(yield* body(sections, S.df)))

    const candidate = {
      hostname,
      nproc,
      sample_seconds: sampleSeconds,
      sample_basis: first.basis,
      cpu_jiffies: textLines(cpuLines2).filter((l) => l.startsWith("cpu")),
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

import { Result, Schema } from "effect"
import { ParseError } from "../domain/errors.ts"
import type { CommandResult } from "../ssh/Ssh.ts"
import { type Section, splitSections } from "./sections.ts"
import { parseFail, SYSTEM_METRICS, toCount } from "./proc/common.ts"
import { diskUsedPercentMax, parseDf } from "./proc/df.ts"
import { parseLoadavg } from "./proc/loadavg.ts"
import { parseMeminfo } from "./proc/meminfo.ts"
import { netRates, parseNetDev } from "./proc/netdev.ts"
import { type Pressure, parsePressure } from "./proc/pressure.ts"
import { cpuPercentFromSamples, parseProcStat } from "./proc/stat.ts"
import { parseUptime } from "./proc/uptime.ts"

/** Section names printed by the system_metrics script (src/registry/system-metrics.ts). */
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
  busyPercent: Percent,
  userPercent: Percent,
  systemPercent: Percent,
  iowaitPercent: Percent,
  stealPercent: Percent,
  deltaJiffies: Count,
}

const NetCounterFields = {
  rxBytes: Count,
  rxPackets: Count,
  rxErrors: Count,
  rxDropped: Count,
  txBytes: Count,
  txPackets: Count,
  txErrors: Count,
  txDropped: Count,
}

const PressureLine = Schema.Struct({ avg10: Percent, avg60: Percent, avg300: Percent, totalMicros: Count })
const PressureSchema = Schema.Struct({ some: Schema.NullOr(PressureLine), full: Schema.NullOr(PressureLine) })

export const SystemMetricsSchema = Schema.Struct({
  hostname: Schema.String,
  /** CPUs usable by processes (`nproc`); null when neither nproc nor getconf answered. */
  nproc: Schema.NullOr(Count),
  /** Seconds between the two samples the rates come from. */
  sampleSeconds: NonNegative,
  cpu: Schema.Struct({
    /** Online CPUs listed in /proc/stat. */
    count: Count,
    total: Schema.Struct(CpuUsageFields),
    cores: Schema.Array(Schema.Struct({ cpu: Count, ...CpuUsageFields })),
  }),
  memory: Schema.Struct({
    totalBytes: Count,
    freeBytes: Count,
    availableBytes: Count,
    availableEstimated: Schema.Boolean,
    buffersBytes: Count,
    cachedBytes: Count,
    usedBytes: Count,
    usedPercent: Percent,
    swapTotalBytes: Count,
    swapFreeBytes: Count,
    swapUsedBytes: Count,
  }),
  load: Schema.Struct({
    load1: NonNegative,
    load5: NonNegative,
    load15: NonNegative,
    running: Count,
    total: Count,
    lastPid: Count,
  }),
  uptime: Schema.Struct({
    uptimeSeconds: NonNegative,
    idleSeconds: Schema.NullOr(NonNegative),
    /** Seconds since the epoch (`btime`). */
    bootTime: Schema.NullOr(Count),
  }),
  processes: Schema.Struct({
    /** Numeric directories in /proc. */
    count: Count,
    running: Schema.NullOr(Count),
    blocked: Schema.NullOr(Count),
    createdSinceBoot: Schema.NullOr(Count),
    contextSwitches: Schema.NullOr(Count),
  }),
  disk: Schema.Struct({
    mounts: Schema.Array(
      Schema.Struct({
        filesystem: Schema.String,
        type: Schema.NullOr(Schema.String),
        sizeBytes: Count,
        usedBytes: Count,
        availableBytes: Count,
        usedPercent: Schema.NullOr(Percent),
        mountpoint: Schema.String,
        pseudo: Schema.Boolean,
      }),
    ),
    /** Fullest real (non-pseudo) mount; pseudo ones only when there is nothing else. */
    usedPercentMax: Schema.NullOr(Percent),
  }),
  network: Schema.Struct({
    interfaces: Schema.Array(
      Schema.Struct({
        name: Schema.String,
        ...NetCounterFields,
        rxBytesPerSec: Schema.NullOr(NonNegative),
        txBytesPerSec: Schema.NullOr(NonNegative),
      }),
    ),
    /** Counters at the second sample, summed over every interface except lo. */
    totals: Schema.Struct(NetCounterFields),
    rxBytesPerSec: NonNegative,
    txBytesPerSec: NonNegative,
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
  Result.mapError(r, (e) => new ParseError({ dataType: e.dataType, message: e.message, at: `${name}: ${e.at ?? name}` }))

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
  return n === undefined ? parseFail(SYSTEM_METRICS, `expected a single count, got '${text.trim().slice(0, 40)}'`, name) : Result.succeed(n)
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
    const sampleSeconds = Math.max(0, Math.round((up2.uptimeSeconds - up1.uptimeSeconds) * 100) / 100)

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
      sampleSeconds,
      cpu: { count: stat2.cores.length, total: cpu.total, cores: cpu.cores },
      memory,
      load,
      uptime: { ...up2, bootTime: stat2.bootTime },
      processes: {
        count: processCount,
        running: stat2.procsRunning,
        blocked: stat2.procsBlocked,
        createdSinceBoot: stat2.processesCreated,
        contextSwitches: stat2.contextSwitches,
      },
      disk: { mounts: df.mounts, usedPercentMax: diskUsedPercentMax(df.mounts) },
      network: {
        interfaces: net2.interfaces.map((n) => ({
          ...n,
          rxBytesPerSec: rateOf.get(n.name)?.rxBytesPerSec ?? null,
          txBytesPerSec: rateOf.get(n.name)?.txBytesPerSec ?? null,
        })),
        totals: net2.totals,
        rxBytesPerSec: rates.rxBytesPerSec,
        txBytesPerSec: rates.txBytesPerSec,
      },
      pressure: {
        cpu: yield* optionalPressure(sections, S.psiCpu),
        memory: yield* optionalPressure(sections, S.psiMemory),
        io: yield* optionalPressure(sections, S.psiIo),
      },
    }
    return yield* Result.mapError(
      decode(candidate),
      (e) => new ParseError({ dataType: SYSTEM_METRICS, message: `parsed metrics failed validation: ${e.message}`, at: "system_metrics" }),
    )
  })

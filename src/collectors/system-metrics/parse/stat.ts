import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, percent, SYSTEM_METRICS, textLines, toCount } from "./common.ts"

/** Jiffies per state since boot. Columns an old kernel does not print are 0. */
export interface CpuTimes {
  readonly user: number
  readonly nice: number
  readonly system: number
  readonly idle: number
  readonly iowait: number
  readonly irq: number
  readonly softirq: number
  readonly steal: number
  readonly guest: number
  readonly guestNice: number
}

export interface ProcStat {
  readonly total: CpuTimes
  /** Per logical CPU, by its number in `cpuN`. */
  readonly cores: ReadonlyArray<{ readonly cpu: number; readonly times: CpuTimes }>
  readonly contextSwitches: number | null
  /** Boot time, seconds since the epoch. */
  readonly bootTime: number | null
  /** Forks since boot. */
  readonly processesCreated: number | null
  readonly procsRunning: number | null
  readonly procsBlocked: number | null
}

const COLUMNS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestNice"] as const

const OPTIONAL_KEYS = {
  ctxt: "contextSwitches",
  btime: "bootTime",
  processes: "processesCreated",
  procs_running: "procsRunning",
  procs_blocked: "procsBlocked",
} as const

/**
 * /proc/stat (or just its `cpu` lines). Linux 2.4 prints 4 columns, 2.6 adds iowait/irq/softirq,
 * later kernels steal, guest and guest_nice: at least 4 are required, missing ones count 0.
 * Lines other than cpu and the counters above (intr, softirq, ...) are ignored; a cpu or counter
 * line printed twice is refused rather than counted twice.
 */
export const parseProcStat = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<ProcStat, ParseError> => {
  let total: CpuTimes | undefined
  const cores: Array<{ cpu: number; times: CpuTimes }> = []
  const extra: Record<string, number | null> = {
    contextSwitches: null,
    bootTime: null,
    processesCreated: null,
    procsRunning: null,
    procsBlocked: null,
  }
  // Line number of each cpu/counter key already read: the kernel prints each once, so a repeat
  // (a garbled or concatenated capture) would count a CPU twice.
  const seenAt = new Map<string, number>()
  const lines = textLines(text)
  for (const [i, line] of lines.entries()) {
    const fields = line.trim().split(/\s+/)
    const key = fields[0] ?? ""
    const at = `stat line ${i + 1}`
    const isCpu = /^cpu\d*$/.test(key)
    if (isCpu || Object.hasOwn(OPTIONAL_KEYS, key)) {
      const first = seenAt.get(key)
      if (first !== undefined) {
        return parseFail(dataType, `duplicate '${key}' line (first on line ${first}): /proc/stat lists each once`, at)
      }
      seenAt.set(key, i + 1)
    }
    if (isCpu) {
      const values = fields.slice(1).map(toCount)
      if (values.length < 4 || values.some((v) => v === undefined)) {
        return parseFail(
          dataType,
          `'${key}' needs at least 4 non-negative integer columns, got '${fields.slice(1).join(" ")}'`,
          at,
        )
      }
      const times = Object.fromEntries(COLUMNS.map((c, j) => [c, values[j] ?? 0])) as unknown as CpuTimes
      if (key === "cpu") total = times
      else cores.push({ cpu: Number(key.slice(3)), times })
      continue
    }
    if (Object.hasOwn(OPTIONAL_KEYS, key)) {
      const value = toCount(fields[1])
      if (value === undefined) {
        return parseFail(dataType, `'${key}' is not a non-negative integer: '${fields[1] ?? ""}'`, at)
      }
      extra[OPTIONAL_KEYS[key as keyof typeof OPTIONAL_KEYS]] = value
    }
  }
  if (total === undefined) return parseFail(dataType, "no aggregate 'cpu' line in /proc/stat", "stat")
  return Result.succeed({
    total,
    cores,
    contextSwitches: extra["contextSwitches"] ?? null,
    bootTime: extra["bootTime"] ?? null,
    processesCreated: extra["processesCreated"] ?? null,
    procsRunning: extra["procsRunning"] ?? null,
    procsBlocked: extra["procsBlocked"] ?? null,
  })
}

export interface CpuUsage {
  /** Not idle and not waiting on I/O. */
  readonly busy_percent: number
  readonly user_percent: number
  readonly system_percent: number
  readonly iowait_percent: number
  readonly steal_percent: number
  /** Jiffies elapsed between the samples (0 means the percentages carry no information). */
  readonly delta_jiffies: number
}

export interface CpuPercent {
  readonly total: CpuUsage
  readonly cores: ReadonlyArray<{ readonly cpu: number } & CpuUsage>
}

/** Guest time is already inside user/nice, so it is left out of the sum. */
const sumTimes = (t: CpuTimes): number => t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal

const usage = (a: CpuTimes, b: CpuTimes): CpuUsage => {
  // A counter going backwards (CPU hot-unplugged, counter reset) counts as no time passed.
  const d = (k: keyof CpuTimes): number => Math.max(0, b[k] - a[k])
  const all = Math.max(0, sumTimes(b) - sumTimes(a))
  const idle = d("idle")
  const iowait = d("iowait")
  return {
    busy_percent: percent(Math.max(0, all - idle - iowait), all),
    user_percent: percent(d("user") + d("nice"), all),
    system_percent: percent(d("system") + d("irq") + d("softirq"), all),
    iowait_percent: percent(iowait, all),
    steal_percent: percent(d("steal"), all),
    delta_jiffies: all,
  }
}

/** CPU usage between two /proc/stat samples, total and per core (cores present in both samples). */
export const cpuPercentFromSamples = (a: ProcStat, b: ProcStat): CpuPercent => {
  const before = new Map(a.cores.map((c) => [c.cpu, c.times]))
  const cores: Array<{ cpu: number } & CpuUsage> = []
  for (const c of b.cores) {
    const prev = before.get(c.cpu)
    if (prev !== undefined) cores.push({ cpu: c.cpu, ...usage(prev, c.times) })
  }
  return { total: usage(a.total, b.total), cores }
}

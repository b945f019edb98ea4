import type { OperationEvent } from "./events.ts"
import type { RollupRow } from "../store/Store.ts"

/** Process-wide figures (SSH pool, cache) land on this pseudo-method's row, not on any one method. */
export const allMethods = "all"

export const rollupMethods: ReadonlyArray<string> = ["polling", "api", "mcp", "watch", "cli", "library", allMethods]

export interface GlobalSample {
  readonly sshOpened: number
  readonly sshReused: number
  readonly cacheEntries: number
  readonly cacheBytes: number
  readonly cacheEvictions: number
}

/** One minute of one method, accumulated in memory until flushed. */
export interface Bucket {
  readonly minute: number
  readonly method: string
  total: number
  successful: number
  failed: number
  cached: number
  durationSum: number
  durationMin: number
  durationMax: number
  commands: number
  bytes: number
  dbWrites: number
  errors: Record<string, number>
  /** Only on the "all" row. */
  global?: { sshOpened: number; sshReused: number; cacheEntries: number; cacheBytes: number; cacheEvictions: number }
}

export const minuteOf = (ms: number): number => Math.floor(ms / 60_000) * 60_000

const emptyBucket = (minute: number, method: string): Bucket => ({
  minute,
  method,
  total: 0,
  successful: 0,
  failed: 0,
  cached: 0,
  durationSum: 0,
  durationMin: Infinity,
  durationMax: 0,
  commands: 0,
  bytes: 0,
  dbWrites: 0,
  errors: {},
})

export interface Rollup {
  readonly record: (e: OperationEvent, now: number) => void
  /** Attribute the change in process-wide counters since the last sample to the minute of `now`. */
  readonly sample: (current: GlobalSample, now: number) => void
  /**
   * Remove and return the buckets due for writing: finished minutes, plus the running one when
   * includeCurrent. Rows are written as increments, so a minute taken early just continues in a
   * fresh bucket (and several instances can share one row).
   */
  readonly take: (now: number, includeCurrent: boolean) => Array<Bucket>
  /** Put back buckets whose write failed, merged with anything recorded since. */
  readonly restore: (buckets: ReadonlyArray<Bucket>) => void
  readonly pending: () => number
}

/** Minutes kept in memory when the store keeps failing: older ones are dropped rather than growing without bound. */
const maxPendingMinutes = 120

export const makeRollup = (initial: GlobalSample): Rollup => {
  const buckets = new Map<string, Bucket>()
  let last = initial

  const get = (minute: number, method: string): Bucket => {
    const key = `${minute}|${method}`
    let b = buckets.get(key)
    if (b === undefined) {
      b = emptyBucket(minute, method)
      buckets.set(key, b)
      trim()
    }
    return b
  }

  const trim = () => {
    const minutes = [...new Set([...buckets.values()].map((b) => b.minute))].sort((a, b) => a - b)
    const drop = new Set(minutes.slice(0, Math.max(0, minutes.length - maxPendingMinutes)))
    if (drop.size === 0) return
    for (const [key, b] of buckets) if (drop.has(b.minute)) buckets.delete(key)
  }

  const add = (b: Bucket, e: OperationEvent) => {
    b.total++
    if (e.status === "success") b.successful++
    else b.failed++
    if (e.cache === "hit") b.cached++
    b.durationSum += e.durationMs
    b.durationMin = Math.min(b.durationMin, e.durationMs)
    b.durationMax = Math.max(b.durationMax, e.durationMs)
    b.commands += e.commands
    b.bytes += e.bytes
    // the rows it stored plus its audit row
    b.dbWrites += e.recordsCreated + 1
    if (e.errorCode !== null) b.errors[e.errorCode] = (b.errors[e.errorCode] ?? 0) + 1
  }

  const merge = (into: Bucket, from: Bucket) => {
    into.total += from.total
    into.successful += from.successful
    into.failed += from.failed
    into.cached += from.cached
    into.durationSum += from.durationSum
    into.durationMin = Math.min(into.durationMin, from.durationMin)
    into.durationMax = Math.max(into.durationMax, from.durationMax)
    into.commands += from.commands
    into.bytes += from.bytes
    into.dbWrites += from.dbWrites
    for (const [code, n] of Object.entries(from.errors)) into.errors[code] = (into.errors[code] ?? 0) + n
    if (from.global !== undefined) {
      const g = into.global
      into.global = g === undefined ? { ...from.global } : {
        sshOpened: g.sshOpened + from.global.sshOpened,
        sshReused: g.sshReused + from.global.sshReused,
        cacheEvictions: g.cacheEvictions + from.global.cacheEvictions,
        // gauges: the newer bucket's reading stands
        cacheEntries: g.cacheEntries,
        cacheBytes: g.cacheBytes,
      }
    }
  }

  const sample = (current: GlobalSample, now: number) => {
    // Counters only grow; a smaller value means a fresh service instance, so count from zero.
    const delta = (now: number, before: number) => (now >= before ? now - before : now)
    const opened = delta(current.sshOpened, last.sshOpened)
    const reused = delta(current.sshReused, last.sshReused)
    const evicted = delta(current.cacheEvictions, last.cacheEvictions)
    const moved = opened + reused + evicted > 0 || current.cacheEntries !== last.cacheEntries ||
      current.cacheBytes !== last.cacheBytes
    last = current
    // An idle minute writes no row.
    if (!moved && !buckets.has(`${minuteOf(now)}|${allMethods}`)) return
    const b = get(minuteOf(now), allMethods)
    const g = b.global ?? { sshOpened: 0, sshReused: 0, cacheEntries: 0, cacheBytes: 0, cacheEvictions: 0 }
    g.sshOpened += opened
    g.sshReused += reused
    g.cacheEvictions += evicted
    g.cacheEntries = current.cacheEntries
    g.cacheBytes = current.cacheBytes
    b.global = g
  }

  return {
    record: (e, now) => {
      const minute = minuteOf(now)
      add(get(minute, e.method), e)
      add(get(minute, allMethods), e)
    },
    sample,
    take: (now, includeCurrent) => {
      const current = minuteOf(now)
      const due = [...buckets.entries()].filter(([, b]) => b.minute < current || includeCurrent)
      for (const [key] of due) buckets.delete(key)
      return due.map(([, b]) => b).sort((a, b) => a.minute - b.minute || a.method.localeCompare(b.method))
    },
    restore: (failed) => {
      for (const old of failed) merge(get(old.minute, old.method), old)
    },
    pending: () => buckets.size,
  }
}

/** A bucket as a service_performance_metrics increment. */
export const bucketRow = (b: Bucket): RollupRow => ({
  time: new Date(b.minute),
  method: b.method,
  operations_total: b.total,
  operations_successful: b.successful,
  operations_failed: b.failed,
  operations_cached: b.cached,
  avg_duration_ms: b.total === 0 ? null : b.durationSum / b.total,
  min_duration_ms: b.total === 0 ? null : b.durationMin,
  max_duration_ms: b.total === 0 ? null : b.durationMax,
  ssh_connections_created: b.global?.sshOpened ?? null,
  ssh_connections_reused: b.global?.sshReused ?? null,
  commands_executed: b.commands,
  cache_hit_ratio: b.total === 0 ? null : b.cached / b.total,
  cache_entries: b.global?.cacheEntries ?? null,
  cache_bytes: b.global?.cacheBytes ?? null,
  cache_evictions: b.global?.cacheEvictions ?? null,
  bytes_collected: b.bytes,
  db_writes: b.dbWrites,
  error_types: b.errors,
})

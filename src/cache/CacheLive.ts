import { Cause, Clock, Deferred, Effect, Exit, Layer } from "effect"
import { Cache, type CacheEntry, type CacheEntryInfo, type CacheShape, type CacheStats, type Lookup } from "./Cache.ts"
import { makeLru } from "./lru.ts"
import { estimateSize } from "./size.ts"

export interface CacheOptions {
  /** At most this many entries (default 5000). */
  readonly maxEntries?: number
  /** At most this many bytes in total, as estimated by sizeOf / JSON length (default 64 MiB). */
  readonly maxBytes?: number
  /**
   * Stale-while-revalidate window as a fraction of each entry's TTL (default 0: off). With 1, a
   * read that allows it gets an entry up to twice its TTL old at once, marked stale, instead of
   * waiting on the host, while one refresh runs.
   */
  readonly staleWhileRevalidate?: number
}

export const defaultCacheOptions = { maxEntries: 5000, maxBytes: 64 * 1024 * 1024, staleWhileRevalidate: 0 } as const

/** What a load hands to the callers waiting on it; "retry" when the loader was interrupted. */
type Outcome = Exit.Exit<CacheEntry<unknown>, unknown> | "retry"

interface Flight {
  readonly deferred: Deferred.Deferred<Outcome>
  readonly force: boolean
  readonly seq: number
  /** Set by invalidate: the result still reaches its waiters but is not stored. */
  cancelled: boolean
}

const bound = (value: number | undefined, fallback: number): number =>
  value === undefined || !Number.isFinite(value) ? fallback : Math.max(0, Math.floor(value))

/** A cache instance; time comes from the calling fiber's Clock, so TestClock drives TTLs in tests. */
export const makeCache = (options: CacheOptions = {}): CacheShape => {
  const maxEntries = bound(options.maxEntries, defaultCacheOptions.maxEntries)
  const maxBytes = bound(options.maxBytes, defaultCacheOptions.maxBytes)
  const staleFactor = Math.max(0, options.staleWhileRevalidate ?? defaultCacheOptions.staleWhileRevalidate)
  const lru = makeLru({ maxEntries, maxBytes })
  const inflight = new Map<string, Flight>()
  let seq = 0
  let hits = 0
  let misses = 0
  let evictions = 0
  let loads = 0
  let coalesced = 0
  let stale = 0
  /** Per-entry hit count and last access; keyed by the stored object so replaced entries start afresh. */
  const usage = new WeakMap<object, { hits: number; lastAccessedAt: number }>()

  /** Record a finished load: store a success (unless stale, cancelled or too big), then wake the waiters. */
  const settle = <A, E>(
    key: string,
    ttlMs: number,
    flight: Flight,
    exit: Exit.Exit<A, E>,
    sizeOf: ((a: A) => number) | undefined,
  ): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (inflight.get(key) === flight) inflight.delete(key)
      let outcome: Outcome
      if (Exit.isSuccess(exit)) {
        const bytes = estimateSize(exit.value, sizeOf)
        const entry: CacheEntry<unknown> = { value: exit.value, storedAt: now, expiresAt: now + ttlMs, bytes }
        const current = lru.get(key)
        // An older load finishing after a newer one must not overwrite it.
        if (!flight.cancelled && (current === undefined || current.seq < flight.seq)) {
          if (bytes > maxBytes) lru.delete(key)
          else evictions += lru.set(key, { entry, seq: flight.seq })
        }
        outcome = Exit.succeed(entry)
      } else {
        // Interrupted loader: waiters go round again instead of hanging or inheriting the interrupt.
        outcome = Cause.hasInterruptsOnly(exit.cause) ? "retry" : Exit.failCause(exit.cause)
      }
      return Deferred.succeed(flight.deferred, outcome)
    })

  // One span for the whole lookup, hits included; built once here so a call does not capture a stack.
  const named = Effect.withSpan("Cache.getOrLoad")

  const getOrLoad = <A, E, R>(
    key: string,
    ttlMs: number,
    load: Effect.Effect<A, E, R>,
    options?: { readonly force?: boolean; readonly allowStale?: boolean; readonly sizeOf?: (a: A) => number },
  ): Effect.Effect<Lookup<A>, E, R> => {
    const force = options?.force === true
    const staleMs = options?.allowStale === true ? ttlMs * staleFactor : 0

    const attempt = (first: boolean): Effect.Effect<Lookup<A>, E, R> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (!force) {
          const stored = lru.get(key)
          const fresh = stored !== undefined && stored.entry.expiresAt > now
          if (stored !== undefined && (fresh || stored.entry.expiresAt + staleMs > now)) {
            lru.touch(key)
            hits++
            if (!fresh) stale++
            const used = usage.get(stored)
            if (used === undefined) usage.set(stored, { hits: 1, lastAccessedAt: now })
            else {
              used.hits++
              used.lastAccessedAt = now
            }
            return Effect.succeed({ entry: stored.entry as CacheEntry<A>, hit: true, stale: !fresh })
          }
        }
        if (first) misses++
        const running = inflight.get(key)
        // A forced read only trusts a load that was itself forced (started after the caller asked).
        if (running !== undefined && (!force || running.force)) {
          coalesced++
          return Effect.flatMap(Deferred.await(running.deferred), (outcome) => {
            if (outcome === "retry") return attempt(false)
            return Exit.isSuccess(outcome)
              ? Effect.succeed({ entry: outcome.value as CacheEntry<A>, hit: false })
              : Effect.failCause(outcome.cause as Cause.Cause<E>)
          })
        }
        loads++
        const flight: Flight = { deferred: Deferred.makeUnsafe<Outcome>(), force, seq: ++seq, cancelled: false }
        inflight.set(key, flight)
        return load.pipe(
          Effect.onExit((exit) => settle(key, ttlMs, flight, exit, options?.sizeOf)),
          Effect.flatMap(() => Deferred.await(flight.deferred)),
          Effect.map((outcome) => {
            // settle always stores a success Exit after a successful load.
            const entry = (outcome as Exit.Success<CacheEntry<unknown>>).value as CacheEntry<A>
            return { entry, hit: false }
          }),
        )
      })

    return named(Effect.suspend(() => attempt(true)))
  }

  const peek = <A>(key: string): CacheEntry<A> | undefined => lru.get(key)?.entry as CacheEntry<A> | undefined

  const invalidate = (prefix: string): number => {
    for (const [key, flight] of inflight) {
      if (key.startsWith(prefix)) {
        flight.cancelled = true
        inflight.delete(key)
      }
    }
    return lru.deletePrefix(prefix)
  }

  const stats = (): CacheStats => ({
    entries: lru.size(),
    bytes: lru.bytes(),
    maxEntries,
    maxBytes,
    hits,
    misses,
    evictions,
    loads,
    coalesced,
    stale,
  })

  const entries = (): ReadonlyArray<CacheEntryInfo> =>
    lru.list().map(([key, stored]) => {
      const used = usage.get(stored)
      return {
        key,
        storedAt: stored.entry.storedAt,
        expiresAt: stored.entry.expiresAt,
        lastAccessedAt: used?.lastAccessedAt ?? stored.entry.storedAt,
        hits: used?.hits ?? 0,
        bytes: stored.entry.bytes,
      }
    })

  return { getOrLoad, peek, invalidate, stats, entries }
}

export const makeCacheLayer = (options: CacheOptions = {}): Layer.Layer<Cache> =>
  Layer.sync(Cache, () => makeCache(options))

export const CacheLive: Layer.Layer<Cache> = makeCacheLayer(defaultCacheOptions)

import { Context, type Effect } from "effect"

export interface CacheEntry<A = unknown> {
  readonly value: A
  readonly storedAt: number
  readonly expiresAt: number
  readonly bytes: number
}

export interface CacheStats {
  readonly entries: number
  readonly bytes: number
  readonly maxEntries: number
  readonly maxBytes: number
  readonly hits: number
  readonly misses: number
  readonly evictions: number
  readonly loads: number
  /** Concurrent callers that joined an in-flight load instead of starting one. */
  readonly coalesced: number
  /** Hits answered from an expired entry inside the stale window (counted in hits too). */
  readonly stale: number
}

/** One stored entry as listed by entries(): for cache_metadata snapshots and GET /api/cache. */
export interface CacheEntryInfo {
  readonly key: string
  readonly storedAt: number
  readonly expiresAt: number
  /** When a read last hit this entry (storedAt when it was never hit). */
  readonly lastAccessedAt: number
  /** Hits served by this entry since it was stored. */
  readonly hits: number
  readonly bytes: number
}

export interface Lookup<A> {
  readonly entry: CacheEntry<A>
  readonly hit: boolean
  /** A hit on an expired entry inside the stale window (allowStale): the caller should revalidate. */
  readonly stale?: boolean
}

export interface CacheShape {
  /**
   * Fresh entry for key, or run load once however many callers miss at the same time
   * (single-flight). Failed loads are not cached. force skips the fresh check. allowStale: an
   * entry expired less than ttl × staleWhileRevalidate ago is returned as a stale hit and nothing
   * is loaded (the caller starts the refresh, so it is audited like any other read).
   */
  readonly getOrLoad: <A, E, R>(
    key: string,
    ttlMs: number,
    load: Effect.Effect<A, E, R>,
    options?: { readonly force?: boolean; readonly allowStale?: boolean; readonly sizeOf?: (a: A) => number },
  ) => Effect.Effect<Lookup<A>, E, R>
  readonly peek: <A>(key: string) => CacheEntry<A> | undefined
  /** Drop every key starting with prefix; returns how many. */
  readonly invalidate: (prefix: string) => number
  readonly stats: () => CacheStats
  /** Every stored entry (expired ones included until evicted), least recently used first. */
  readonly entries: () => ReadonlyArray<CacheEntryInfo>
}

export class Cache extends Context.Service<Cache, CacheShape>()("infrastructor/Cache") {}

/** device + data type + params, params sorted so order never splits a key. */
export const cacheKey = (device: string, dataType: string, params: Record<string, unknown> = {}): string => {
  const parts = Object.keys(params)
    .filter((k) => params[k] !== undefined)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(params[k]))}`)
  return `${device}\u0000${dataType}\u0000${parts.join("&")}`
}

/** The prefix of every key of a device, or of one data type on it: what invalidate() takes. */
export const keyPrefix = (device: string, dataType?: string): string =>
  dataType === undefined ? `${device}\u0000` : `${device}\u0000${dataType}\u0000`

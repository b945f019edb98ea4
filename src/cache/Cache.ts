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
}

export interface Lookup<A> {
  readonly entry: CacheEntry<A>
  readonly hit: boolean
}

export interface CacheShape {
  /**
   * Fresh entry for key, or run load once however many callers miss at the same time
   * (single-flight). Failed loads are not cached. force skips the fresh check.
   */
  readonly getOrLoad: <A, E, R>(
    key: string,
    ttlMs: number,
    load: Effect.Effect<A, E, R>,
    options?: { readonly force?: boolean; readonly sizeOf?: (a: A) => number },
  ) => Effect.Effect<Lookup<A>, E, R>
  readonly peek: <A>(key: string) => CacheEntry<A> | undefined
  /** Drop every key starting with prefix; returns how many. */
  readonly invalidate: (prefix: string) => number
  readonly stats: () => CacheStats
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

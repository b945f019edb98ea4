import type { CacheEntry } from "./Cache.ts"

/** Stored entry plus the load sequence that produced it (a slower, older load must not overwrite a newer one). */
export interface StoredEntry {
  readonly entry: CacheEntry<unknown>
  readonly seq: number
}

export interface LruBounds {
  readonly maxEntries: number
  readonly maxBytes: number
}

/**
 * Mutable LRU bounded by entry count and total bytes. A Map keeps insertion order,
 * so re-inserting on access makes the first key the least recently used.
 */
export interface Lru {
  readonly get: (key: string) => StoredEntry | undefined
  /** Mark as most recently used. */
  readonly touch: (key: string) => void
  /** Insert or replace, then evict LRU entries until both bounds hold; returns how many were evicted. */
  readonly set: (key: string, stored: StoredEntry) => number
  readonly delete: (key: string) => boolean
  readonly deletePrefix: (prefix: string) => number
  readonly size: () => number
  readonly bytes: () => number
  /** Stored entries, least recently used first. */
  readonly list: () => Array<[string, StoredEntry]>
}

export const makeLru = (bounds: LruBounds): Lru => {
  const map = new Map<string, StoredEntry>()
  let bytes = 0

  const remove = (key: string): boolean => {
    const old = map.get(key)
    if (old === undefined) return false
    map.delete(key)
    bytes -= old.entry.bytes
    return true
  }

  const evict = (): number => {
    let evicted = 0
    while (map.size > bounds.maxEntries || bytes > bounds.maxBytes) {
      const oldest = map.keys().next()
      if (oldest.done === true) break
      remove(oldest.value)
      evicted++
    }
    return evicted
  }

  return {
    get: (key) => map.get(key),
    touch: (key) => {
      const e = map.get(key)
      if (e === undefined) return
      map.delete(key)
      map.set(key, e)
    },
    set: (key, stored) => {
      remove(key)
      map.set(key, stored)
      bytes += stored.entry.bytes
      return evict()
    },
    delete: remove,
    deletePrefix: (prefix) => {
      let n = 0
      for (const key of [...map.keys()]) {
        if (key.startsWith(prefix) && remove(key)) n++
      }
      return n
    },
    size: () => map.size,
    bytes: () => bytes,
    list: () => [...map.entries()],
  }
}

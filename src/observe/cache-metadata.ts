import { Effect } from "effect"
import type { CacheEntryInfo } from "../cache/Cache.ts"
import type { StoreError } from "../domain/errors.ts"
import type { CacheMetadataRow, StoreShape } from "../store/Store.ts"
import { splitCacheKey, storedCacheKey } from "../cache/keys.ts"

const row = (
  e: CacheEntryInfo,
  invalidated: { at: Date; reason: string } | null,
  now: Date,
): CacheMetadataRow => {
  const parts = splitCacheKey(e.key)
  return {
    cache_key: storedCacheKey(e.key),
    device: parts.device,
    data_type: parts.dataType,
    params: parts.params,
    created_at: new Date(e.storedAt),
    last_accessed_at: new Date(e.lastAccessedAt),
    expires_at: new Date(e.expiresAt),
    hits: e.hits,
    size_bytes: e.bytes,
    invalidated_at: invalidated?.at ?? null,
    invalidation_reason: invalidated?.reason ?? null,
    updated_at: now,
  }
}

/** Persists cache state; only entries that changed since the last snapshot are written. */
export interface CacheMetadataWriter {
  readonly snapshot: (entries: ReadonlyArray<CacheEntryInfo>, now: Date) => Effect.Effect<number, StoreError>
  /** Record entries dropped on request, plus any older rows of the same scope still marked live. */
  readonly invalidated: (
    entries: ReadonlyArray<CacheEntryInfo>,
    scope: { readonly device: string | undefined; readonly dataType: string | undefined },
    reason: string,
    at: Date,
  ) => Effect.Effect<void, StoreError>
}

export const makeCacheMetadataWriter = (store: StoreShape): CacheMetadataWriter => {
  // key -> what was last written, so an idle cache costs no writes
  const written = new Map<string, string>()
  const signature = (e: CacheEntryInfo) => `${e.storedAt}|${e.hits}|${e.lastAccessedAt}`

  const snapshot = (entries: ReadonlyArray<CacheEntryInfo>, now: Date) =>
    Effect.suspend(() => {
      const changed = entries.filter((e) => written.get(e.key) !== signature(e))
      if (changed.length === 0) return Effect.succeed(0)
      return store.upsertCacheMetadata(changed.map((e) => row(e, null, now))).pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            for (const e of changed) written.set(e.key, signature(e))
            // forget keys no longer cached so the map stays the size of the cache
            const live = new Set(entries.map((e) => e.key))
            for (const key of written.keys()) if (!live.has(key)) written.delete(key)
          })
        ),
      )
    })

  const invalidated: CacheMetadataWriter["invalidated"] = (entries, scope, reason, at) =>
    Effect.gen(function* () {
      for (const e of entries) written.delete(e.key)
      yield* store.upsertCacheMetadata(entries.map((e) => row(e, { at, reason }, at)))
      yield* store.invalidateCacheMetadata(scope, reason, at)
    })

  return { snapshot, invalidated }
}

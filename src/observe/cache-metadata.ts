import { Effect } from "effect"
import type { CacheEntryInfo } from "../cache/Cache.ts"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"
import { splitCacheKey, storedCacheKey } from "../cache/keys.ts"
import { upsert } from "./sql.ts"

const columns = [
  "cache_key",
  "device",
  "data_type",
  "params",
  "created_at",
  "last_accessed_at",
  "expires_at",
  "hits",
  "size_bytes",
  "invalidated_at",
  "invalidation_reason",
  "updated_at",
] as const

const values = (e: CacheEntryInfo, invalidated: { at: Date; reason: string } | null, now: Date): Array<unknown> => {
  const parts = splitCacheKey(e.key)
  return [
    storedCacheKey(e.key),
    parts.device,
    parts.dataType,
    parts.params,
    new Date(e.storedAt),
    new Date(e.lastAccessedAt),
    new Date(e.expiresAt),
    e.hits,
    e.bytes,
    invalidated?.at ?? null,
    invalidated?.reason ?? null,
    now,
  ]
}

const write = (store: StoreShape, rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  upsert(store, "cache_metadata", columns, rows, "cache_key", columns.slice(1))

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
      return write(store, changed.map((e) => values(e, null, now))).pipe(
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
      yield* write(store, entries.map((e) => values(e, { at, reason }, at)))
      const params: Array<unknown> = [at, reason]
      const where = ["invalidated_at IS NULL"]
      if (scope.device !== undefined) where.push(`device = $${params.push(scope.device)}`)
      if (scope.dataType !== undefined) where.push(`data_type = $${params.push(scope.dataType)}`)
      yield* store.query(
        `UPDATE cache_metadata SET invalidated_at = $1, invalidation_reason = $2, updated_at = $1 WHERE ${
          where.join(" AND ")
        }`,
        params,
      )
    })

  return { snapshot, invalidated }
}

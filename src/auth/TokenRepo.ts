import { Effect } from "effect"
import { NotFound, type StoreError, ValidationError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"
import {
  generateToken,
  isTokenHashAlgorithm,
  isTokenScope,
  type TokenHashAlgorithm,
  type TokenScope,
} from "./tokens.ts"

/** A token as listed: never the secret, never the hash. */
export interface TokenInfo {
  readonly id: string
  readonly name: string
  readonly scope: TokenScope
  readonly createdAt: Date
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

export interface StoredToken extends TokenInfo {
  readonly salt: string
  readonly hash: string
  /** "unknown" for a value this version does not know (a newer one wrote it): never accepted. */
  readonly algorithm: TokenHashAlgorithm | "unknown"
}

const asDate = (
  v: unknown,
): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)))

const rowToToken = (r: Record<string, unknown>): StoredToken => ({
  id: String(r["id"]),
  name: String(r["name"]),
  scope: r["scope"] === "write" ? "write" : "read",
  createdAt: asDate(r["created_at"]) ?? new Date(0),
  lastUsedAt: asDate(r["last_used_at"]),
  revokedAt: asDate(r["revoked_at"]),
  salt: String(r["salt"]),
  hash: String(r["hash"]),
  // Absent only on a schema before sql/091, where every row is scrypt.
  algorithm: r["algorithm"] === undefined
    ? "scrypt"
    : isTokenHashAlgorithm(r["algorithm"])
    ? r["algorithm"]
    : "unknown",
})

const publicInfo = ({ salt: _salt, hash: _hash, algorithm: _algorithm, ...info }: StoredToken): TokenInfo => info

const NAME = /^[\p{L}\p{N} ._@:-]{1,64}$/u

let generation = 0
/** Changes whenever this process creates or revokes a token (lets the authenticator cache "no tokens"). */
export const tokenGeneration = (): number => generation

/** Token rows in `api_tokens` (sql/090_tokens.sql), through the store's parameterised query. */
export const makeTokenRepo = (store: StoreShape) => {
  const create = (name: string, scope: string) =>
    Effect.gen(function* () {
      if (!NAME.test(name)) {
        return yield* Effect.fail(
          new ValidationError({ message: "token name must be 1-64 letters, digits, spaces or . _ @ : -" }),
        )
      }
      if (!isTokenScope(scope)) {
        return yield* Effect.fail(new ValidationError({ message: "scope must be read or write" }))
      }
      const fresh = generateToken()
      const rows = yield* store.query(
        "INSERT INTO api_tokens (id, name, scope, salt, hash, algorithm) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        [fresh.id, name, scope, fresh.salt, fresh.hash, fresh.algorithm],
      ).pipe(Effect.ensuring(Effect.sync(() => void generation++)))
      const row = rows[0]
      const info = row === undefined
        ? { id: fresh.id, name, scope, createdAt: new Date(), lastUsedAt: null, revokedAt: null }
        : publicInfo(rowToToken(row))
      return { token: fresh.token, info }
    })

  const list = (): Effect.Effect<Array<TokenInfo>, StoreError> =>
    Effect.map(
      store.query("SELECT * FROM api_tokens ORDER BY created_at, id"),
      (rows) => rows.map((r) => publicInfo(rowToToken(r))),
    )

  const find = (id: string): Effect.Effect<StoredToken | undefined, StoreError> =>
    Effect.map(
      store.query("SELECT * FROM api_tokens WHERE id = $1", [id]),
      (rows) => rows[0] === undefined ? undefined : rowToToken(rows[0]),
    )

  const revoke = (id: string): Effect.Effect<TokenInfo, NotFound | StoreError> =>
    Effect.gen(function* () {
      const rows = yield* store.query(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *",
        [id],
      ).pipe(Effect.ensuring(Effect.sync(() => void generation++)))
      const row = rows[0]
      if (row === undefined) return yield* Effect.fail(new NotFound({ message: `no token with id '${id}'` }))
      return publicInfo(rowToToken(row))
    })

  const activeCount = (): Effect.Effect<number, StoreError> =>
    Effect.map(
      store.query<{ n: unknown }>("SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL"),
      (rows) => Number(rows[0]?.n ?? 0),
    )

  const touch = (id: string): Effect.Effect<void, StoreError> =>
    Effect.asVoid(store.query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", [id]))

  /**
   * Replaces a scrypt hash by the fast one, once its secret was seen to match. Only if the row still
   * holds `legacyHash`, so a concurrent upgrade (another process) or change is never overwritten.
   * The row as it is now, or undefined if it was not upgraded by this call.
   */
  const upgradeHash = (
    id: string,
    legacyHash: string,
    fast: { readonly salt: string; readonly hash: string },
  ): Effect.Effect<StoredToken | undefined, StoreError> =>
    Effect.map(
      store.query(
        "UPDATE api_tokens SET algorithm = 'hmac-sha256', salt = $3, hash = $4 " +
          "WHERE id = $1 AND algorithm = 'scrypt' AND hash = $2 RETURNING *",
        [id, legacyHash, fast.salt, fast.hash],
      ),
      (rows) => rows[0] === undefined ? undefined : rowToToken(rows[0]),
    )

  return { create, list, find, revoke, activeCount, touch, upgradeHash }
}

export type TokenRepo = ReturnType<typeof makeTokenRepo>

import { Effect } from "effect"
import { NotFound, type StoreError, ValidationError } from "../domain/errors.ts"
import type { StoreShape, TokenRecord } from "../store/Store.ts"
import {
  generateToken,
  isTokenHashAlgorithm,
  isTokenScope,
  type NewToken,
  type ParsedToken,
  tokenFromParsed,
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

/** Scope and algorithm as stored become the ones this version knows (anything else: read / "unknown"). */
const toToken = (r: TokenRecord): StoredToken => ({
  id: r.id,
  name: r.name,
  scope: r.scope === "write" ? "write" : "read",
  createdAt: r.createdAt ?? new Date(0),
  lastUsedAt: r.lastUsedAt,
  revokedAt: r.revokedAt,
  salt: r.salt,
  hash: r.hash,
  // Absent only on a schema before sql/091, where every row is scrypt.
  algorithm: r.algorithm === undefined ? "scrypt" : isTokenHashAlgorithm(r.algorithm) ? r.algorithm : "unknown",
})

const publicInfo = ({ salt: _salt, hash: _hash, algorithm: _algorithm, ...info }: StoredToken): TokenInfo => info

const NAME = /^[\p{L}\p{N} ._@:-]{1,64}$/u

let generation = 0
/** Changes whenever this process creates or revokes a token (lets the authenticator cache "no tokens"). */
export const tokenGeneration = (): number => generation

/** Tokens: validation, generation and the public view over the store's token repository. */
export const makeTokenRepo = (store: StoreShape) => {
  /** Stores `fresh` (a hash of its secret, never the secret) under a name and scope, both checked. */
  const insert = (name: string, scope: string, fresh: NewToken) =>
    Effect.gen(function* () {
      if (!NAME.test(name)) {
        return yield* Effect.fail(
          new ValidationError({ message: "token name must be 1-64 letters, digits, spaces or . _ @ : -" }),
        )
      }
      if (!isTokenScope(scope)) {
        return yield* Effect.fail(new ValidationError({ message: "scope must be read or write" }))
      }
      const row = yield* store.insertToken({
        id: fresh.id,
        name,
        scope,
        salt: fresh.salt,
        hash: fresh.hash,
        algorithm: fresh.algorithm,
      }).pipe(Effect.ensuring(Effect.sync(() => void generation++)))
      const info = row === undefined
        ? { id: fresh.id, name, scope, createdAt: new Date(), lastUsedAt: null, revokedAt: null }
        : publicInfo(toToken(row))
      return { token: fresh.token, info }
    })

  const create = (name: string, scope: string) => insert(name, scope, generateToken())

  /** Stores a token the operator made (INFRA_BOOTSTRAP_TOKEN, already parsed) instead of a generated one. */
  const adopt = (name: string, scope: string, token: ParsedToken) =>
    Effect.map(insert(name, scope, tokenFromParsed(token)), ({ info }) => info)

  const list = (): Effect.Effect<Array<TokenInfo>, StoreError> =>
    Effect.map(store.listTokens(), (rows) => rows.map((r) => publicInfo(toToken(r))))

  const find = (id: string): Effect.Effect<StoredToken | undefined, StoreError> =>
    Effect.map(store.findToken(id), (row) => row === undefined ? undefined : toToken(row))

  const revoke = (id: string): Effect.Effect<TokenInfo, NotFound | StoreError> =>
    Effect.gen(function* () {
      const row = yield* store.revokeToken(id).pipe(Effect.ensuring(Effect.sync(() => void generation++)))
      if (row === undefined) return yield* Effect.fail(new NotFound({ message: `no token with id '${id}'` }))
      return publicInfo(toToken(row))
    })

  const activeCount = (): Effect.Effect<number, StoreError> => store.countActiveTokens()

  const touch = (id: string): Effect.Effect<void, StoreError> => store.touchToken(id)

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
    Effect.map(store.upgradeTokenHash(id, legacyHash, fast), (row) => row === undefined ? undefined : toToken(row))

  return { create, adopt, list, find, revoke, activeCount, touch, upgradeHash }
}

export type TokenRepo = ReturnType<typeof makeTokenRepo>

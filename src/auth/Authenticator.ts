import { Buffer } from "node:buffer"
import { Effect, Result } from "effect"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"
import { makeTokenRepo, type StoredToken, tokenGeneration } from "./TokenRepo.ts"
import { parseToken, sameDigest, secretDigest, type TokenScope, verifySecret } from "./tokens.ts"

export type AuthOutcome =
  | { readonly ok: true; readonly tokenId: string | null; readonly scope: TokenScope }
  | { readonly ok: false; readonly status: 401 | 503; readonly code: string; readonly message: string }

export interface Authenticator {
  /** Checks an `Authorization` header value (or its absence). Never fails: the outcome says why not. */
  readonly check: (authorization: string | undefined) => Effect.Effect<AuthOutcome>
}

/** last_used_at is a hint, not a log: write it at most this often per token. */
const TOUCH_EVERY_MS = 60_000

const unauthorized = (code: string, message: string): AuthOutcome => ({ ok: false, status: 401, code, message })

/**
 * Token checks against the store, with what is needed to keep working while the database is down:
 * tokens verified before keep working (revocation then waits for the database), and the
 * "are there any tokens" answer falls back to the last one seen, or to "yes" (fail closed).
 */
/** How long "no tokens exist" is trusted before counting again. */
export const OPEN_MODE_RECHECK_MS = 1000

export const makeAuthenticator = (store: StoreShape): Authenticator => {
  const repo = makeTokenRepo(store)
  const lastKnown = new Map<string, StoredToken>()
  /** id → sha256 of the secret that passed scrypt against the stored hash `hash`. */
  const verified = new Map<string, { readonly hash: string; readonly digest: Buffer }>()
  const touched = new Map<string, number>()
  let tokensExist: boolean | undefined

  const lookup = (id: string): Effect.Effect<StoredToken | undefined, StoreError> =>
    repo.find(id).pipe(
      Effect.tap((row) =>
        Effect.sync(() => {
          if (row === undefined) lastKnown.delete(id)
          else lastKnown.set(id, row)
        })
      ),
      Effect.catchIf((e: StoreError) => e.unavailable && lastKnown.has(id), () => Effect.succeed(lastKnown.get(id))),
    )

  let countedAt = 0
  let countedGeneration = -1
  /**
   * Whether any token exists. Open mode ("none") is trusted for OPEN_MODE_RECHECK_MS unless this
   * process created or revoked a token meanwhile, so a cached read costs no query for it; a token
   * made by another process (the CLI against PostgreSQL) closes the server within that bound.
   * Once tokens exist, every request without one is re-counted (fail closed).
   */
  const authRequired = (): Effect.Effect<boolean> =>
    Effect.suspend(() => {
      if (
        tokensExist === false && countedGeneration === tokenGeneration() &&
        Date.now() - countedAt < OPEN_MODE_RECHECK_MS
      ) {
        return Effect.succeed(false)
      }
      const generation = tokenGeneration()
      return repo.activeCount().pipe(
        Effect.map((n) => {
          tokensExist = n > 0
          countedAt = Date.now()
          countedGeneration = generation
          return tokensExist
        }),
        Effect.orElseSucceed(() => tokensExist ?? true),
      )
    })

  const secretMatches = (row: StoredToken, secret: string): boolean => {
    const digest = secretDigest(secret)
    const known = verified.get(row.id)
    if (known !== undefined && known.hash === row.hash && sameDigest(known.digest, digest)) return true
    if (!verifySecret(secret, row.salt, row.hash)) return false
    verified.set(row.id, { hash: row.hash, digest: Buffer.from(digest) })
    return true
  }

  const touch = (id: string) =>
    Effect.suspend(() => {
      const now = Date.now()
      if (now - (touched.get(id) ?? 0) < TOUCH_EVERY_MS) return Effect.void
      touched.set(id, now)
      return Effect.ignore(repo.touch(id))
    })

  const check = (authorization: string | undefined): Effect.Effect<AuthOutcome> =>
    Effect.gen(function* () {
      if (authorization === undefined || authorization.trim() === "") {
        if (yield* authRequired()) {
          return unauthorized("unauthorized", "an API token is required (Authorization: Bearer infra_...)")
        }
        // Open mode: no token exists. `serve` only allows this on a loopback address.
        return { ok: true, tokenId: null, scope: "write" } as const
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
      const parsed = match?.[1] === undefined ? undefined : parseToken(match[1])
      if (parsed === undefined) {
        return unauthorized("invalid_token", "the Authorization header is not a valid bearer token")
      }
      const found = yield* Effect.result(lookup(parsed.id))
      if (Result.isFailure(found)) {
        return {
          ok: false,
          status: 503,
          code: "store_unavailable",
          message: "cannot check the token: store unavailable",
        } as const
      }
      const row = found.success
      if (row === undefined || row.revokedAt !== null || !secretMatches(row, parsed.secret)) {
        return unauthorized("invalid_token", "the token is unknown, revoked or wrong")
      }
      yield* touch(row.id)
      return { ok: true, tokenId: row.id, scope: row.scope } as const
    })

  return { check }
}

import { Buffer } from "node:buffer"
import { Effect, Result } from "effect"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"
import { makeTokenRepo, type StoredToken, tokenGeneration } from "./TokenRepo.ts"
import { defaultSecretHashing, parseToken, sameHash, type SecretHashing, type TokenScope } from "./tokens.ts"

export type AuthOutcome =
  | { readonly ok: true; readonly tokenId: string | null; readonly scope: TokenScope }
  | {
    readonly ok: false
    readonly status: 401 | 429 | 503
    readonly code: string
    readonly message: string
    /** With 429: when to try again (for a `Retry-After` header). */
    readonly retryAfterSeconds?: number
  }

export interface Authenticator {
  /** Checks an `Authorization` header value (or its absence). Never fails: the outcome says why not. */
  readonly check: (authorization: string | undefined) => Effect.Effect<AuthOutcome>
  /**
   * Whether a header accepted earlier would still be accepted now: for long-lived responses (SSE)
   * to notice a revoked token, or a token created since a stream was opened in open mode. The cost
   * of `check`: one row read by primary key and one HMAC (a token count, at most once per
   * OPEN_MODE_RECHECK_MS, for no header); never scrypt for a secret this process accepted before.
   * Does not update last_used_at.
   */
  readonly revalidate: (authorization: string | undefined) => Effect.Effect<boolean>
}

export interface AuthenticatorOptions {
  /**
   * The server listens on a non-loopback address. Then "no active token" is not open mode: a
   * request without a token gets 401 `no_token_configured`, whenever the last token went away.
   */
  readonly exposed: boolean
  /** The hash functions (default: HMAC-SHA256 and scrypt from tokens.ts). */
  readonly hashing?: SecretHashing | undefined
}

/** last_used_at is a hint, not a log: write it at most this often per token. */
const TOUCH_EVERY_MS = 60_000

/** How long "no tokens exist" is trusted before counting again. */
export const OPEN_MODE_RECHECK_MS = 1000

/**
 * After a wrong secret for a row still hashed with scrypt (made before sql/091), no scrypt runs
 * for that token id until this much time has passed: someone who knows a legacy id (ids are not
 * secret) can make this process run at most one scrypt per legacy id per second, off the event loop.
 */
export const LEGACY_RETRY_MS = 1000

const unauthorized = (code: string, message: string): AuthOutcome => ({ ok: false, status: 401, code, message })

const INVALID = unauthorized("invalid_token", "the token is unknown, revoked or wrong")

const NO_TOKEN_CONFIGURED = unauthorized(
  "no_token_configured",
  "no API token exists and this server listens on a non-loopback address, so every request is refused. " +
    "Create one (infrastructor token create --name NAME --scope read|write) or listen on 127.0.0.1.",
)

const THROTTLED: AuthOutcome = {
  ok: false,
  status: 429,
  code: "token_check_throttled",
  message: "a wrong secret was just presented for this token, which still has its old (scrypt) hash; " +
    "retry in a second. Its first successful use upgrades it; revoking it and creating a new one also avoids this.",
  retryAfterSeconds: Math.ceil(LEGACY_RETRY_MS / 1000),
}

type Verdict = "match" | "mismatch" | "throttled"

/**
 * Token checks against the store, with what is needed to keep working while the database is down:
 * tokens verified before keep working (revocation then waits for the database), and the
 * "are there any tokens" answer falls back to the last one seen, or to "yes" (fail closed).
 */
export const makeAuthenticator = (
  store: StoreShape,
  options: AuthenticatorOptions = { exposed: false },
): Authenticator => {
  const repo = makeTokenRepo(store)
  const hashing = options.hashing ?? defaultSecretHashing
  const lastKnown = new Map<string, StoredToken>()
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
   * Once tokens exist, every request without one is re-counted (fail closed), so a revoke of the
   * last token, by any process, is seen at the next request.
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

  // Legacy (scrypt) rows. These maps are keyed by ids of rows found unrevoked with algorithm
  // scrypt, so their size is bounded by the rows made before sql/091, whatever a client sends.
  /** The scrypt running now per id, and the fast hash of the secret it checks (to join it). */
  const legacyRunning = new Map<string, { readonly fast: Buffer; readonly matched: Promise<boolean> }>()
  /** After a wrong secret: no scrypt for this id before this time (ms). */
  const legacyRetryAt = new Map<string, number>()
  /** The fast hash of the secret that matched scrypt hash `legacyHash`, until the row is upgraded. */
  const legacyAccepted = new Map<string, { readonly legacyHash: string; readonly fast: Buffer }>()

  const legacyVerdict = (row: StoredToken, secret: string, fast: Buffer): Effect.Effect<Verdict> =>
    Effect.suspend(() => {
      const accepted = legacyAccepted.get(row.id)
      if (accepted !== undefined && accepted.legacyHash === row.hash) {
        return Effect.succeed(sameHash(accepted.fast, fast) ? "match" : "mismatch")
      }
      const running = legacyRunning.get(row.id)
      if (running !== undefined) {
        // One scrypt per id at a time; the same secret presented concurrently waits for it.
        return sameHash(running.fast, fast)
          ? Effect.promise(() => running.matched).pipe(Effect.map(toVerdict))
          : Effect.succeed("throttled")
      }
      if (Date.now() < (legacyRetryAt.get(row.id) ?? 0)) return Effect.succeed("throttled")
      return Effect.promise(() => startScrypt(row, secret, fast)).pipe(Effect.map(toVerdict))
    })

  const toVerdict = (matched: boolean): Verdict => (matched ? "match" : "mismatch")

  /** Runs scrypt off the event loop; any failure counts as a wrong secret. */
  const startScrypt = (row: StoredToken, secret: string, fast: Buffer): Promise<boolean> => {
    const expected = Buffer.from(row.hash, "hex")
    const matched = Promise.resolve()
      .then(() => hashing.legacy(secret, row.salt))
      .then((key) => sameHash(key, expected))
      .catch(() => false)
      .then((ok) => {
        legacyRunning.delete(row.id)
        if (ok) {
          legacyRetryAt.delete(row.id)
          legacyAccepted.set(row.id, { legacyHash: row.hash, fast })
        } else {
          legacyRetryAt.set(row.id, Date.now() + LEGACY_RETRY_MS)
        }
        return ok
      })
    legacyRunning.set(row.id, { fast, matched })
    return matched
  }

  /** Rewrites an accepted scrypt row with the fast hash (same salt); a failure is retried on the next use. */
  const upgrade = (row: StoredToken, fast: Buffer) =>
    repo.upgradeHash(row.id, row.hash, { salt: row.salt, hash: fast.toString("hex") }).pipe(
      Effect.tap((upgraded) =>
        Effect.sync(() => {
          if (upgraded === undefined) return
          lastKnown.set(row.id, upgraded)
          legacyAccepted.delete(row.id)
          legacyRetryAt.delete(row.id)
        })
      ),
      Effect.ignore,
    )

  const verdict = (row: StoredToken, secret: string): Effect.Effect<Verdict> =>
    Effect.suspend(() => {
      const fast = hashing.fast(secret, row.salt)
      switch (row.algorithm) {
        case "hmac-sha256":
          return Effect.succeed(sameHash(fast, Buffer.from(row.hash, "hex")) ? "match" : "mismatch")
        case "scrypt":
          return legacyVerdict(row, secret, fast).pipe(
            Effect.tap((v) => (v === "match" ? upgrade(row, fast) : Effect.void)),
          )
        case "unknown":
          return Effect.succeed("mismatch")
      }
    })

  const touch = (id: string) =>
    Effect.suspend(() => {
      const now = Date.now()
      if (now - (touched.get(id) ?? 0) < TOUCH_EVERY_MS) return Effect.void
      touched.set(id, now)
      return Effect.ignore(repo.touch(id))
    })

  const authenticate = Effect.fn("Authenticator.check")(function* (
    authorization: string | undefined,
    recordUse: boolean,
  ): Effect.fn.Return<AuthOutcome> {
    if (authorization === undefined || authorization.trim() === "") {
      if (yield* authRequired()) {
        return unauthorized("unauthorized", "an API token is required (Authorization: Bearer infra_...)")
      }
      // No active token: open mode, which only a loopback listener may offer.
      if (options.exposed) return NO_TOKEN_CONFIGURED
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
    // Unknown and revoked ids are refused before any hashing.
    if (row === undefined || row.revokedAt !== null) return INVALID
    const seen = yield* verdict(row, parsed.secret)
    if (seen === "throttled") return THROTTLED
    if (seen === "mismatch") return INVALID
    if (recordUse) yield* touch(row.id)
    return { ok: true, tokenId: row.id, scope: row.scope } as const
  })

  return {
    check: (authorization) => authenticate(authorization, true),
    revalidate: (authorization) => Effect.map(authenticate(authorization, false), (outcome) => outcome.ok),
  }
}

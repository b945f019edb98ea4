import { Buffer } from "node:buffer"
import { createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto"

/**
 * API bearer tokens: `infra_<id>_<secret>`. The id is public (it names the row and lands in audit
 * rows); only a hash of the secret under a per-token salt is stored. Lookup is by id, so checking a
 * token costs one row read and one constant-time comparison, never a scan over all hashes.
 *
 * Secrets are 256 random bits, so a keyed SHA-256 (HMAC, keyed by the salt) is as strong as any
 * slow hash and costs microseconds: a wrong secret cannot buy CPU. scrypt is what versions before
 * sql/091 stored; such rows are still checked with it, and rewritten on their first correct use.
 */

export type TokenScope = "read" | "write"

export const TOKEN_PREFIX = "infra_"
const ID_BYTES = 6 // 12 hex characters
const SECRET_BYTES = 32 // 64 hex characters
const SALT_BYTES = 16
const KEY_LENGTH = 32
const ID = /^[0-9a-f]{12}$/
const SECRET = /^[0-9a-f]{64}$/

export const isTokenScope = (s: unknown): s is TokenScope => s === "read" || s === "write"

/** write ⊇ read. */
export const scopeAllows = (granted: TokenScope, needed: TokenScope): boolean =>
  granted === "write" || needed === "read"

export interface ParsedToken {
  readonly id: string
  readonly secret: string
}

/** Splits a presented token; undefined for anything that is not exactly our format. */
export const parseToken = (token: string): ParsedToken | undefined => {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined
  const rest = token.slice(TOKEN_PREFIX.length)
  const cut = rest.indexOf("_")
  if (cut < 0) return undefined
  const id = rest.slice(0, cut)
  const secret = rest.slice(cut + 1)
  return ID.test(id) && SECRET.test(secret) ? { id, secret } : undefined
}

/** How a row's `hash` was made (column `algorithm`, sql/091). */
export type TokenHashAlgorithm = "hmac-sha256" | "scrypt"

export const isTokenHashAlgorithm = (s: unknown): s is TokenHashAlgorithm => s === "hmac-sha256" || s === "scrypt"

/** The two hash functions, as the authenticator uses them (its options accept others, e.g. counting ones). */
export interface SecretHashing {
  /** HMAC-SHA256(key = salt, secret): every token made or upgraded since sql/091. */
  readonly fast: (secret: string, saltHex: string) => Buffer
  /** scrypt(secret, salt), N=16384, 32 bytes: rows from earlier versions. Runs off the event loop. */
  readonly legacy: (secret: string, saltHex: string) => Promise<Buffer>
}

export const defaultSecretHashing: SecretHashing = {
  fast: (secret, saltHex) => createHmac("sha256", Buffer.from(saltHex, "hex")).update(secret).digest(),
  legacy: (secret, saltHex) =>
    new Promise((resolve, reject) =>
      scrypt(secret, Buffer.from(saltHex, "hex"), KEY_LENGTH, (e, key) => (e === null ? resolve(key) : reject(e)))
    ),
}

/** Constant-time for equal lengths; hashes of one algorithm always have equal lengths. */
export const sameHash = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

/** Whether `secret` matches a row stored with the fast hash. */
export const verifySecret = (secret: string, saltHex: string, hashHex: string): boolean =>
  sameHash(defaultSecretHashing.fast(secret, saltHex), Buffer.from(hashHex, "hex"))

export interface NewToken {
  readonly id: string
  /** The full bearer token: shown once, never stored. */
  readonly token: string
  readonly salt: string
  readonly hash: string
  readonly algorithm: TokenHashAlgorithm
}

export const generateToken = (): NewToken => {
  const id = randomBytes(ID_BYTES).toString("hex")
  const secret = randomBytes(SECRET_BYTES).toString("hex")
  const salt = randomBytes(SALT_BYTES).toString("hex")
  const hash = defaultSecretHashing.fast(secret, salt).toString("hex")
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, salt, hash, algorithm: "hmac-sha256" }
}

/**
 * The stored form of a token the operator chose (INFRA_BOOTSTRAP_TOKEN): its id, and a hash of its
 * secret under a fresh salt, exactly as generateToken() makes for a new one.
 */
export const tokenFromParsed = (parsed: ParsedToken): NewToken => {
  const salt = randomBytes(SALT_BYTES).toString("hex")
  const hash = defaultSecretHashing.fast(parsed.secret, salt).toString("hex")
  return {
    id: parsed.id,
    token: `${TOKEN_PREFIX}${parsed.id}_${parsed.secret}`,
    salt,
    hash,
    algorithm: "hmac-sha256",
  }
}

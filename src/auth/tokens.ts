import { Buffer } from "node:buffer"
import { createHash, randomBytes, scryptSync, timingSafeEqual } from "node:crypto"

/**
 * API bearer tokens: `infra_<id>_<secret>`. The id is public (it names the row and lands in audit
 * rows); only scrypt(secret, per-token salt) is stored. Lookup is by id, so checking a token costs
 * one row read and one constant-time comparison, never a scan over all hashes.
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

export const hashSecret = (secret: string, saltHex: string): string =>
  scryptSync(secret, Buffer.from(saltHex, "hex"), KEY_LENGTH).toString("hex")

/** Constant-time in the secret: both sides are fixed-length scrypt outputs. */
export const verifySecret = (secret: string, saltHex: string, hashHex: string): boolean => {
  const expected = Buffer.from(hashHex, "hex")
  const actual = Buffer.from(hashSecret(secret, saltHex), "hex")
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

export interface NewToken {
  readonly id: string
  /** The full bearer token: shown once, never stored. */
  readonly token: string
  readonly salt: string
  readonly hash: string
}

export const generateToken = (): NewToken => {
  const id = randomBytes(ID_BYTES).toString("hex")
  const secret = randomBytes(SECRET_BYTES).toString("hex")
  const salt = randomBytes(SALT_BYTES).toString("hex")
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, salt, hash: hashSecret(secret, salt) }
}

/** A fast digest used only to remember "this exact secret already passed scrypt" in memory. */
export const secretDigest = (secret: string): Buffer => createHash("sha256").update(secret).digest()

export const sameDigest = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

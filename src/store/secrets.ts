import { Buffer } from "node:buffer"
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { ValidationError } from "../domain/errors.ts"

/**
 * Device passwords at rest: AES-256-GCM under a key from INFRA_SECRET_KEY (base64 of 32 bytes).
 * Stored form: `enc:v1:<iv>:<tag>:<ciphertext>` (base64 parts). Key files and ssh-agent are
 * preferred; a password is only accepted when there is a key to encrypt it with.
 */

export const SECRET_KEY_ENV = "INFRA_SECRET_KEY"
const PREFIX = "enc:v1:"
const IV_BYTES = 12

export type SecretKey =
  | { readonly _tag: "Key"; readonly key: Buffer }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Reads the key from a base64 string (normally process.env.INFRA_SECRET_KEY). */
export const parseSecretKey = (raw: string | undefined): SecretKey => {
  if (raw === undefined || raw.trim() === "") return { _tag: "Missing" }
  const text = raw.trim()
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return { _tag: "Invalid", reason: `${SECRET_KEY_ENV} is not base64` }
  const key = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  if (key.length !== 32) {
    return { _tag: "Invalid", reason: `${SECRET_KEY_ENV} must be base64 of 32 bytes, got ${key.length} bytes` }
  }
  return { _tag: "Key", key }
}

export const secretKeyFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): SecretKey =>
  parseSecretKey(env[SECRET_KEY_ENV])

export const isEncrypted = (stored: string): boolean => stored.startsWith(PREFIX)

/** Encrypts a password for storage; a ValidationError (HTTP 400) explains what to do without a usable key. */
export const sealPassword = (plain: string, key: SecretKey): string | ValidationError => {
  if (key._tag === "Missing") {
    return new ValidationError({
      message: `refusing to store an SSH password without an encryption key: set ${SECRET_KEY_ENV} ` +
        "(base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or use private_key_path / ssh-agent instead",
      details: { field: "password" },
    })
  }
  if (key._tag === "Invalid") {
    return new ValidationError({
      message: `refusing to store an SSH password: ${key.reason}`,
      details: { field: "password" },
    })
  }
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv("aes-256-gcm", key.key, iv)
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()])
  const tag = cipher.getAuthTag()
  return `${PREFIX}${iv.toString("base64")}:${tag.toString("base64")}:${body.toString("base64")}`
}

/**
 * The plaintext of a stored password, or why it cannot be had. Values stored before encryption
 * existed (no prefix) are returned as they are.
 */
export const openPassword = (
  stored: string,
  key: SecretKey,
): { readonly plain: string } | { readonly problem: string } => {
  if (!isEncrypted(stored)) return { plain: stored }
  if (key._tag !== "Key") {
    return { problem: key._tag === "Missing" ? `${SECRET_KEY_ENV} is not set` : key.reason }
  }
  const [iv, tag, body] = stored.slice(PREFIX.length).split(":")
  if (iv === undefined || tag === undefined || body === undefined) return { problem: "stored password is malformed" }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64"))
    decipher.setAuthTag(Buffer.from(tag, "base64"))
    const plain = Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()])
    return { plain: plain.toString("utf8") }
  } catch {
    return { problem: `stored password does not decrypt with ${SECRET_KEY_ENV} (was the key changed?)` }
  }
}

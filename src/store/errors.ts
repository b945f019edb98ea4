import { StoreError } from "../domain/errors.ts"

/** Driver/system codes meaning "the database is not reachable", as opposed to "this SQL is wrong". */
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_ENDED",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "3D000", // database does not exist: nothing to talk to
  "28000", // invalid authorization
  "28P01", // bad password
])

const errorCode = (e: unknown): string | undefined => {
  if (typeof e !== "object" || e === null) return undefined
  const code = (e as { code?: unknown }).code
  return typeof code === "string" ? code : undefined
}

const errorMessage = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
    return (e as { message: string }).message
  }
  return String(e)
}

export const isUniqueViolation = (e: unknown): boolean => errorCode(e) === "23505"

export const isUnavailable = (e: unknown): boolean => {
  const code = errorCode(e)
  if (code !== undefined && (unavailableCodes.has(code) || code.startsWith("08"))) return true
  // PGlite has no codes for its own lifecycle errors.
  return /pglite is closed|connection (ended|closed|terminated)/i.test(errorMessage(e))
}

export const toStoreError = (op: string, e: unknown): StoreError => {
  if (e instanceof StoreError) return e
  const code = errorCode(e)
  const message = errorMessage(e)
  return new StoreError({
    op,
    message: code !== undefined && !message.includes(code) ? `${message} (${code})` : message,
    unavailable: isUnavailable(e),
  })
}

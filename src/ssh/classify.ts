import { SshError, type SshReason } from "../domain/errors.ts"

export const sshError = (device: string, reason: SshReason, message: string): SshError =>
  new SshError({ device, reason, message })

export const isSshError = (u: unknown): u is SshError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "SshError"

/**
 * Map a socket/ssh2 error to a reason. `connecting` is true before the session was ready:
 * a reset then is a failed connect, afterwards it is a lost connection.
 */
export const classifyTransportError = (device: string, error: unknown, connecting: boolean): SshError => {
  if (isSshError(error)) return error
  const e = (error ?? {}) as { code?: unknown; level?: unknown; message?: unknown }
  const code = typeof e.code === "string" ? e.code : ""
  const level = typeof e.level === "string" ? e.level : ""
  const message = typeof e.message === "string" ? e.message : String(error)
  const reason: SshReason =
    code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME" || level === "client-dns"
      ? "dns"
      : code === "ECONNREFUSED"
      ? "connect_refused"
      : code === "ETIMEDOUT" || level === "client-timeout"
      ? "connect_timeout"
      : level === "client-authentication"
      ? "auth_failed"
      : connecting && code === "EHOSTUNREACH"
      ? "connect_timeout"
      : "connection_lost"
  const detail = code !== "" && !message.includes(code) ? `${code}: ${message}` : message
  return sshError(device, reason, detail)
}

/**
 * The dashboard's browser session: the API token itself, kept in an HttpOnly, SameSite=Strict
 * cookie, checked by the HTTP auth middleware exactly like an Authorization header (same
 * Authenticator, same scope, a revoked token is refused at its next request). State-changing
 * requests authenticated by the cookie must also carry a CSRF value derived from the token.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { Buffer } from "node:buffer"

export const SESSION_COOKIE = "infra_session"
export const CSRF_HEADER = "x-csrf-token"
export const CSRF_FIELD = "_csrf"

/** A token-looking cookie value: no separators, bounded (tokens are `infra_<id>_<secret>`). */
const TOKEN_VALUE = /^[A-Za-z0-9._~-]{1,512}$/

/** The session token in a Cookie header, if any (the first `infra_session` pair). */
export const sessionTokenFrom = (cookieHeader: string | undefined): string | undefined => {
  if (cookieHeader === undefined) return undefined
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=")
    if (eq < 0) continue
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue
    const value = part.slice(eq + 1).trim()
    return TOKEN_VALUE.test(value) ? value : undefined
  }
  return undefined
}

/** The CSRF value of a session: base64url(HMAC-SHA256(token, "csrf")). Not the token, and useless without it. */
export const csrfFor = (token: string): string => createHmac("sha256", token).update("csrf").digest("base64url")

/** Constant-time comparison of a presented CSRF value with the session's. */
export const csrfMatches = (token: string, presented: string | undefined): boolean => {
  if (presented === undefined) return false
  const expected = Buffer.from(csrfFor(token))
  const given = Buffer.from(presented)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Whether the browser reached us over https: the URL's scheme, or the proxy's X-Forwarded-Proto. */
export const viaHttps = (url: string, forwardedProto: string | undefined): boolean =>
  url.startsWith("https:") || (forwardedProto ?? "").split(",")[0]?.trim().toLowerCase() === "https"

const attributes = (secure: boolean) => `; HttpOnly; SameSite=Strict; Path=/${secure ? "; Secure" : ""}`

/** Set-Cookie for a new session (a browser session cookie: gone when the browser closes). */
export const sessionCookie = (token: string, secure: boolean): string =>
  `${SESSION_COOKIE}=${token}${attributes(secure)}`

/** Set-Cookie that removes the session. */
export const clearedCookie = (secure: boolean): string =>
  `${SESSION_COOKIE}=${attributes(secure)}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`

/** Served to anyone: the sign-in form, sign-out, and the static assets (no data in them). */
export const isPublicDashboardPath = (path: string): boolean =>
  path === "/login" || path === "/logout" || path.startsWith("/assets/")

/** Pages a person opens: without credentials they are sent to /login instead of a JSON 401. */
export const isDashboardPage = (path: string): boolean =>
  path === "/" || DASHBOARD_AREAS.some((area) => path === area || path.startsWith(`${area}/`))

/** The page areas besides the fleet at / (src/dashboard/<area>). */
const DASHBOARD_AREAS = ["/devices", "/changes", "/audit", "/settings", "/alerts"]

import { Effect } from "effect"
import type { Context, MiddlewareHandler } from "hono"
import type { Authenticator } from "../auth/Authenticator.ts"
import "../auth/context.ts"
import {
  CSRF_FIELD,
  CSRF_HEADER,
  csrfMatches,
  isDashboardPage,
  isPublicDashboardPath,
  sessionTokenFrom,
} from "../dashboard/session/session.ts"
import { REFERENCE_PATHS } from "./openapi/reference.ts"

/**
 * Paths anyone may read: load balancers and probes must not need a token, nor a browser opening
 * the API reference (it describes the API, carries no data, and is the same for everyone).
 */
const PUBLIC = new Set(["/health", ...REFERENCE_PATHS])

const challenge = (code: string) => `Bearer realm="infrastructor", error="${code}"`

const SAFE_METHODS = new Set(["GET", "HEAD"])

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i

/** The CSRF value a cookie-authenticated write carries: the header, else a form field. */
const presentedCsrf = async (c: Context): Promise<string | undefined> => {
  const header = c.req.header(CSRF_HEADER)
  if (header !== undefined) return header
  if (!FORM_TYPES.test(c.req.header("content-type") ?? "")) return undefined
  try {
    const field = (await c.req.parseBody())[CSRF_FIELD]
    return typeof field === "string" ? field : undefined
  } catch {
    return undefined
  }
}

/**
 * Who is asking, for every route but the public ones: a valid bearer token (or open mode) sets tokenScope
 * and tokenId on the Hono context; anything else is answered here (401, 429, 503). What the token
 * may do is not decided here: application operations authorize from the Caller (src/app/operation.ts).
 *
 * Without an Authorization header, the dashboard's session cookie (src/dashboard/session) stands for
 * it: the same token, the same checks. Such a request that changes anything must also carry the
 * session's CSRF value (header x-csrf-token or form field _csrf), else 403 csrf_failed. A dashboard
 * page asked for without valid credentials redirects to /login.
 */
export const authMiddlewareWith = (auth: Authenticator): MiddlewareHandler => async (c, next) => {
  if (PUBLIC.has(c.req.path) || isPublicDashboardPath(c.req.path)) return next()
  const header = c.req.header("authorization")
  const cookieToken = header === undefined ? sessionTokenFrom(c.req.header("cookie")) : undefined
  const credentials = cookieToken === undefined ? header : `Bearer ${cookieToken}`
  const outcome = await Effect.runPromise(auth.check(credentials))
  if (!outcome.ok) {
    if (outcome.status === 401 && SAFE_METHODS.has(c.req.method) && isDashboardPage(c.req.path)) {
      return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 302)
    }
    if (outcome.status === 401) c.header("WWW-Authenticate", challenge(outcome.code))
    if (outcome.status === 429 && outcome.retryAfterSeconds !== undefined) {
      c.header("Retry-After", String(outcome.retryAfterSeconds))
    }
    return c.json({ error: { code: outcome.code, message: outcome.message } }, outcome.status)
  }
  if (cookieToken !== undefined && !SAFE_METHODS.has(c.req.method)) {
    if (!csrfMatches(cookieToken, await presentedCsrf(c))) {
      return c.json({
        error: {
          code: "csrf_failed",
          message: `a request signed in by the session cookie must carry the page's CSRF value (${CSRF_HEADER})`,
        },
      }, 403)
    }
  }
  c.set("tokenScope", outcome.scope)
  c.set("tokenId", outcome.tokenId)
  // Long-lived answers (SSE) ask again while they run: a revoked token ends them.
  c.set("stillAuthorized", () => Effect.runPromise(auth.revalidate(credentials)))
  await next()
}

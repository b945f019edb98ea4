import { Effect } from "effect"
import type { MiddlewareHandler } from "hono"
import type { Authenticator } from "../auth/Authenticator.ts"
import "../auth/context.ts"

/** Paths anyone may read: load balancers and probes must not need a token. */
const PUBLIC = new Set(["/health"])

const challenge = (code: string) => `Bearer realm="infrastructor", error="${code}"`

/**
 * Who is asking, for every route but /health: a valid bearer token (or open mode) sets tokenScope
 * and tokenId on the Hono context; anything else is answered here (401, 429, 503). What the token
 * may do is not decided here: application operations authorize from the Caller (src/app/operation.ts).
 */
export const authMiddlewareWith = (auth: Authenticator): MiddlewareHandler => async (c, next) => {
  if (PUBLIC.has(c.req.path)) return next()
  const header = c.req.header("authorization")
  const outcome = await Effect.runPromise(auth.check(header))
  if (!outcome.ok) {
    if (outcome.status === 401) c.header("WWW-Authenticate", challenge(outcome.code))
    if (outcome.status === 429 && outcome.retryAfterSeconds !== undefined) {
      c.header("Retry-After", String(outcome.retryAfterSeconds))
    }
    return c.json({ error: { code: outcome.code, message: outcome.message } }, outcome.status)
  }
  c.set("tokenScope", outcome.scope)
  c.set("tokenId", outcome.tokenId)
  // Long-lived answers (SSE) ask again while they run: a revoked token ends them.
  c.set("stillAuthorized", () => Effect.runPromise(auth.revalidate(header)))
  await next()
}

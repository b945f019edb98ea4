import { Effect } from "effect"
import type { MiddlewareHandler } from "hono"
import { Store } from "../store/Store.ts"
import { type Authenticator, makeAuthenticator } from "./Authenticator.ts"
import "./context.ts"
import { scopeAllows, type TokenScope } from "./tokens.ts"

/** Paths anyone may read: load balancers and probes must not need a token. */
const PUBLIC = new Set(["/health"])

/**
 * GET/HEAD need read, anything else write. MCP speaks JSON-RPC over POST for reads and writes
 * alike, so /mcp* needs only read here and the MCP route checks `tokenScope` per tool.
 */
export const neededScope = (method: string, path: string): TokenScope =>
  method === "GET" || method === "HEAD" || path === "/mcp" || path.startsWith("/mcp/") ? "read" : "write"

const challenge = (code: string) => `Bearer realm="infrastructor", error="${code}"`

/** Bearer-token check for every route but /health; sets tokenScope/tokenId on the Hono context. */
export const authMiddlewareWith = (auth: Authenticator): MiddlewareHandler => async (c, next) => {
  if (PUBLIC.has(c.req.path)) return next()
  const outcome = await Effect.runPromise(auth.check(c.req.header("authorization")))
  if (!outcome.ok) {
    if (outcome.status === 401) c.header("WWW-Authenticate", challenge(outcome.code))
    return c.json({ error: { code: outcome.code, message: outcome.message } }, outcome.status)
  }
  const needed = neededScope(c.req.method, c.req.path)
  if (!scopeAllows(outcome.scope, needed)) {
    return c.json(
      {
        error: {
          code: "forbidden",
          message: `this token has scope '${outcome.scope}'; ${c.req.method} needs '${needed}'`,
        },
      },
      403,
    )
  }
  c.set("tokenScope", outcome.scope)
  c.set("tokenId", outcome.tokenId)
  await next()
}

/** The middleware over the Store in context (register first in makeHttpApp). */
export const authMiddleware: Effect.Effect<MiddlewareHandler, never, Store> = Effect.map(
  Effect.service(Store),
  (store) => authMiddlewareWith(makeAuthenticator(store)),
)

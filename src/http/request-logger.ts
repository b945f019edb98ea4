import { Effect } from "effect"
import type { MiddlewareHandler } from "hono"

/** Debug-level access log: method, path, status, duration. Register first so it sees every answer. */
export const requestLogger =
  (run: (log: Effect.Effect<void>) => Promise<unknown>): MiddlewareHandler => async (c, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      const fields = {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      }
      // Streams (SSE) are logged when their headers go out, not when they end.
      void run(Effect.logDebug("http request", fields))
    }
  }

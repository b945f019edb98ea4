import { Cause, Effect, Exit, Option } from "effect"
import type { Context as HonoContext, Hono, MiddlewareHandler } from "hono"
import { withTokenId } from "../auth/context.ts"
import { Cache } from "../cache/Cache.ts"
import { ValidationError } from "../domain/errors.ts"
import { splitCacheKey } from "../observe/cache-keys.ts"
import { Observability } from "../observe/Observability.ts"
import { contentType } from "../observe/prometheus.ts"
import { rollupMethods } from "../observe/rollup.ts"
import { Registry } from "../registry/Registry.ts"
import { Store } from "../store/Store.ts"
import { toHttpError } from "./errors.ts"
import { parseBool, parseLimit, parseTime } from "./query.ts"

export type ObserveRouteServices = Observability | Cache | Store | Registry

type RunExit = <A, E>(effect: Effect.Effect<A, E, any>) => Promise<Exit.Exit<A, E>>

/** Run an Effect for a request and answer JSON, typed errors mapped like the rest of the API. */
export const makeResponder =
  (runExit: RunExit) =>
  async <A>(c: HonoContext, effect: Effect.Effect<A, unknown, any>, status: 200 | 201 = 200): Promise<Response> => {
    const exit = await runExit(Effect.suspend(() => effect).pipe(withTokenId(c.get("tokenId"))))
    if (Exit.isSuccess(exit)) return c.json(exit.value as object, status)
    const failure = Cause.findErrorOption(exit.cause)
    const error = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
    const http = toHttpError(error)
    if (http.status === 500) await runExit(Effect.logError("request failed", Cause.pretty(exit.cause)))
    return c.json(http.body, http.status)
  }

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

const optional = (raw: string | undefined): string | undefined => (raw === undefined || raw === "" ? undefined : raw)

/** Cache, performance, retention and Prometheus routes. */
export const mountObserveRoutes = (app: Hono) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<ObserveRouteServices>()
    const runExit: RunExit = Effect.runPromiseExitWith(context) as RunExit
    const respond = makeResponder(runExit)

    app.get("/api/cache", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const cache = yield* Cache
          const stats = cache.stats()
          const entries = cache.entries()
          const byType = new Map<string, { entries: number; bytes: number; hits: number }>()
          for (const e of entries) {
            const t = splitCacheKey(e.key).dataType
            const agg = byType.get(t) ?? { entries: 0, bytes: 0, hits: 0 }
            agg.entries++
            agg.bytes += e.bytes
            agg.hits += e.hits
            byType.set(t, agg)
          }
          const lookups = stats.hits + stats.misses
          const listed = parseBool("entries", c.req.query("entries"))
            ? entries.slice(-parseLimit(c.req.query("limit"), 100, 10_000)).reverse().map((e) => {
              const parts = splitCacheKey(e.key)
              return {
                device: parts.device,
                data_type: parts.dataType,
                params: parts.params,
                created_at: new Date(e.storedAt).toISOString(),
                last_accessed_at: new Date(e.lastAccessedAt).toISOString(),
                expires_at: new Date(e.expiresAt).toISOString(),
                expired: e.expiresAt <= Date.now(),
                hits: e.hits,
                size_bytes: e.bytes,
              }
            })
            : undefined
          return {
            entries: stats.entries,
            bytes: stats.bytes,
            max_entries: stats.maxEntries,
            max_bytes: stats.maxBytes,
            hits: stats.hits,
            misses: stats.misses,
            hit_ratio: lookups === 0 ? null : stats.hits / lookups,
            evictions: stats.evictions,
            loads: stats.loads,
            coalesced: stats.coalesced,
            stale: stats.stale,
            by_data_type: [...byType].map(([data_type, v]) => ({ data_type, ...v }))
              .sort((a, b) => a.data_type.localeCompare(b.data_type)),
            ...(listed === undefined ? {} : { items: listed }),
          }
        }),
      ))

    app.delete("/api/cache", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const deviceRef = optional(c.req.query("device"))
          const dataType = optional(c.req.query("data_type"))
          const reason = optional(c.req.query("reason")) ?? "api request"
          if (reason.length > 500) {
            return yield* Effect.fail(new ValidationError({ message: "reason is at most 500 characters" }))
          }
          // Unknown names are 404s rather than silent no-ops: a typo should not look like success.
          const device = deviceRef === undefined
            ? undefined
            : yield* Effect.flatMap(Store, (s) => s.getDevice(deviceRef))
          if (dataType !== undefined) yield* Effect.flatMap(Registry, (r) => r.get(dataType))
          const observability = yield* Observability
          return yield* observability.invalidateCache({
            device: device?.name,
            dataType,
            reason,
            method: "api",
            source: "DELETE /api/cache",
            deviceId: device?.id ?? null,
          })
        }),
      ))

    app.get("/api/performance", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const to = parseTime("to", c.req.query("to")) ?? new Date()
          const from = parseTime("from", c.req.query("from")) ?? new Date(to.getTime() - 3600_000)
          if (from > to) return yield* Effect.fail(new ValidationError({ message: "from must not be after to" }))
          const method = optional(c.req.query("method"))
          if (method !== undefined && !rollupMethods.includes(method)) {
            return yield* Effect.fail(
              new ValidationError({ message: `method must be one of ${rollupMethods.join(", ")}` }),
            )
          }
          const limit = parseLimit(c.req.query("limit"), 1000, 100_000)
          const rows = yield* Effect.flatMap(Observability, (o) => o.performance({ from, to, method, limit }))
          return { from: from.toISOString(), to: to.toISOString(), count: rows.length, rows }
        }),
      ))

    app.get("/api/retention", (c) => respond(c, Effect.map(Observability, (o) => ({ rules: o.retentionRules }))))

    app.post("/api/retention/run", (c) => respond(c, Effect.flatMap(Observability, (o) => o.runRetention())))

    app.get("/metrics", async (c) => {
      const exit = await runExit(Effect.map(Observability, (o) => o.prometheus()))
      if (Exit.isFailure(exit)) {
        await runExit(Effect.logError("metrics failed", Cause.pretty(exit.cause)))
        return c.text("# metrics unavailable\n", 500)
      }
      return c.body(exit.value, 200, { "content-type": contentType })
    })
  })

import { Effect, Exit } from "effect"
import { Hono } from "hono"
import { Admin } from "../app/admin.ts"
import { contentType } from "../observe/prometheus.ts"
import type { Bridge } from "./bridge.ts"
import { decodedBody, TokenRequest } from "./body.ts"
import { optional, parseBool, parseLimit, parseTime } from "./query.ts"

/** Audit, cache, performance, retention, Prometheus metrics, scheduler and API tokens. */
export const adminRoutes = (bridge: Bridge<Admin>): Hono => {
  const app = new Hono()

  app.get("/api/audit", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Admin.use((a) =>
          a.audit({
            device: optional(c.req.query("device")),
            dataType: optional(c.req.query("data_type")),
            method: optional(c.req.query("method")),
            status: optional(c.req.query("status")),
            since: parseTime("since", c.req.query("since")),
            until: parseTime("until", c.req.query("until")),
            tokenId: optional(c.req.query("token")),
            limit: parseLimit(c.req.query("limit"), 100, 10_000),
          })
        )
      ),
    ))

  app.get("/api/cache", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Admin.use((a) =>
          a.cache({
            entries: parseBool("entries", c.req.query("entries")),
            limit: parseLimit(c.req.query("limit"), 100, 10_000),
          })
        )
      ),
    ))

  app.delete("/api/cache", (c) =>
    bridge.respond(
      c,
      Admin.use((a) =>
        a.invalidateCache({
          device: optional(c.req.query("device")),
          dataType: optional(c.req.query("data_type")),
          reason: optional(c.req.query("reason")) ?? "api request",
        })
      ),
    ))

  app.get("/api/performance", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() => {
        const to = parseTime("to", c.req.query("to")) ?? new Date()
        const from = parseTime("from", c.req.query("from")) ?? new Date(to.getTime() - 3600_000)
        return Admin.use((a) =>
          a.performance({
            from,
            to,
            method: optional(c.req.query("method")),
            limit: parseLimit(c.req.query("limit"), 1000, 100_000),
          })
        )
      }),
    ))

  app.get("/api/retention", (c) => bridge.respond(c, Admin.use((a) => a.retentionRules())))
  app.post("/api/retention/run", (c) => bridge.respond(c, Admin.use((a) => a.runRetention())))

  app.get("/metrics", async (c) => {
    const exit = await bridge.exit(c, Admin.use((a) => a.metrics()))
    if (Exit.isSuccess(exit)) return c.body(exit.value, 200, { "content-type": contentType })
    return bridge.respond(c, Effect.failCause(exit.cause))
  })

  // The fleet's collected data, apart from the service's own /metrics: a scrape of it reads the store.
  app.get("/metrics/fleet", async (c) => {
    const exit = await bridge.exit(c, Admin.use((a) => a.fleetMetrics()))
    if (Exit.isSuccess(exit)) return c.body(exit.value, 200, { "content-type": contentType })
    return bridge.respond(c, Effect.failCause(exit.cause))
  })

  app.get("/api/scheduler", (c) => bridge.respond(c, Admin.use((a) => a.scheduler(optional(c.req.query("device"))))))
  app.post("/api/scheduler/refresh", (c) => bridge.respond(c, Admin.use((a) => a.refreshScheduler())))

  app.get("/api/tokens", (c) => bridge.respond(c, Admin.use((a) => Effect.map(a.tokens(), (tokens) => ({ tokens })))))

  app.post("/api/tokens", (c) =>
    bridge.respond(
      c,
      Effect.gen(function* () {
        const body = yield* decodedBody(c, TokenRequest)
        const name = body.name
        const scope = body.scope ?? "read"
        const created = yield* Admin.use((a) => a.createToken(name, scope))
        return { ...created.info, token: created.token }
      }),
      { status: 201 },
    ))

  app.delete("/api/tokens/:id", (c) => bridge.respond(c, Admin.use((a) => a.revokeToken(c.req.param("id")))))

  return app
}

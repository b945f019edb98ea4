import { Effect, Exit } from "effect"
import { Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import type { Admin } from "../app/admin.ts"
import type { Alerts } from "../app/alerts.ts"
import type { Configs } from "../app/configs.ts"
import type { Data } from "../app/data.ts"
import type { Devices } from "../app/devices.ts"
import { makeAuthenticator } from "../auth/Authenticator.ts"
import { dashboardRoutes } from "../dashboard/routes.ts"
import { authMiddlewareWith } from "./auth-middleware.ts"
import { makeMcpHttpHandler } from "../mcp/http.ts"
import type { McpServices } from "../mcp/context.ts"
import { EventLog } from "../observe/EventLog.ts"
import { Store } from "../store/Store.ts"
import { adminRoutes } from "./admin-routes.ts"
import { alertRoutes } from "./alerts-routes.ts"
import { makeBridge } from "./bridge.ts"
import { configRoutes } from "./configs-routes.ts"
import { dataRoutes } from "./data-routes.ts"
import { deviceRoutes } from "./devices-routes.ts"
import { toHttpError } from "./errors.ts"
import { eventRoutes } from "./events-routes.ts"
import { referenceRoutes } from "./openapi/reference.ts"
import { requestLogger } from "./request-logger.ts"
import { HttpSettings } from "./settings.ts"

export type AppServices = Data | Devices | Configs | Admin | Alerts | Store | EventLog | McpServices

/** MCP's own request cap (the SDK's), above the REST default. */
const MCP_MAX_BODY_BYTES = 4 * 1024 * 1024

const tooLarge = (limit: number) =>
  bodyLimit({
    maxSize: limit,
    onError: (c) =>
      c.json({ error: { code: "payload_too_large", message: `request bodies are limited to ${limit} bytes` } }, 413),
  })

/**
 * The REST API, MCP on /mcp and the event stream. Routes only translate HTTP to application
 * operations (src/app/), which authorize, audit and run them through the pipeline.
 */
export const makeHttpApp = Effect.gen(function* () {
  const settings = yield* HttpSettings
  const store = yield* Store
  const log = yield* EventLog
  const bridge = makeBridge(yield* Effect.context<AppServices>())
  const auth = makeAuthenticator(store, { exposed: settings.exposed })
  const mcp = yield* makeMcpHttpHandler
  const startedAt = Date.now()

  const app = new Hono()
  app.use("*", requestLogger(bridge.run))
  const restLimit = tooLarge(settings.maxBodyBytes)
  const mcpLimit = tooLarge(MCP_MAX_BODY_BYTES)
  // GET and HEAD carry no body; skipping them also keeps @hono/node-server from building a full
  // Request for every read (hono's bodyLimit touches `req.raw.body`), about 8% of a cached read.
  app.use(
    "*",
    (c, next) =>
      c.req.method === "GET" || c.req.method === "HEAD"
        ? next()
        : c.req.path === "/mcp"
        ? mcpLimit(c, next)
        : restLimit(c, next),
  )
  // Who is asking, on everything but /health; what they may do is the operations' business.
  app.use("*", authMiddlewareWith(auth))

  app.get("/health", async (c) => {
    const pinged = await bridge.run(store.ping())
    const ok = Exit.isSuccess(pinged)
    return c.json({
      status: ok ? "ok" : "degraded",
      store: ok ? "ok" : "unavailable",
      backend: store.backend,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    })
  })

  app.route("/", deviceRoutes(bridge))
  app.route("/", configRoutes(bridge)) // before the generic /api/devices/:device/:dataType routes
  app.route("/", dataRoutes(bridge))
  app.route("/", adminRoutes(bridge))
  app.route("/", alertRoutes(bridge))
  app.route("/", eventRoutes(bridge, log))
  app.route("/", referenceRoutes())

  // MCP over Streamable HTTP: each tool call runs as an operation with this request's token.
  app.all("/mcp", (c) => mcp(c.req.raw, { scope: c.get("tokenScope") ?? "read", tokenId: c.get("tokenId") ?? null }))

  app.route("/", dashboardRoutes(bridge, auth))

  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } }, 404)
  )
  app.onError((err, c) => {
    const http = toHttpError(err)
    return c.json(http.body, http.status)
  })
  return app
})

import { Cause, Effect, Exit, Option } from "effect"
import { type Context as HonoContext, Hono } from "hono"
import { Cache } from "../cache/Cache.ts"
import { Collector } from "../collect/Collector.ts"
import { publicDevice } from "../domain/device.ts"
import { type CollectError, ValidationError } from "../domain/errors.ts"
import { errorCode, errorMessage } from "../collect/error-info.ts"
import { makeMcpHttpHandler } from "../mcp/http.ts"
import { Registry } from "../registry/Registry.ts"
import { withTokenId } from "../auth/context.ts"
import { trustHostKey, trustRequestFromBody } from "../auth/host-key-trust.ts"
import { authMiddleware } from "../auth/middleware.ts"
import type { HostKeys } from "../ssh/HostKeys.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { Store } from "../store/Store.ts"
import { deviceInputFromBody, devicePatchFromBody } from "./device-body.ts"
import { mountConfigRoutes } from "./configs.ts"
import { mountEventRoutes } from "./events-routes.ts"
import { mountObserveRoutes, requestLogger } from "./observe-routes.ts"
import { mountSchedulerRoutes } from "./scheduler-routes.ts"
import { collectedJson } from "./collected-json.ts"
import { toHttpError } from "./errors.ts"
import { parseBool, parseLimit, parseTime } from "./query.ts"

export type AppServices = Collector | Store | Registry | Ssh | Cache | HostKeys

/** Query parameters with a meaning of their own; everything else goes to the data type as params. */
const reserved = new Set(["force_refresh"])

const readJson = (c: HonoContext) =>
  Effect.tryPromise({
    try: () => c.req.json() as Promise<unknown>,
    catch: () => new ValidationError({ message: "body must be valid JSON" }),
  })

/** The REST API. Every data read goes through Collector.collect (method "api"). */
export const makeHttpApp = Effect.gen(function* () {
  const context = yield* Effect.context<AppServices>()
  const runExit = Effect.runPromiseExitWith(context)
  const startedAt = Date.now()
  const mcp = yield* makeMcpHttpHandler

  const respond = async <A>(
    c: HonoContext,
    effect: Effect.Effect<A, unknown, AppServices>,
    status: 200 | 201 = 200,
    serialize?: (value: A) => string,
  ): Promise<Response> => {
    const exit = await runExit(Effect.suspend(() => effect).pipe(withTokenId(c.get("tokenId"))))
    if (Exit.isSuccess(exit)) {
      if (serialize === undefined) return c.json(exit.value as object, status)
      return c.body(serialize(exit.value), status, { "content-type": "application/json" })
    }
    const failure = Cause.findErrorOption(exit.cause)
    const error = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
    const http = toHttpError(error)
    if (http.status === 500) await runExit(Effect.logError("request failed", Cause.pretty(exit.cause)))
    return c.json(http.body, http.status)
  }

  const app = new Hono()
  app.use("*", requestLogger(runExit))
  // Bearer tokens on everything but /health (src/auth/middleware.ts); must come before the routes.
  app.use("*", yield* authMiddleware)
  yield* mountConfigRoutes(app) // before the generic /api/devices/:device/:dataType routes

  app.get("/health", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const ok = yield* store.ping().pipe(Effect.as(true), Effect.orElseSucceed(() => false))
        return {
          status: ok ? "ok" : "degraded",
          store: ok ? "ok" : "unavailable",
          backend: store.backend,
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        }
      }),
    ))

  app.get("/api/data-types", (c) =>
    respond(
      c,
      Effect.map(Registry, (r) => ({
        data_types: r.list().map((s) => ({
          name: s.name,
          description: s.description,
          ttl_seconds: s.ttlSeconds,
          requires: s.requires ?? [],
        })),
      })),
    ))

  app.get(
    "/api/devices",
    (c) => respond(c, Effect.map(Store.use((s) => s.listDevices()), (ds) => ({ devices: ds.map(publicDevice) }))),
  )

  app.post("/api/devices", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const input = deviceInputFromBody(yield* readJson(c))
        const store = yield* Store
        const created = yield* store.createDevice(input)
        if (parseBool("probe", c.req.query("probe") ?? "true") === false) return publicDevice(created)
        // Probe on add: an unreachable host still gets added, with the reason in `probe`.
        const collector = yield* Collector
        const probe = yield* collector.collect(created.id, "capabilities", { method: "api", source: "device add" })
          .pipe(
            Effect.as({ ok: true as const }),
            Effect.catch((e: CollectError) =>
              Effect.succeed({ ok: false as const, error: { code: errorCode(e), message: errorMessage(e) } })
            ),
          )
        return { ...publicDevice(yield* store.getDevice(created.id)), probe }
      }),
      201,
    ))

  app.get(
    "/api/devices/:device",
    (c) => respond(c, Effect.map(Store.use((s) => s.getDevice(c.req.param("device"))), publicDevice)),
  )

  app.patch("/api/devices/:device", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const patch = devicePatchFromBody(yield* readJson(c))
        const store = yield* Store
        const ssh = yield* Ssh
        const before = yield* store.getDevice(c.req.param("device"))
        const after = yield* store.updateDevice(before.id, patch)
        // Connection details may have changed: drop the old connection and cached reads.
        yield* ssh.close(before.name)
        const cache = yield* Cache
        cache.invalidate(`${before.name}\u0000`)
        return publicDevice(after)
      }),
    ))

  app.delete("/api/devices/:device", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const device = yield* store.getDevice(c.req.param("device"))
        yield* store.removeDevice(device.id)
        yield* Effect.flatMap(Ssh, (s) => s.close(device.name))
        ;(yield* Cache).invalidate(`${device.name}\u0000`)
        return { deleted: device.name }
      }),
    ))

  app.post("/api/devices/:device/trust-host-key", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const text = yield* Effect.promise(() => c.req.text())
        const body = text.trim() === "" ? undefined : yield* Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: () => new ValidationError({ message: "body must be valid JSON" }),
        })
        const request = trustRequestFromBody(body)
        if (request instanceof ValidationError) return yield* Effect.fail(request)
        return yield* trustHostKey(c.req.param("device"), request, `POST ${c.req.routePath}`)
      }),
    ))

  app.get("/api/devices/:device/:dataType/history", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const spec = yield* Effect.flatMap(Registry, (r) => r.get(c.req.param("dataType")))
        const from = parseTime("from", c.req.query("from"))
        const to = parseTime("to", c.req.query("to"))
        const limit = parseLimit(c.req.query("limit"), 100, 10_000)
        if (from !== undefined && to !== undefined && from > to) {
          return yield* Effect.fail(new ValidationError({ message: "from must not be after to" }))
        }
        const store = yield* Store
        const device = yield* store.getDevice(c.req.param("device"))
        const tables = [spec.table, ...(spec.extraTables ?? [])].filter((x) => x !== "")
        const table = c.req.query("table") ?? tables[0]
        if (table === undefined || !tables.includes(table)) {
          return yield* Effect.fail(
            new ValidationError({
              message: tables.length === 0
                ? `${spec.name} keeps no history table`
                : `table must be one of ${tables.join(", ")}`,
            }),
          )
        }
        const rows = yield* store.history({ table, deviceId: device.id, from, to, limit })
        return {
          device: device.name,
          data_type: spec.name,
          table,
          from: from?.toISOString() ?? null,
          to: to?.toISOString() ?? null,
          count: rows.length,
          rows,
        }
      }),
    ))

  const collectFor = (c: HonoContext, dataType: string, params: Record<string, string>) =>
    Collector.use((collector) =>
      collector.collect(c.req.param("device") ?? "", dataType, {
        method: "api",
        source: `${c.req.method} ${c.req.routePath}`,
        forceRefresh: parseBool("force_refresh", c.req.query("force_refresh")),
        params,
      })
    )

  app.get(
    "/api/devices/:device/containers/:name",
    (c) => respond(c, collectFor(c, "container_inspect", { name: c.req.param("name") })),
  )

  app.get("/api/devices/:device/containers/:name/logs", (c) => {
    const params: Record<string, string> = { name: c.req.param("name") }
    for (const k of ["tail", "since"]) {
      const v = c.req.query(k)
      if (v !== undefined) params[k] = v
    }
    return respond(c, collectFor(c, "container_logs", params))
  })

  app.post("/api/devices/:device/containers/:name/:action", async (c) => {
    const verb = c.req.param("action")
    if (verb !== "start" && verb !== "stop" && verb !== "restart") {
      return c.json({ error: { code: "not_found", message: `unknown container action '${verb}'` } }, 404)
    }
    return await respond(
      c,
      Collector.use((collector) =>
        collector.act(c.req.param("device"), `container_${verb}`, {
          method: "api",
          source: `POST ${c.req.routePath}`,
          params: { name: c.req.param("name") },
        })
      ),
    )
  })

  app.get("/api/devices/:device/:dataType", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const query = c.req.query()
        const params: Record<string, string> = {}
        for (const [k, v] of Object.entries(query)) if (!reserved.has(k)) params[k] = v
        const collector = yield* Collector
        return yield* collector.collect(c.req.param("device"), c.req.param("dataType"), {
          method: "api",
          source: `GET ${c.req.routePath}`,
          forceRefresh: parseBool("force_refresh", query["force_refresh"]),
          params,
        })
      }),
      200,
      collectedJson,
    ))

  app.get("/api/audit", (c) =>
    respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const rows = yield* store.queryAudit({
          device: c.req.query("device"),
          dataType: c.req.query("data_type"),
          method: c.req.query("method"),
          status: c.req.query("status"),
          since: parseTime("since", c.req.query("since")),
          limit: parseLimit(c.req.query("limit"), 100, 10_000),
        })
        return { count: rows.length, entries: rows }
      }),
    ))

  // MCP over Streamable HTTP; registered after app.use(...) middleware, so auth applies to it too.
  app.all("/mcp", (c) => mcp(c.req.raw, { scope: c.get("tokenScope") ?? "write", tokenId: c.get("tokenId") ?? null }))

  yield* mountEventRoutes(app)
  yield* mountObserveRoutes(app)
  yield* mountSchedulerRoutes(app)

  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } }, 404)
  )
  app.onError((err, c) => {
    const http = toHttpError(err)
    return c.json(http.body, http.status)
  })
  return app
})

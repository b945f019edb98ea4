import { Cause, Effect, Exit, Option } from "effect"
import { Hono, type Context as HonoContext } from "hono"
import { Cache } from "../cache/Cache.ts"
import { Collector } from "../collect/Collector.ts"
import { publicDevice } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { Registry } from "../registry/Registry.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { Store } from "../store/Store.ts"
import { deviceInputFromBody, devicePatchFromBody } from "./device-body.ts"
import { toHttpError } from "./errors.ts"
import { parseBool, parseLimit, parseTime } from "./query.ts"

export type AppServices = Collector | Store | Registry | Ssh | Cache

/** Query parameters with a meaning of their own; everything else goes to the data type as params. */
const reserved = new Set(["force_refresh"])

const readJson = (c: HonoContext) =>
  Effect.tryPromise({
    try: () => c.req.json() as Promise<unknown>,
    catch: () => new ValidationError({ message: "body must be valid JSON" }),
  })

/** The REST API. Every data read goes through Collector.collect (method "api"). */
export const makeHttpApp = Effect.gen(function*() {
  const context = yield* Effect.context<AppServices>()
  const runExit = Effect.runPromiseExitWith(context)
  const startedAt = Date.now()

  const respond = async <A>(
    c: HonoContext,
    effect: Effect.Effect<A, unknown, AppServices>,
    status: 200 | 201 = 200,
  ): Promise<Response> => {
    const exit = await runExit(Effect.suspend(() => effect))
    if (Exit.isSuccess(exit)) return c.json(exit.value as object, status)
    const failure = Cause.findErrorOption(exit.cause)
    const error = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
    const http = toHttpError(error)
    if (http.status === 500) await runExit(Effect.logError("request failed", Cause.pretty(exit.cause)))
    return c.json(http.body, http.status)
  }

  const app = new Hono()

  app.get("/health", (c) =>
    respond(
      c,
      Effect.gen(function*() {
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

  app.get("/api/devices", (c) =>
    respond(c, Effect.map(Store.use((s) => s.listDevices()), (ds) => ({ devices: ds.map(publicDevice) }))))

  app.post("/api/devices", (c) =>
    respond(
      c,
      Effect.gen(function*() {
        const input = deviceInputFromBody(yield* readJson(c))
        const store = yield* Store
        return publicDevice(yield* store.createDevice(input))
      }),
      201,
    ))

  app.get("/api/devices/:device", (c) =>
    respond(c, Effect.map(Store.use((s) => s.getDevice(c.req.param("device"))), publicDevice)))

  app.patch("/api/devices/:device", (c) =>
    respond(
      c,
      Effect.gen(function*() {
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
      Effect.gen(function*() {
        const store = yield* Store
        const device = yield* store.getDevice(c.req.param("device"))
        yield* store.removeDevice(device.id)
        yield* Effect.flatMap(Ssh, (s) => s.close(device.name))
        ;(yield* Cache).invalidate(`${device.name}\u0000`)
        return { deleted: device.name }
      }),
    ))

  app.get("/api/devices/:device/:dataType/history", (c) =>
    respond(
      c,
      Effect.gen(function*() {
        const spec = yield* Effect.flatMap(Registry, (r) => r.get(c.req.param("dataType")))
        const from = parseTime("from", c.req.query("from"))
        const to = parseTime("to", c.req.query("to"))
        const limit = parseLimit(c.req.query("limit"), 100, 10_000)
        if (from !== undefined && to !== undefined && from > to) {
          return yield* Effect.fail(new ValidationError({ message: "from must not be after to" }))
        }
        const store = yield* Store
        const device = yield* store.getDevice(c.req.param("device"))
        if (spec.table === "") {
          return yield* Effect.fail(new ValidationError({ message: `${spec.name} keeps no history table` }))
        }
        const rows = yield* store.history({ table: spec.table, deviceId: device.id, from, to, limit })
        return {
          device: device.name,
          data_type: spec.name,
          from: from?.toISOString() ?? null,
          to: to?.toISOString() ?? null,
          count: rows.length,
          rows,
        }
      }),
    ))

  app.get("/api/devices/:device/:dataType", (c) =>
    respond(
      c,
      Effect.gen(function*() {
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
    ))

  app.get("/api/audit", (c) =>
    respond(
      c,
      Effect.gen(function*() {
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

  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } }, 404))
  app.onError((err, c) => {
    const http = toHttpError(err)
    return c.json(http.body, http.status)
  })
  return app
})

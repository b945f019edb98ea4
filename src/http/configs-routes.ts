/** Config history, diffs, change events, on-demand scan and restore (issue 4). */
import { Cause, Effect, Exit, Option } from "effect"
import type { Context as HonoContext, Hono } from "hono"
import { withTokenId } from "../auth/context.ts"
import type { Collector } from "../collect/Collector.ts"
import { diffSnapshots, fileHistory, getSnapshot, listChanges, snapshotView, trackedFiles } from "../configs/history.ts"
import { restoreSnapshot, RestoreValidationFailed } from "../configs/restore.ts"
import { buildDeviceServiceMap } from "../configs/service-map-route.ts"
import { ValidationError } from "../domain/errors.ts"
import type { Events } from "../events/Events.ts"
import { Store } from "../store/Store.ts"
import { Watcher } from "../watch/Watcher.ts"
import { toHttpError } from "./errors.ts"
import { parseBool, parseLimit, parseTime } from "./query.ts"

type ConfigRouteServices = Collector | Store | Events | Watcher

const readBody = (c: HonoContext) =>
  Effect.tryPromise({
    try: async () => {
      const text = await c.req.text()
      return (text.trim() === "" ? {} : JSON.parse(text)) as unknown
    },
    catch: () => new ValidationError({ message: "body must be valid JSON" }),
  })

const bodyBool = (body: Record<string, unknown>, name: string, fallback: boolean): boolean => {
  const v = body[name]
  if (v === undefined || v === null) return fallback
  if (typeof v !== "boolean") throw new ValidationError({ message: `${name} must be true or false` })
  return v
}

const deviceOf = (c: HonoContext) => Store.use((s) => s.getDevice(c.req.param("device") ?? ""))

/** Mount before the generic `/api/devices/:device/:dataType` routes, which would otherwise match. */
export const mountConfigRoutes = (app: Hono) =>
  Effect.gen(function* () {
    const runExit = Effect.runPromiseExitWith(yield* Effect.context<ConfigRouteServices>())

    const respond = async (c: HonoContext, effect: Effect.Effect<unknown, unknown, ConfigRouteServices>) => {
      const exit = await runExit(Effect.suspend(() => effect).pipe(withTokenId(c.get("tokenId"))))
      if (Exit.isSuccess(exit)) return c.json(exit.value as object, 200)
      const failure = Cause.findErrorOption(exit.cause)
      const error = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
      if (error instanceof RestoreValidationFailed) {
        return c.json({
          error: {
            code: "validation_failed",
            message: error.message,
            details: {
              validator: error.validator,
              exit_code: error.exitCode,
              output: error.output,
              rolled_back: error.rolledBack,
            },
          },
        }, 422)
      }
      const http = toHttpError(error)
      if (http.status === 500) await runExit(Effect.logError("request failed", Cause.pretty(exit.cause)))
      return c.json(http.body, http.status)
    }

    app.get("/api/devices/:device/configs", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const device = yield* deviceOf(c)
          const watcher = yield* Watcher
          const files = yield* trackedFiles(device.id)
          return {
            device: device.name,
            count: files.length,
            files,
            watch: watcher.status().find((s) => s.device === device.name) ?? null,
          }
        }),
      ))

    app.get("/api/devices/:device/configs/history", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const path = c.req.query("path")
          if (path === undefined || path === "") {
            return yield* Effect.fail(new ValidationError({ message: "path is required" }))
          }
          const limit = parseLimit(c.req.query("limit"), 100, 10_000)
          const device = yield* deviceOf(c)
          const versions = yield* fileHistory(device.id, path, limit)
          return { device: device.name, path, count: versions.length, versions }
        }),
      ))

    app.get("/api/configs/snapshots/:id", (c) =>
      respond(
        c,
        Effect.map(getSnapshot(c.req.param("id")), (row) => snapshotView(row, parseBool("raw", c.req.query("raw")))),
      ))

    app.get("/api/configs/diff", (c) =>
      respond(
        c,
        diffSnapshots(c.req.query("from") ?? "", c.req.query("to") ?? "", parseBool("raw", c.req.query("raw"))),
      ))

    app.get("/api/changes", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const risk = c.req.query("risk")
          const changes = yield* listChanges({
            device: c.req.query("device") || undefined,
            configType: c.req.query("config_type") || undefined,
            path: c.req.query("path") || undefined,
            since: parseTime("since", c.req.query("since")),
            risk: risk === undefined || risk === "" ? undefined : risk.toUpperCase().split(",").map((r) => r.trim()),
            limit: parseLimit(c.req.query("limit"), 100, 10_000),
          })
          return { count: changes.length, changes }
        }),
      ))

    app.get("/api/devices/:device/service-map", (c) =>
      respond(
        c,
        Effect.flatMap(deviceOf(c), (device) => buildDeviceServiceMap(device)),
      ))

    app.post("/api/devices/:device/configs/scan", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const device = yield* deviceOf(c)
          const watcher = yield* Watcher
          const out = yield* watcher.scan(device.id, { source: "api", method: "api" })
          return { device: device.name, files: out.files, recorded: out.recorded, unreadable: out.unreadable }
        }),
      ))

    app.post("/api/devices/:device/configs/restore", (c) =>
      respond(
        c,
        Effect.gen(function* () {
          const raw = yield* readBody(c)
          if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            return yield* Effect.fail(new ValidationError({ message: "body must be a JSON object" }))
          }
          const body = raw as Record<string, unknown>
          const id = body["snapshot_id"]
          if (typeof id !== "number" && typeof id !== "string") {
            return yield* Effect.fail(new ValidationError({ message: "snapshot_id is required" }))
          }
          const watcher = yield* Watcher
          return yield* restoreSnapshot(c.req.param("device") ?? "", {
            snapshotId: id,
            dryRun: bodyBool(body, "dry_run", true),
            validate: bodyBool(body, "validate", true),
            source: `POST ${c.req.routePath}`,
          }, watcher.settings)
        }),
      ))

    app.get("/api/watch/status", (c) => respond(c, Watcher.useSync((w) => ({ devices: w.status() }))))
  })

/** Config history, diffs, change events, on-demand scan and restore. */
import { Effect } from "effect"
import { Hono } from "hono"
import { Configs } from "../app/configs.ts"
import type { Bridge } from "./bridge.ts"
import { decodedBody, RestoreRequest } from "./body.ts"
import { optional, parseBool, parseLimit, parseTime } from "./query.ts"

/** Mount before the generic `/api/devices/:device/:dataType` routes, which would otherwise match. */
/** An event id from a query string; anything else is NaN, which the operation refuses with a 400. */
const eventId = (raw: string | undefined): number | undefined =>
  raw === undefined || raw === "" ? undefined : /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN

export const configRoutes = (bridge: Bridge<Configs>): Hono => {
  const app = new Hono()

  app.get(
    "/api/devices/:device/configs",
    (c) => bridge.respond(c, Configs.use((s) => s.tracked(c.req.param("device")))),
  )

  app.get("/api/devices/:device/configs/history", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Configs.use((s) =>
          s.history(c.req.param("device"), c.req.query("path") ?? "", parseLimit(c.req.query("limit"), 100, 10_000))
        )
      ),
    ))

  // raw=true (secrets as stored) is its own operation, with its own scope.
  app.get("/api/configs/snapshots/:id", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        parseBool("raw", c.req.query("raw"))
          ? Configs.use((s) => s.rawSnapshot(c.req.param("id")))
          : Configs.use((s) => s.snapshot({ snapshotId: c.req.param("id") }))
      ),
    ))

  app.get("/api/configs/diff", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() => {
        const from = c.req.query("from") ?? ""
        const to = c.req.query("to") ?? ""
        return parseBool("raw", c.req.query("raw"))
          ? Configs.use((s) => s.rawDiff(from, to))
          : Configs.use((s) => s.diff({ from, to }))
      }),
    ))

  app.get("/api/changes", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() => {
        const risk = optional(c.req.query("risk"))
        return Configs.use((s) =>
          s.changes({
            device: optional(c.req.query("device")),
            configType: optional(c.req.query("config_type")),
            path: optional(c.req.query("path")),
            since: parseTime("since", c.req.query("since")),
            risk: risk?.toUpperCase().split(",").map((r) => r.trim()),
            changeType: optional(c.req.query("change_type"))?.toUpperCase(),
            before: eventId(c.req.query("before")),
            limit: parseLimit(c.req.query("limit"), 100, 10_000),
          })
        )
      }),
    ))

  app.get(
    "/api/devices/:device/service-map",
    (c) => bridge.respond(c, Configs.use((s) => s.serviceMap(c.req.param("device")))),
  )

  app.post(
    "/api/devices/:device/configs/scan",
    (c) => bridge.respond(c, Configs.use((s) => s.scan(c.req.param("device")))),
  )

  // dry_run (the default) only reads the host: it is its own, read-scoped operation.
  app.post("/api/devices/:device/configs/restore", (c) =>
    bridge.respond(
      c,
      Effect.gen(function* () {
        const body = yield* decodedBody(c, RestoreRequest)
        const device = c.req.param("device")
        return body.dry_run ?? true
          ? yield* Configs.use((s) => s.restorePreview(device, body.snapshot_id))
          : yield* Configs.use((s) => s.restore(device, body.snapshot_id, { validate: body.validate ?? true }))
      }),
    ))

  app.get("/api/watch/status", (c) => bridge.respond(c, Configs.use((s) => s.watchStatus())))

  return app
}

import { Effect } from "effect"
import type { Context as HonoContext } from "hono"
import { Hono } from "hono"
import { type ContainerVerb, Data } from "../app/data.ts"
import type { Bridge } from "./bridge.ts"
import { collectedJson } from "./collected-json.ts"
import { optional, parseBool, parseLimit, parseTime } from "./query.ts"

/** Query parameters with a meaning of their own; every other one goes to the data type as a param. */
const reserved = new Set(["force_refresh"])

const verbs: ReadonlyArray<ContainerVerb> = ["start", "stop", "restart"]

const forceRefresh = (c: HonoContext) => parseBool("force_refresh", c.req.query("force_refresh"))

/** Reads through the pipeline, container actions, stored history. */
export const dataRoutes = (bridge: Bridge<Data>): Hono => {
  const app = new Hono()

  app.get(
    "/api/data-types",
    (c) => bridge.respond(c, Data.use((d) => Effect.map(d.dataTypes(), (data_types) => ({ data_types })))),
  )

  app.get("/api/devices/:device/:dataType/history", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Data.use((d) =>
          d.history(c.req.param("device"), c.req.param("dataType"), {
            from: parseTime("from", c.req.query("from")),
            to: parseTime("to", c.req.query("to")),
            limit: parseLimit(c.req.query("limit"), 100, 10_000),
            table: optional(c.req.query("table")),
          })
        )
      ),
    ))

  // Before /containers/:name, which would otherwise take /containers/series.
  app.get("/api/devices/:device/:dataType/series", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Data.use((d) =>
          d.series(c.req.param("device"), c.req.param("dataType"), {
            from: parseTime("from", c.req.query("from")),
            to: parseTime("to", c.req.query("to")),
            points: c.req.query("points"),
            by: c.req.query("by"),
          })
        )
      ),
    ))

  app.get("/api/devices/:device/containers/:name", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Data.use((d) =>
          d.collect(c.req.param("device"), "container_inspect", {
            forceRefresh: forceRefresh(c),
            params: { name: c.req.param("name") },
          })
        )
      ),
    ))

  app.get("/api/devices/:device/containers/:name/logs", (c) =>
    bridge.respond(
      c,
      Data.use((d) =>
        d.collect(c.req.param("device"), "container_logs", {
          params: { name: c.req.param("name"), tail: c.req.query("tail"), since: c.req.query("since") },
        })
      ),
    ))

  app.post("/api/devices/:device/containers/:name/:action", async (c) => {
    const verb = c.req.param("action") as ContainerVerb
    if (!verbs.includes(verb)) {
      return c.json({ error: { code: "not_found", message: `unknown container action '${verb}'` } }, 404)
    }
    return await bridge.respond(c, Data.use((d) => d.containerAction(c.req.param("device"), verb, c.req.param("name"))))
  })

  app.get("/api/devices/:device/:dataType", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() => {
        const params: Record<string, string> = {}
        for (const [k, v] of Object.entries(c.req.query())) if (!reserved.has(k)) params[k] = v
        return Data.use((d) =>
          d.collect(c.req.param("device"), c.req.param("dataType"), { forceRefresh: forceRefresh(c), params })
        )
      }),
      { serialize: collectedJson },
    ))

  return app
}

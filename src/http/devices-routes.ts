import { Effect } from "effect"
import { Hono } from "hono"
import { Devices } from "../app/devices.ts"
import type { Bridge } from "./bridge.ts"
import { jsonBody } from "./body.ts"
import { parseBool } from "./query.ts"

/** /api/devices: list, add (with probe), read, change, remove, see and re-trust a host key. */
export const deviceRoutes = (bridge: Bridge<Devices>): Hono => {
  const app = new Hono()

  app.get(
    "/api/devices",
    (c) => bridge.respond(c, Devices.use((d) => Effect.map(d.list(), (devices) => ({ devices })))),
  )

  app.post("/api/devices", (c) =>
    bridge.respond(
      c,
      Effect.gen(function* () {
        const probe = parseBool("probe", c.req.query("probe") ?? "true")
        const body = yield* jsonBody(c)
        return yield* Devices.use((d) => d.add(body, { probe }))
      }),
      { status: 201 },
    ))

  app.get("/api/devices/:device", (c) => bridge.respond(c, Devices.use((d) => d.get(c.req.param("device")))))

  app.patch(
    "/api/devices/:device",
    (c) =>
      bridge.respond(
        c,
        Effect.flatMap(jsonBody(c), (body) => Devices.use((d) => d.update(c.req.param("device"), body))),
      ),
  )

  app.delete("/api/devices/:device", (c) => bridge.respond(c, Devices.use((d) => d.remove(c.req.param("device")))))

  app.get(
    "/api/devices/:device/host-key",
    (c) => bridge.respond(c, Devices.use((d) => d.hostKey(c.req.param("device")))),
  )

  app.post("/api/devices/:device/trust-host-key", (c) =>
    bridge.respond(
      c,
      Effect.flatMap(jsonBody(c), (body) => Devices.use((d) => d.trustHostKey(c.req.param("device"), body))),
    ))

  return app
}

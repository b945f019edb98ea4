import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Layer, Logger, ManagedRuntime, References } from "effect"
import { Hono } from "hono"
import { requestLogger } from "../src/http/request-logger.ts"

interface Logged {
  readonly level: string
  readonly message: unknown
}

/** A runtime whose logger records into an array, at the given minimum level. */
const capture = (minimum: "Debug" | "Info") => {
  const logged: Array<Logged> = []
  const logger = Logger.make((o) => {
    logged.push({ level: o.logLevel, message: o.message })
  })
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel, minimum)),
  )
  return { logged, runtime }
}

const appWith = (runtime: ManagedRuntime.ManagedRuntime<never, never>) => {
  const app = new Hono()
  app.use("*", requestLogger((e) => runtime.runPromiseExit(e)))
  app.get("/ok", (c) => c.json({ ok: true }))
  app.get("/boom", (c) => c.json({ error: "no" }, 418))
  return app
}

const settle = () => new Promise((r) => setTimeout(r, 20))

describe("HTTP request logging", () => {
  test("logs method, path, status and duration at debug level", async () => {
    const { logged, runtime } = capture("Debug")
    const app = appWith(runtime)
    assert.equal((await app.request("/ok?x=1")).status, 200)
    assert.equal((await app.request("/boom")).status, 418)
    assert.equal((await app.request("/missing", { method: "POST" })).status, 404)
    await settle()
    const fields = logged.map((l) => {
      assert.equal(l.level, "Debug")
      const parts = l.message as Array<unknown>
      assert.equal(parts[0], "http request")
      return parts[1] as { method: string; path: string; status: number; duration_ms: number }
    })
    assert.deepEqual(fields.map((f) => [f.method, f.path, f.status]), [
      ["GET", "/ok", 200],
      ["GET", "/boom", 418],
      ["POST", "/missing", 404],
    ])
    for (const f of fields) assert.ok(typeof f.duration_ms === "number" && f.duration_ms >= 0)
    await runtime.dispose()
  })

  test("stays quiet above debug level", async () => {
    const { logged, runtime } = capture("Info")
    await appWith(runtime).request("/ok")
    await settle()
    assert.deepEqual(logged, [])
    await runtime.dispose()
  })
})

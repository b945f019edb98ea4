import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { setTimeout as sleep } from "node:timers/promises"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { ParseError } from "../src/domain/errors.ts"
import { noRetry } from "../src/domain/schedules.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen, type RunningServer } from "../src/http/server.ts"
import { composeServices } from "../src/layers.ts"
import { EventLog } from "../src/observe/EventLog.ts"
import type { ObserveOptions } from "../src/observe/Observability.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { allActions } from "../src/collectors/index.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { shq } from "../src/domain/quote.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { type TestBackend, testBackends, uniqueSchema } from "./harness/db.ts"
import { parseExposition, sampleValue } from "./harness/prometheus.ts"
import { type Frame, openStream, payload } from "./harness/sse-stream.ts"

const echoSpec: DataTypeSpec<{ out: string }> = {
  name: "echo_probe",
  description: "test type",
  table: "",
  ttlSeconds: 60,
  params: params({ word: "text to print" }),
  timeout: "5 seconds",
  retry: noRetry,
  script: (p) => `printf '%s' ${shq(String(p["word"] ?? "none"))}`,
  parse: (r) => Result.succeed({ out: r.stdout }),
  toRows: () => [],
}

const brokenSpec: DataTypeSpec<{ never: true }> = {
  name: "broken_probe",
  description: "test type",
  table: "",
  ttlSeconds: 60,
  params: params({ word: "text to print" }),
  timeout: "5 seconds",
  retry: noRetry,
  script: () => "echo garbage",
  parse: () => Result.fail(new ParseError({ dataType: "broken_probe", message: "no header line" })),
  toRows: () => [],
}

interface Served {
  readonly server: RunningServer
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>
  readonly call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>
}

/** The real service graph and HTTP app on a listening port (SSE needs a real socket). */
const withServer = async (backend: TestBackend, observe: ObserveOptions, body: (s: Served) => Promise<void>) => {
  const layer = composeServices({
    store: backend.layer(uniqueSchema("sse")),
    ssh: makeSshLayer({ sshDir: "/nonexistent" }),
    cache: makeCacheLayer({}),
    registry: Registry.make([echoSpec, brokenSpec], {}, allActions),
    observe,
  }).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  let server: RunningServer | undefined
  try {
    const app = await runtime.runPromise(makeHttpApp)
    server = await listen(app, "127.0.0.1", 0)
    const url = server.url
    const call = async (method: string, path: string, payload?: unknown) => {
      const res = await fetch(url + path, {
        method,
        ...(payload === undefined
          ? {}
          : { body: JSON.stringify(payload), headers: { "content-type": "application/json" } }),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed as any }
    }
    await body({ server, runtime, call })
  } finally {
    await server?.close()
    await runtime.dispose()
  }
}

/** The seq of a stream id `<epoch>-<seq>` (NaN for anything else). */
const seqOf = (id: string | undefined): number => {
  const m = /^[0-9a-z]+-(\d+)$/.exec(id ?? "")
  return m === null ? Number.NaN : Number(m[1])
}

const subscribers = (s: Served) => s.runtime.runPromise(EventLog.use((l) => Effect.succeed(l.subscribers())))

const waitUntil = async (check: () => Promise<boolean>, what: string, ms = 3000) => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await sleep(25)
  }
}

const addLocal = async (s: Served, name: string) => {
  const res = await s.call("POST", "/api/devices?probe=false", { name, host: "localhost", transport: "local" })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

for (const backend of testBackends()) {
  describe(`GET /api/events (SSE) on ${backend.name}`, () => {
    test("filters by device, data type and kind; ids match the payload; telemetry is never streamed", async () => {
      await withServer(backend, {}, async (s) => {
        await addLocal(s, "a")
        await addLocal(s, "b")
        const byDevice = await openStream(`${s.server.url}/api/events?device=a&kind=DataCollected,CollectionFailed`)
        const byType = await openStream(`${s.server.url}/api/events?data_type=broken_probe`)
        const everything = await openStream(`${s.server.url}/api/events`)
        assert.equal(byDevice.res.status, 200)
        assert.match(byDevice.res.headers.get("content-type") ?? "", /^text\/event-stream/)
        await waitUntil(async () => (await subscribers(s)) === 3, "three subscribers")

        await s.call("GET", "/api/devices/a/echo_probe")
        await s.call("GET", "/api/devices/a/echo_probe") // a hit: no event
        await s.call("GET", "/api/devices/b/echo_probe")
        await s.call("GET", "/api/devices/b/broken_probe")
        await s.call("GET", "/api/devices/a/broken_probe")
        await s.call("DELETE", "/api/cache?device=b")
        await s.call("GET", "/api/devices/a/echo_probe?word=last")

        await byDevice.waitFor((fs) => fs.filter((f) => f.event).length >= 3, "three events on a")
        // The last call's event arrived, so anything wrongly let through would have arrived before it.
        await everything.waitFor((fs) => fs.filter((f) => f.event === "DataCollected").length === 3, "all collections")
        const got = byDevice.events().map((f) => [f.event, payload(f).device, payload(f).dataType])
        assert.deepEqual(got, [
          ["DataCollected", "a", "echo_probe"],
          ["CollectionFailed", "a", "broken_probe"],
          ["DataCollected", "a", "echo_probe"],
        ])
        for (const f of byDevice.events()) {
          assert.equal(f.id, String(payload(f).id))
          assert.equal(f.event, payload(f)._tag)
        }
        const ids = byDevice.events().map((f) => seqOf(f.id))
        assert.ok(ids.every((id) => id > 0), "ids are <epoch>-<seq>")
        assert.deepEqual([...ids].sort((x, y) => x - y), ids)

        // A device-wide invalidation (dataType null = every type) concerns broken_probe too.
        await byType.waitFor((fs) => fs.filter((f) => f.event).length >= 3, "two failures and the invalidation")
        assert.deepEqual(byType.events().map((f) => [f.event, payload(f).device]), [
          ["CollectionFailed", "b"],
          ["CollectionFailed", "a"],
          ["CacheInvalidated", "b"],
        ])

        await everything.waitFor((fs) => fs.some((f) => f.event === "CacheInvalidated"), "cache invalidation")
        await everything.waitFor((fs) => fs.filter((f) => f.event === "DataCollected").length === 3, "all collections")
        const kinds = new Set(everything.events().map((f) => f.event))
        assert.ok(kinds.has("DeviceStatusChanged"))
        assert.ok(!kinds.has("OperationCompleted"))
        const invalidated = payload(everything.events().find((f) => f.event === "CacheInvalidated") as Frame)
        assert.equal(invalidated.device, "b")
        assert.equal(invalidated.entries, 1)

        // An id that is not ours is not refused (that would end an EventSource's retries): it gets
        // a ReplayGap first (test/sse-replay.test.ts has the rest).
        const unknown = await openStream(`${s.server.url}/api/events`, { "last-event-id": "abc" })
        assert.equal(unknown.res.status, 200)
        await unknown.waitFor((fs) => fs.some((f) => f.event === "ReplayGap"), "a ReplayGap")
        assert.equal(payload(unknown.events()[0]!).reason, "unknown_id")
        await unknown.close()

        await Promise.all([byDevice.close(), byType.close(), everything.close()])
      })
    })

    test("resumes from Last-Event-ID, and says so when the replay buffer no longer reaches back", async () => {
      await withServer(backend, { replayBufferSize: 4 }, async (s) => {
        await addLocal(s, "r")
        const first = await openStream(`${s.server.url}/api/events?kind=DataCollected`)
        await s.call("GET", "/api/devices/r/echo_probe?word=1")
        await first.waitFor((fs) => fs.some((f) => f.event === "DataCollected"), "first event")
        const lastId = first.events()[0]?.id as string
        await first.close()
        await waitUntil(async () => (await subscribers(s)) === 0, "the listener is released on disconnect")

        // Missed while disconnected.
        await s.call("GET", "/api/devices/r/echo_probe?word=2")
        await s.call("GET", "/api/devices/r/echo_probe?word=3")
        const resumed = await openStream(`${s.server.url}/api/events?kind=DataCollected`, { "last-event-id": lastId })
        await resumed.waitFor((fs) => fs.filter((f) => f.event).length >= 2, "two replayed events")
        await s.call("GET", "/api/devices/r/echo_probe?word=4")
        await resumed.waitFor((fs) => fs.filter((f) => f.event).length >= 3, "a live event after the replay")
        const ids = resumed.events().map((f) => seqOf(f.id))
        assert.equal(new Set(ids).size, ids.length, "no duplicates")
        assert.equal(ids.length, 3)
        assert.ok(ids.every((id) => id > seqOf(lastId)))
        assert.deepEqual([...ids].sort((x, y) => x - y), ids)
        assert.equal(resumed.events().some((f) => f.event === "ReplayGap"), false)
        await resumed.close()

        // More than the buffer holds: the client is told it missed some.
        for (let i = 0; i < 6; i++) await s.call("GET", `/api/devices/r/echo_probe?word=gap${i}`)
        const late = await openStream(`${s.server.url}/api/events?last_event_id=${lastId}`)
        await late.waitFor((fs) => fs.filter((f) => f.event).length >= 5, "gap notice and the buffer")
        const [gap, ...rest] = late.events()
        assert.equal(gap?.event, "ReplayGap")
        assert.equal(rest.length, 4, "the buffer holds four events")
        await late.close()
      })
    })

    test("heartbeats keep idle streams alive; disconnecting releases the subscription", async () => {
      await withServer(backend, { heartbeatMs: 100 }, async (s) => {
        const stream = await openStream(`${s.server.url}/api/events`)
        await stream.waitFor((fs) => fs.filter((f) => f.comment === "heartbeat").length >= 2, "two heartbeats", 3000)
        assert.equal(await subscribers(s), 1)
        const metrics = parseExposition(await (await fetch(`${s.server.url}/metrics`)).text())
        assert.equal(sampleValue(metrics, "infrastructor_event_subscribers"), 1)
        await stream.close()
        await waitUntil(async () => (await subscribers(s)) === 0, "no subscribers after disconnect")
      })
    })
  })
}

/**
 * GET /api/events replays only on request: a client without Last-Event-ID gets the events from the
 * moment it connected, nothing buffered before; with one it gets what it missed after that id, told
 * first by a ReplayGap event when the buffer no longer reaches back (or the id is not this process's).
 * Real service graph, real listening server, events from real collections (a local-transport device).
 */
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { setTimeout as sleep } from "node:timers/promises"
import { type Frame, openStream as openSse, payload } from "./harness/sse-stream.ts"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { allActions } from "../src/collectors/index.ts"
import { shq } from "../src/domain/quote.ts"
import { noRetry } from "../src/domain/schedules.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen, type RunningServer } from "../src/http/server.ts"
import { composeServices } from "../src/layers.ts"
import { EventLog } from "../src/observe/EventLog.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { type TestBackend, testBackends, uniqueSchema } from "./harness/db.ts"

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

/** Events kept for replay in these tests: small, so that a few collections overflow it. */
const BUFFER = 4

interface Served {
  readonly url: string
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>
  /** One collection with a new word: a cache miss, so exactly one DataCollected event. */
  readonly collect: (word: string) => Promise<void>
}

const withServer = async (backend: TestBackend, body: (s: Served) => Promise<void>) => {
  const layer = composeServices({
    store: backend.layer(uniqueSchema("ssereplay")),
    ssh: makeSshLayer({ sshDir: "/nonexistent" }),
    cache: makeCacheLayer({}),
    registry: Registry.make([echoSpec], {}, allActions),
    observe: { replayBufferSize: BUFFER },
  }).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  let server: RunningServer | undefined
  try {
    server = await listen(await runtime.runPromise(makeHttpApp), "127.0.0.1", 0)
    const url = server.url
    const added = await fetch(`${url}/api/devices?probe=false`, {
      method: "POST",
      body: JSON.stringify({ name: "r", host: "localhost", transport: "local" }),
      headers: { "content-type": "application/json" },
    })
    assert.equal(added.status, 201, await added.text())
    const collect = async (word: string) => {
      const res = await fetch(`${url}/api/devices/r/echo_probe?word=${word}`)
      assert.equal(res.status, 200, await res.text())
    }
    await body({ url, runtime, collect })
  } finally {
    await server?.close()
    await runtime.dispose()
  }
}

/** A stream of event frames (comments aside) that must open with 200. */
const openStream = async (url: string, headers: Record<string, string> = {}) => {
  const stream = await openSse(url, headers)
  assert.equal(stream.res.status, 200)
  /** Every event frame up to the first one with an id above `after` (a live event the test caused). */
  const through = async (after: number) => {
    const at = () => stream.events().findIndex((f) => Number(f.id) > after)
    await stream.waitFor(() => at() >= 0, `an event after ${after}`)
    return stream.events().slice(0, at() + 1).map((f) => ({ ...f, payload: payload(f) }))
  }
  return {
    get frames() {
      return stream.events()
    },
    through,
    close: stream.close,
  }
}

/** "GAP" for the notice, else the event's id: what a stream sent, in order. */
const sent = (frames: ReadonlyArray<Frame>) => frames.map((f) => f.event === "ReplayGap" ? "GAP" : Number(f.id))

const lastId = (s: Served) => s.runtime.runPromise(EventLog.use((l) => Effect.succeed(l.lastId())))

/** A collection made while `stream` is open; returns what the stream sent up to and including its event. */
const liveCollect = async (s: Served, stream: Awaited<ReturnType<typeof openStream>>, word: string) => {
  const before = await lastId(s)
  await s.collect(word)
  return stream.through(before)
}

/** Collections seen by a stream opened before them: the id of each one's DataCollected event, in order. */
const observe = async (s: Served, collected: ReadonlyArray<string>): Promise<Array<number>> => {
  const watcher = await openStream(`${s.url}/api/events?kind=DataCollected`)
  for (const w of collected) await s.collect(w)
  const deadline = Date.now() + 5000
  while (watcher.frames.length < collected.length) {
    if (Date.now() > deadline) throw new Error(`missing events: ${JSON.stringify(watcher.frames)}`)
    await sleep(20)
  }
  await watcher.close()
  const ids = watcher.frames.map((f) => Number(f.id))
  assert.equal(ids.length, collected.length)
  return ids
}

for (const backend of testBackends()) {
  describe(`SSE replay on ${backend.name}`, () => {
    test("no Last-Event-ID: only events from now on, not the buffer, and no gap notice", async () => {
      await withServer(backend, async (s) => {
        // More than the buffer holds, all before the client connects.
        for (let i = 0; i < BUFFER + 2; i++) await s.collect(`old${i}`)
        const published = await lastId(s)
        assert.ok(published > BUFFER, "events were published before the client connected")

        const fresh = await openStream(`${s.url}/api/events`)
        const frames = await liveCollect(s, fresh, "live")
        assert.equal(frames.length, 1, `nothing from before the connection, no ReplayGap: ${JSON.stringify(frames)}`)
        assert.equal(frames[0]?.event, "DataCollected")
        assert.ok(Number(frames[0]?.id) > published)
        await fresh.close()

        // An empty header is what a client that never got an id sends: the same as none.
        const empty = await openStream(`${s.url}/api/events`, { "last-event-id": "" })
        const again = await liveCollect(s, empty, "live2")
        assert.equal(again.length, 1, JSON.stringify(again))
        await empty.close()
      })
    })

    test("Last-Event-ID inside the buffer: exactly what was missed, then live", async () => {
      await withServer(backend, async (s) => {
        const [a, b, c] = await observe(s, ["a", "b", "c"])
        const resumed = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": String(a) })
        const frames = await liveCollect(s, resumed, "d")
        const d = Number(frames[frames.length - 1]?.id)
        assert.deepEqual(sent(frames), [b, c, d])
        await resumed.close()

        // The query parameter does the same for a first connection.
        const byQuery = await openStream(`${s.url}/api/events?kind=DataCollected&last_event_id=${b}`)
        const more = await liveCollect(s, byQuery, "e")
        assert.deepEqual(sent(more), [c, d, Number(more[more.length - 1]?.id)])
        await byQuery.close()
      })
    })

    test("Last-Event-ID older than the buffer: a ReplayGap first, then what is left", async () => {
      await withServer(backend, async (s) => {
        const ids = await observe(s, ["a", "b", "c", "d", "e", "f"])
        const [a, , c, d, e, f] = ids
        const late = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": String(a) })
        const frames = await liveCollect(s, late, "g")
        const g = Number(frames[frames.length - 1]?.id)
        assert.deepEqual(sent(frames), ["GAP", c, d, e, f, g])
        const gap = frames[0]
        assert.equal(gap?.id, undefined, "the notice has no id: the client's last id stays a real event's")
        assert.deepEqual(gap?.payload, {
          reason: "evicted",
          requested_after: a,
          oldest_available: c,
          newest_available: f,
        })
        await late.close()

        // Asking for everything explicitly (id 0) also says that the start is gone.
        const all = await openStream(`${s.url}/api/events?kind=DataCollected&last_event_id=0`)
        const everything = await liveCollect(s, all, "h")
        assert.deepEqual(sent(everything), ["GAP", d, e, f, g, Number(everything[everything.length - 1]?.id)])
        await all.close()
      })
    })

    test("a Last-Event-ID this process never issued (from before a restart): gap notice, then the buffer", async () => {
      await withServer(backend, async (s) => {
        const [a, b] = await observe(s, ["a", "b"])
        const unknown = (await lastId(s)) + 1000
        const stale = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": String(unknown) })
        const frames = await liveCollect(s, stale, "c")
        assert.deepEqual(sent(frames), ["GAP", a, b, Number(frames[frames.length - 1]?.id)])
        assert.equal(frames[0]?.payload.reason, "unknown_id")
        assert.equal(frames[0]?.payload.requested_after, unknown)
        await stale.close()
      })
    })
  })
}

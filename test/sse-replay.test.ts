/**
 * GET /api/events replays only on request: a client without Last-Event-ID gets the events from the
 * moment it connected, nothing buffered before; with one it gets what it missed after that id, told
 * first by a ReplayGap event when the buffer no longer reaches back, or when the id is not one of this
 * run's: ids are `<epoch>-<seq>`, so an id from before a restart (same store, new process) or a
 * malformed one is never taken for one of ours. Real service graph, real listening server, events
 * from real collections (a local-transport device).
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
import { makeStoreLayer } from "../src/store/layer.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { type TestBackend, testBackends, uniqueSchema } from "./harness/db.ts"
import type { Store } from "../src/store/Store.ts"
import type { HostKeys } from "../src/ssh/HostKeys.ts"
import type { StoreError } from "../src/domain/errors.ts"

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
  /** This run's epoch, and the stream id of one of its bus ids. */
  readonly epoch: string
  readonly id: (seq: number) => string
  /** One collection with a new word: a cache miss, so exactly one DataCollected event. */
  readonly collect: (word: string) => Promise<void>
}

/** The seq of a stream id `<epoch>-<seq>` (NaN for anything else). */
const seqOf = (id: string | undefined): number => {
  const m = /^[0-9a-z]+-(\d+)$/.exec(id ?? "")
  return m === null ? Number.NaN : Number(m[1])
}

/** One run of the service over `store`: started, device `r` added unless it is there, then `body`. */
const runServer = async (
  store: Layer.Layer<Store | HostKeys, StoreError>,
  addDevice: boolean,
  body: (s: Served) => Promise<void>,
) => {
  const layer = composeServices({
    store,
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
    if (addDevice) {
      const added = await fetch(`${url}/api/devices?probe=false`, {
        method: "POST",
        body: JSON.stringify({ name: "r", host: "localhost", transport: "local" }),
        headers: { "content-type": "application/json" },
      })
      assert.equal(added.status, 201, await added.text())
    }
    const collect = async (word: string) => {
      const res = await fetch(`${url}/api/devices/r/echo_probe?word=${word}`)
      assert.equal(res.status, 200, await res.text())
    }
    const epoch = await runtime.runPromise(EventLog.use((l) => Effect.succeed(l.epoch)))
    await body({ url, runtime, epoch, id: (seq) => `${epoch}-${seq}`, collect })
  } finally {
    await server?.close()
    await runtime.dispose()
  }
}

const withServer = (backend: TestBackend, body: (s: Served) => Promise<void>) =>
  runServer(backend.layer(uniqueSchema("ssereplay")), true, body)

/** A stream of event frames (comments aside) that must open with 200. */
const openStream = async (url: string, headers: Record<string, string> = {}) => {
  const stream = await openSse(url, headers)
  assert.equal(stream.res.status, 200)
  /** Every event frame up to the first one with an id above `after` (a live event the test caused). */
  const through = async (after: number) => {
    const at = () => stream.events().findIndex((f) => seqOf(f.id) > after)
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
const sent = (frames: ReadonlyArray<Frame>) => frames.map((f) => f.event === "ReplayGap" ? "GAP" : f.id)

const lastId = (s: Served) => s.runtime.runPromise(EventLog.use((l) => Effect.succeed(l.lastId())))

/** A collection made while `stream` is open; returns what the stream sent up to and including its event. */
const liveCollect = async (s: Served, stream: Awaited<ReturnType<typeof openStream>>, word: string) => {
  const before = await lastId(s)
  await s.collect(word)
  return stream.through(before)
}

/** Collections seen by a stream opened before them: the id of each one's DataCollected event, in order. */
const observe = async (s: Served, collected: ReadonlyArray<string>): Promise<Array<string>> => {
  const watcher = await openStream(`${s.url}/api/events?kind=DataCollected`)
  for (const w of collected) await s.collect(w)
  const deadline = Date.now() + 5000
  while (watcher.frames.length < collected.length) {
    if (Date.now() > deadline) throw new Error(`missing events: ${JSON.stringify(watcher.frames)}`)
    await sleep(20)
  }
  await watcher.close()
  const ids = watcher.frames.map((f) => f.id ?? "")
  assert.equal(ids.length, collected.length)
  for (const id of ids) assert.match(id, new RegExp(`^${s.epoch}-\\d+$`), "ids are <epoch>-<seq>")
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
        assert.ok(seqOf(frames[0]?.id) > published)
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
        const resumed = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": a! })
        const frames = await liveCollect(s, resumed, "d")
        const d = frames[frames.length - 1]?.id
        assert.deepEqual(sent(frames), [b, c, d])
        await resumed.close()

        // The query parameter does the same for a first connection.
        const byQuery = await openStream(`${s.url}/api/events?kind=DataCollected&last_event_id=${b}`)
        const more = await liveCollect(s, byQuery, "e")
        assert.deepEqual(sent(more), [c, d, more[more.length - 1]?.id])
        await byQuery.close()
      })
    })

    test("Last-Event-ID older than the buffer: a ReplayGap first, then what is left", async () => {
      await withServer(backend, async (s) => {
        const ids = await observe(s, ["a", "b", "c", "d", "e", "f"])
        const [a, , c, d, e, f] = ids
        const late = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": a! })
        const frames = await liveCollect(s, late, "g")
        const g = frames[frames.length - 1]?.id
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
        assert.deepEqual(sent(everything), ["GAP", d, e, f, g, everything[everything.length - 1]?.id])
        await all.close()
      })
    })

    test("a Last-Event-ID this run never issued (a seq beyond its newest): gap notice, then the buffer", async () => {
      await withServer(backend, async (s) => {
        const [a, b] = await observe(s, ["a", "b"])
        const unknown = s.id((await lastId(s)) + 1000)
        const stale = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": unknown })
        const frames = await liveCollect(s, stale, "c")
        assert.deepEqual(sent(frames), ["GAP", a, b, frames[frames.length - 1]?.id])
        assert.equal(frames[0]?.payload.reason, "unknown_id")
        assert.equal(frames[0]?.payload.requested_after, unknown)
        await stale.close()
      })
    })

    test("after a restart on the same store, an old id gets a ReplayGap and the new buffer, not a replay by its seq", async () => {
      const schema = uniqueSchema("ssereplay")
      // The keeper holds the store (and drops the schema) across both runs.
      const keeper = ManagedRuntime.make(backend.layer(schema))
      try {
        await keeper.runPromise(Effect.void)
        let before: { epoch: string; ids: Array<string> } | undefined
        await runServer(makeStoreLayer(backend.options(schema)), true, async (s) => {
          before = { epoch: s.epoch, ids: await observe(s, ["a", "b", "c"]) }
        })
        const old = before!.ids[0]!
        await runServer(makeStoreLayer(backend.options(schema)), false, async (s) => {
          assert.notEqual(s.epoch, before!.epoch, "a new run, a new epoch")
          const [d, e] = await observe(s, ["d", "e"])
          // The old id's seq is one this run has issued too: taken as a plain number, it would
          // replay this run's events after it, with no notice, as if the client had seen the rest.
          assert.ok(seqOf(old) < seqOf(e), `old seq ${old} is below the new newest ${e}`)
          assert.ok(seqOf(old) >= 1)

          const stale = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": old })
          const frames = await liveCollect(s, stale, "f")
          const f = frames[frames.length - 1]?.id
          assert.deepEqual(sent(frames), ["GAP", d, e, f])
          assert.equal(frames[0]?.id, undefined)
          assert.deepEqual(frames[0]?.payload, {
            reason: "unknown_id",
            requested_after: old,
            oldest_available: d,
            newest_available: e,
          })
          await stale.close()

          // An id of this run still replays exactly what was missed, and no notice.
          const current = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": d! })
          const resumed = await liveCollect(s, current, "g")
          assert.deepEqual(sent(resumed), [e, f, resumed[resumed.length - 1]?.id])
          await current.close()
        })
      } finally {
        await keeper.dispose()
      }
    })

    test("a malformed or pre-epoch Last-Event-ID: a ReplayGap and the buffer, then live, never a 400", async () => {
      await withServer(backend, async (s) => {
        const [a, b] = await observe(s, ["a", "b"])
        const long = "z".repeat(300)
        const cases: Array<[string, string]> = [
          ["abc", "abc"],
          [String(seqOf(a)), String(seqOf(a))], // a bare number, as ids were before epochs
          [`${s.epoch}-`, `${s.epoch}-`],
          [`-${seqOf(a)}`, `-${seqOf(a)}`],
          [`${s.epoch}-${seqOf(a)}-1`, `${s.epoch}-${seqOf(a)}-1`],
          [`${s.epoch.toUpperCase()}-${seqOf(a)}`, `${s.epoch.toUpperCase()}-${seqOf(a)}`],
          [long, long.slice(0, 100)],
        ]
        // Every event in the buffer so far, oldest first (the collections are all there is).
        const buffered = [a!, b!]
        let word = 0
        for (const [header, echoed] of cases) {
          const stream = await openStream(`${s.url}/api/events?kind=DataCollected`, { "last-event-id": header })
          const frames = await liveCollect(s, stream, `m${word++}`)
          const live = frames[frames.length - 1]?.id
          assert.match(live ?? "", new RegExp(`^${s.epoch}-\\d+$`))
          assert.deepEqual(sent(frames), ["GAP", ...buffered.slice(-BUFFER), live], header)
          assert.equal(frames[0]?.payload.reason, "unknown_id", header)
          assert.equal(frames[0]?.payload.requested_after, echoed)
          buffered.push(live!)
          await stream.close()
        }
        // The query form is read the same way.
        const byQuery = await openStream(`${s.url}/api/events?kind=DataCollected&last_event_id=nonsense`)
        const frames = await liveCollect(s, byQuery, "q")
        assert.equal(frames[0]?.payload.reason, "unknown_id")
        await byQuery.close()
      })
    })
  })
}

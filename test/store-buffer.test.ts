/**
 * The write buffer's loss bound (issue 10, defect 10) against a Store double whose writes can
 * land, fail as an outage, or hang on the "driver" until the test lets them go:
 * - every accepted write is in the spill file within spillAfter, whatever state it is in
 *   (the flusher's current write, a direct write stuck on the driver, the memory queue);
 * - a stuck direct write returns to its caller once it is in the file;
 * - a copy of a write whose first attempt landed late is not written twice; one whose first
 *   attempt failed is written; order is kept;
 * - while the database answers in time there is no file I/O;
 * - a shutdown part way through a replay resumes where it stopped, in order.
 * The real-process version (SIGKILL, PostgreSQL behind a cut proxy) is store-buffer-kill.test.ts.
 */
import assert from "node:assert/strict"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, test } from "node:test"
import { Effect, Exit, Fiber, Schedule, Scope } from "effect"
import { StoreError } from "../src/domain/errors.ts"
import { makeBufferedStore, type WriteBufferOptions } from "../src/store/buffered.ts"
import { decodeLine } from "../src/store/spill.ts"
import type { Row, StoreShape } from "../src/store/Store.ts"

const dirs: Array<string> = []
const spillFile = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "infra-buffer-bound-"))
  dirs.push(d)
  return path.join(d, "write-buffer.jsonl")
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Mode = "up" | "down" | "hang"

/**
 * A Store double. `up`: a write lands now. `down`: it fails as an outage. `hang`: it waits on
 * the "driver" until release(seq, "land" | "fail").
 */
const doubleStore = () => {
  const state = {
    mode: "up" as Mode,
    written: [] as Array<number>,
    attempts: [] as Array<number>,
    hung: new Map<number, (how: "land" | "fail") => void>(),
  }
  const outage = (op: string) => new StoreError({ op, message: "connect ECONNREFUSED", unavailable: true })
  const shape = {
    backend: "postgres",
    insertRows: (_table: string, rows: ReadonlyArray<Row>) =>
      Effect.suspend(() => {
        const seq = Number(rows[0]?.["seq"])
        state.attempts.push(seq)
        if (state.mode === "down") return Effect.fail(outage("insertRows"))
        if (state.mode === "up") {
          state.written.push(seq)
          return Effect.succeed(rows.length)
        }
        return Effect.callback<number, StoreError>((resume) => {
          state.hung.set(seq, (how) => {
            state.hung.delete(seq)
            if (how === "land") {
              state.written.push(seq)
              resume(Effect.succeed(rows.length))
            } else resume(Effect.fail(outage("insertRows")))
          })
        })
      }),
    insertAudit: () => Effect.void,
    ping: () => Effect.suspend(() => (state.mode === "up" ? Effect.void : Effect.fail(outage("ping")))),
  } as unknown as StoreShape
  return { state, shape }
}

const open = async (inner: StoreShape, options: WriteBufferOptions) => {
  const scope = Effect.runSync(Scope.make())
  const store = await Effect.runPromise(Scope.provide(makeBufferedStore(inner, options), scope))
  return { store, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** Sequence numbers in the spill file, in file order. */
const inFile = (file: string): Array<number> =>
  existsSync(file)
    ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) =>
      Number((decodeLine(l) as { rows: Array<Row> }).rows[0]?.["seq"])
    )
    : []

const waitFor = async (what: string, ok: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

const spillAfterMs = 200
/** Timer slack on a busy machine. */
const slackMs = 250
const options = (spillPath: string): WriteBufferOptions => ({
  spillPath,
  spillAfter: spillAfterMs,
  retry: Schedule.spaced("20 millis"),
  maxMemoryRows: 1000,
})

const insert = (store: StoreShape, seq: number) => Effect.runPromise(store.insertRows("t", [{ seq }]))

describe("write buffer: every accepted write is durable within spillAfter", () => {
  test("the first write after the database drops (the flusher's current write) reaches the file", async () => {
    const file = spillFile()
    const { state, shape } = doubleStore()
    const { store, close } = await open(shape, options(file))
    try {
      await insert(store, 1)
      state.mode = "down"
      await insert(store, 2) // fails, queued; the flusher takes it and retries it
      await sleep(spillAfterMs + slackMs)
      assert.deepEqual(inFile(file), [2], "the write the flusher is retrying is in the file")
      await insert(store, 3)
      await sleep(spillAfterMs + slackMs)
      assert.deepEqual(inFile(file), [2, 3])
      state.mode = "up"
      await waitFor("flush", () => store.writeBuffer?.().pending === 0)
      assert.deepEqual(state.written, [1, 2, 3], "once each, in order")
      assert.equal(existsSync(file), false)
    } finally {
      await close()
    }
  })

  test("a direct write stuck on the driver is copied to the file and its caller returns", async () => {
    const file = spillFile()
    const { state, shape } = doubleStore()
    const { store, close } = await open(shape, options(file))
    try {
      state.mode = "hang"
      const started = Date.now()
      assert.equal(await insert(store, 1), 1, "the caller gets its answer (queued)")
      const waited = Date.now() - started
      assert.ok(waited >= spillAfterMs - 20 && waited < spillAfterMs + 1000, `returned after ${waited} ms`)
      assert.deepEqual(inFile(file), [1], "in the file while still stuck on the driver")
      // Later writes queue behind it (in the file: something older is there).
      state.mode = "down"
      await insert(store, 2)
      assert.deepEqual(inFile(file), [1, 2])
      // The stuck attempt fails (the connection dies): the copy is written once the database is back.
      state.mode = "up"
      state.hung.get(1)!("fail")
      await waitFor("flush", () => store.writeBuffer?.().pending === 0)
      assert.deepEqual(state.written, [1, 2])
    } finally {
      await close()
    }
  })

  test("a slow write that lands after it was copied is not written twice", async () => {
    const file = spillFile()
    const { state, shape } = doubleStore()
    const { store, close } = await open(shape, options(file))
    try {
      state.mode = "hang"
      await insert(store, 1)
      state.mode = "up"
      await insert(store, 2) // behind the copy of 1
      await sleep(100)
      assert.deepEqual(state.written, [], "the flusher waits for the first attempt of 1 before its copy")
      state.hung.get(1)!("land")
      await waitFor("flush", () => store.writeBuffer?.().pending === 0)
      assert.deepEqual(state.written, [1, 2])
      assert.deepEqual(state.attempts, [1, 2], "the copy of 1 was skipped")
    } finally {
      await close()
    }
  })

  test("past slowWriteGrace the copy is written without waiting for the first attempt", async () => {
    const file = spillFile()
    const { state, shape } = doubleStore()
    const { store, close } = await open(shape, { ...options(file), slowWriteGrace: "400 millis" })
    try {
      state.mode = "hang"
      await insert(store, 1)
      state.mode = "up"
      await waitFor("flush", () => store.writeBuffer?.().pending === 0, 5000)
      assert.deepEqual(state.written, [1], "the copy landed while the first attempt still hangs")
    } finally {
      state.hung.get(1)?.("fail")
      await close()
    }
  })

  test("no file I/O while the database answers in time, under concurrency", async () => {
    const file = spillFile()
    const { state, shape } = doubleStore()
    const { store, close } = await open(shape, options(file))
    try {
      const started = Date.now()
      let seq = 0
      while (Date.now() - started < 3 * spillAfterMs) {
        await Promise.all(Array.from({ length: 20 }, () => insert(store, ++seq)))
        await sleep(5)
      }
      assert.equal(state.written.length, seq)
      assert.equal(existsSync(file), false, "the spill file was never created")
      assert.equal(store.writeBuffer?.().pending, 0)
    } finally {
      await close()
    }
  })

  test("a shutdown part way through a replay resumes there on the next start, in order", async () => {
    const file = spillFile()
    const first = doubleStore()
    first.state.mode = "down"
    const a = await open(first.shape, { ...options(file), drainTimeout: "50 millis" })
    for (let i = 1; i <= 6; i++) await insert(a.store, i)
    await a.close()
    assert.deepEqual(inFile(file), [1, 2, 3, 4, 5, 6])

    // The second run delivers 1..3, then its database hangs on 4 and it is shut down.
    const second = doubleStore()
    second.state.mode = "hang"
    const b = await open(second.shape, { ...options(file), drainTimeout: "50 millis" })
    for (const seq of [1, 2, 3]) {
      await waitFor(`write ${seq}`, () => second.state.hung.has(seq))
      second.state.hung.get(seq)!("land")
    }
    await waitFor("write 4", () => second.state.hung.has(4))
    second.state.mode = "down"
    await insert(b.store, 7) // accepted during the replay: behind the file
    await b.close()

    const third = doubleStore()
    const c = await open(third.shape, options(file))
    try {
      await waitFor("replay", () => c.store.writeBuffer?.().pending === 0)
      assert.deepEqual(third.state.written, [4, 5, 6, 7], "1..3 are not written again; order kept")
      assert.equal(existsSync(file), false)
      assert.equal(existsSync(`${file}.done`), false)
    } finally {
      await c.close()
    }
  })

  test("a caller that gives up does not lose its write", async () => {
    const file = spillFile()
    const { state, shape } = doubleStore()
    const { store, close } = await open(shape, options(file))
    try {
      state.mode = "hang"
      const fiber = Effect.runFork(store.insertRows("t", [{ seq: 1 }]))
      await sleep(20)
      await Effect.runPromise(Fiber.interrupt(fiber))
      await sleep(spillAfterMs + slackMs)
      assert.deepEqual(inFile(file), [1])
      state.mode = "up"
      state.hung.get(1)!("fail")
      await waitFor("flush", () => store.writeBuffer?.().pending === 0)
      assert.deepEqual(state.written, [1])
    } finally {
      await close()
    }
  })
})

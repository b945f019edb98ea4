/**
 * Database outages (issue 7): the buffered Store keeps every collected row and audit row.
 * - A test double of the Store (swapped in as the inner layer) for order, spill, shutdown drain,
 *   replay on start and a crash-cut spill line.
 * - Real PostgreSQL behind an in-process TCP proxy (never the shared server itself): 20 local
 *   devices polled through a cut of several seconds; rows collected = rows stored.
 *   INFRA_OUTAGE_BENCH=1 stretches it to the 60 s.
 */
import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, test } from "node:test"
import { Effect, Exit, Layer, Result, Schedule, Scope } from "effect"
import { Collector } from "../src/pipeline/Collector.ts"
import { StoreError } from "../src/domain/errors.ts"
import { noRetry } from "../src/domain/schedules.ts"
import { type DataTypeSpec, noParams } from "../src/pipeline/DataType.ts"
import { makeBufferedStore, withWriteBuffer, type WriteBufferOptions } from "../src/store/buffered.ts"
import { makeStoreLayer } from "../src/store/layer.ts"
import { type AuditEntry, type Row, Store, type StoreShape } from "../src/store/Store.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { startTcpProxy } from "./harness/tcp-proxy.ts"

const dirs: Array<string> = []
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "infra-buffer-"))
  dirs.push(d)
  return d
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A Store double: writes land in `written` while `up`; otherwise they fail as an outage would. */
const flakyStore = () => {
  const state = { up: true, written: [] as Array<number>, audits: 0, refuse: new Set<number>() }
  const outage = (op: string) => new StoreError({ op, message: "connect ECONNREFUSED", unavailable: true })
  const shape = {
    backend: "postgres",
    insertRows: (_table: string, rows: ReadonlyArray<Row>) =>
      Effect.suspend(() => {
        if (!state.up) return Effect.fail(outage("insertRows"))
        const seq = Number(rows[0]?.["seq"])
        if (state.refuse.has(seq)) {
          return Effect.fail(new StoreError({ op: "insertRows", message: "value too long", unavailable: false }))
        }
        state.written.push(seq)
        return Effect.succeed(rows.length)
      }),
    insertAudit: (_e: AuditEntry) =>
      Effect.suspend(() => {
        if (!state.up) return Effect.fail(outage("insertAudit"))
        state.audits++
        return Effect.void
      }),
    ping: () => Effect.suspend(() => (state.up ? Effect.void : Effect.fail(outage("ping")))),
  } as unknown as StoreShape
  return { state, shape }
}

const audit = (n: number): AuditEntry => ({
  time: new Date(1_700_000_000_000 + n),
  deviceId: 1,
  deviceName: "d",
  operationId: `op-${n}`,
  dataType: "tick",
  method: "polling",
  source: "test",
  forceRefresh: false,
  cacheHit: false,
  durationMs: 1,
  sshCommandCount: 1,
  dataSizeBytes: 1,
  status: "success",
  errorMessage: null,
  recordsCreated: 1,
  freshnessThreshold: 0,
})

/** Open a buffered store in its own scope; close() is what a SIGTERM shutdown does. */
const openBuffered = async (inner: StoreShape, options: WriteBufferOptions) => {
  const scope = Effect.runSync(Scope.make())
  const store = await Effect.runPromise(Scope.provide(makeBufferedStore(inner, options), scope))
  return { store, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const waitFor = async (what: string, ok: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const fast = { retry: Schedule.spaced("20 millis"), spillAfter: "200 millis", maxMemoryRows: 10 } as const

describe("write buffer (Store double)", () => {
  test("an outage keeps every write, in order, and flushes when the database returns", async () => {
    const { state, shape } = flakyStore()
    const spillPath = path.join(tempDir(), "write-buffer.jsonl")
    const { store, close } = await openBuffered(shape, { ...fast, spillPath })
    try {
      await Effect.runPromise(store.insertRows("t", [{ seq: 0 }]))
      state.up = false
      for (let i = 1; i <= 50; i++) {
        assert.equal(await Effect.runPromise(store.insertRows("t", [{ seq: i, time: new Date() }])), 1)
        await Effect.runPromise(store.insertAudit(audit(i)))
      }
      assert.equal(store.writeBuffer?.().available, false)
      assert.ok(existsSync(spillPath), "past maxMemoryRows the backlog is on disk")
      assert.ok((store.writeBuffer?.().pending ?? 0) >= 99)
      state.up = true
      // New writes while the backlog drains queue behind it.
      for (let i = 51; i <= 60; i++) await Effect.runPromise(store.insertRows("t", [{ seq: i }]))
      await waitFor("flush", () => store.writeBuffer?.().pending === 0)
      assert.deepEqual(state.written, Array.from({ length: 61 }, (_, i) => i))
      assert.equal(state.audits, 50)
      assert.equal(store.writeBuffer?.().available, true)
      assert.equal(existsSync(spillPath), false, "the spill file goes once drained")
    } finally {
      await close()
    }
  })

  test("shutdown during an outage spills the rest; the next start replays it; a crash-cut line is skipped", async () => {
    const spillPath = path.join(tempDir(), "write-buffer.jsonl")
    const first = flakyStore()
    first.state.up = false
    const a = await openBuffered(first.shape, {
      ...fast,
      maxMemoryRows: 1000,
      spillAfter: "1 hour",
      spillPath,
      drainTimeout: "100 millis",
    })
    for (let i = 1; i <= 30; i++) await Effect.runPromise(a.store.insertRows("t", [{ seq: i, time: new Date(i) }]))
    assert.equal(existsSync(spillPath), false, "still in memory")
    await a.close() // SIGTERM: cannot reach the database, so everything goes to the file
    const lines = readFileSync(spillPath, "utf8").trim().split("\n")
    assert.equal(lines.length, 30)
    // SIGKILL in the middle of an append leaves a partial last line.
    appendFileSync(spillPath, '{"kind":"rows","table":"t","rows":[{"seq":99')

    const second = flakyStore()
    const b = await openBuffered(second.shape, { ...fast, spillPath })
    try {
      await waitFor("replay", () => b.store.writeBuffer?.().pending === 0)
      assert.deepEqual(second.state.written, Array.from({ length: 30 }, (_, i) => i + 1))
      assert.equal(b.store.writeBuffer?.().dropped, 1, "the cut line is counted, not retried forever")
      assert.equal(existsSync(spillPath), false)
    } finally {
      await b.close()
    }
  })

  test("a write the database refuses for good is dropped and counted, not retried forever", async () => {
    const { state, shape } = flakyStore()
    const { store, close } = await openBuffered(shape, fast)
    try {
      state.up = false
      state.refuse.add(2)
      for (let i = 1; i <= 3; i++) await Effect.runPromise(store.insertRows("t", [{ seq: i }]))
      state.up = true
      await waitFor("flush", () => store.writeBuffer?.().pending === 0)
      assert.deepEqual(state.written, [1, 3])
      assert.equal(store.writeBuffer?.().dropped, 1)
      // Outside an outage such errors reach the caller as before.
      const direct = await Effect.runPromise(Effect.result(store.insertRows("t", [{ seq: 2 }])))
      assert.ok(Result.isFailure(direct))
    } finally {
      await close()
    }
  })
})

/** A cheap data type writing one system_metrics row per read (the table exists in every schema). */
const tick: DataTypeSpec<{ n: number }> = {
  name: "tick",
  description: "test: one row per read",
  table: "system_metrics",
  params: noParams,
  ttlSeconds: 0,
  timeout: "10 seconds",
  retry: noRetry,
  script: () => "echo 1",
  parse: (r) => Result.succeed({ n: Number(r.stdout.trim()) }),
  toRows: (d) => [{ cpu_percent: d.n, data: d }],
}

const postgres = testBackends().find((b) => b.name === "postgres")
const bench = process.env["INFRA_OUTAGE_BENCH"] === "1"

describe(
  "PostgreSQL outage behind a TCP proxy",
  { skip: postgres === undefined ? "TEST_DATABASE_URL not set" : false },
  () => {
    test(
      "20 devices polled through a cut: rows collected = rows stored, audit rows = calls",
      { timeout: 180_000 },
      async () => {
        const backend = postgres!
        const url = new URL(backend.options("x").databaseUrl!)
        const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
        url.hostname = proxy.host
        url.port = String(proxy.port)
        const spillPath = path.join(tempDir(), "write-buffer.jsonl")
        const store = (schema: string) =>
          Layer.effectContext(
            Effect.gen(function* () {
              yield* Layer.build(backend.layer(schema)) // direct: creates and finally drops the schema
              return yield* Layer.build(
                withWriteBuffer(makeStoreLayer({ databaseUrl: url.toString(), schema }), {
                  spillPath,
                  retry: Schedule.spaced("100 millis"),
                  spillAfter: "500 millis",
                  maxMemoryRows: 200,
                }),
              )
            }),
          )
        const devices = 20
        const outageMs = bench ? 60_000 : 6_000
        try {
          await withSecureApp(backend, { store, specs: [tick] }, async (t) => {
            for (let i = 0; i < devices; i++) {
              const res = await t.request("POST", "/api/devices?probe=false", {
                body: { name: `d${i}`, transport: "local" },
              })
              assert.equal(res.status, 201, JSON.stringify(res.body))
            }
            let calls = 0
            let rows = 0
            let failures = 0
            let running = true
            const poll = async (name: string) => {
              while (running) {
                calls++
                const exit = await t.runtime.runPromiseExit(
                  Collector.use((c) => c.collect(name, "tick", { method: "polling", source: "outage test" })),
                )
                if (Exit.isSuccess(exit)) rows++
                else failures++
                await new Promise((r) => setTimeout(r, bench ? 1000 : 100))
              }
            }
            const pollers = Array.from({ length: devices }, (_, i) => poll(`d${i}`))
            await new Promise((r) => setTimeout(r, 1500))
            await proxy.cut()
            const before = rows
            await new Promise((r) => setTimeout(r, outageMs / 2))
            const during = await t.request("GET", "/api/devices/d0/tick")
            assert.equal(during.status, 200, JSON.stringify(during.body))
            assert.equal(during.body.store, "unavailable", "data responses say the store is down")
            await new Promise((r) => setTimeout(r, outageMs / 2))
            assert.ok(rows > before + devices, `polling went on during the outage (${rows - before} reads)`)
            await proxy.restore()
            await new Promise((r) => setTimeout(r, 1500))
            running = false
            await Promise.all(pollers)
            const buffered = () => t.run(Effect.map(Effect.service(Store), (s) => s.writeBuffer?.()))
            const deadline = Date.now() + 60_000
            while ((await buffered())?.pending !== 0) {
              if (Date.now() > deadline) throw new Error(`backlog not flushed: ${JSON.stringify(await buffered())}`)
              await new Promise((r) => setTimeout(r, 100))
            }
            const count = async (sql: string) =>
              Number(
                (await t.run(Effect.flatMap(Effect.service(Store), (s) => testQuery<{ n: unknown }>(s, sql))))[0]?.n,
              )
            assert.equal(failures, 0, "no read failed because the database was away")
            assert.equal(
              await count("SELECT count(*) AS n FROM system_metrics"),
              rows + 1,
              "rows collected = rows stored",
            )
            assert.equal(
              await count("SELECT count(*) AS n FROM data_collection_audit WHERE data_type = 'tick'"),
              calls + 1,
            )
            assert.equal((await buffered())?.dropped, 0)
            const after = await t.request("GET", "/api/devices/d0/tick")
            assert.equal(after.body.store, undefined)
          })
        } finally {
          await proxy.close()
        }
      },
    )
  },
)

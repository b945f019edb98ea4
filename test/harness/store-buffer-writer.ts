/**
 * Child process for test/store-buffer-kill.test.ts: writes through the buffered Store (the
 * project's own code) to PostgreSQL, one write every INTERVAL_MS until it is killed. Writes are
 * issued without waiting for earlier ones, as concurrent collectors do, alternating audit rows and
 * row batches (into data_collection_audit, so both paths land in one table).
 *
 * stdout, one line per event: `ready`, `issued <seq> <epoch ms>` just before a write is handed
 * to the store, `accepted <seq> <epoch ms>` when the store returned. Pipes are synchronous on
 * Linux, so a line is out before the next statement runs.
 */
import process from "node:process"
import { Context, Effect, Layer, Schedule } from "effect"
import { withWriteBuffer } from "../../src/store/buffered.ts"
import { makeStoreLayer } from "../../src/store/layer.ts"
import { Store } from "../../src/store/Store.ts"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set`)
  return value
}

const databaseUrl = env("DATABASE_URL")
const schema = env("SCHEMA")
const spillPath = env("SPILL_PATH")
const spillAfterMs = Number(env("SPILL_AFTER_MS"))
const intervalMs = Number(env("INTERVAL_MS"))

const say = (line: string) => process.stdout.write(`${line}\n`)

const auditRow = (seq: number) => ({
  time: new Date(),
  deviceId: null,
  deviceName: "writer",
  operationId: `seq-${seq}`,
  dataType: "kill_test",
  method: "polling" as const,
  source: "store-buffer-writer",
  forceRefresh: false,
  cacheHit: false,
  durationMs: 0,
  sshCommandCount: 0,
  dataSizeBytes: 0,
  status: "success" as const,
  errorMessage: null,
  recordsCreated: 0,
  freshnessThreshold: 0,
})

const program = Effect.gen(function* () {
  const context = yield* Layer.build(
    withWriteBuffer(makeStoreLayer({ databaseUrl, schema }), {
      spillPath,
      spillAfter: spillAfterMs,
      retry: Schedule.spaced("100 millis"),
    }),
  )
  const store = Context.get(context, Store)
  say("ready")
  for (let seq = 1;; seq++) {
    say(`issued ${seq} ${Date.now()}`)
    const write = seq % 2 === 0 ? store.insertAudit(auditRow(seq)) : Effect.asVoid(
      store.insertRows("data_collection_audit", [{
        time: new Date(),
        device_name: "writer",
        operation_id: `seq-${seq}`,
        data_type: "kill_test",
        method: "polling",
        source: "store-buffer-writer",
        status: "success",
      }]),
    )
    yield* Effect.forkDetach(
      write.pipe(
        Effect.tap(() => Effect.sync(() => say(`accepted ${seq} ${Date.now()}`))),
        Effect.catch((e) => Effect.sync(() => say(`failed ${seq} ${e.message}`))),
      ),
    )
    yield* Effect.sleep(intervalMs)
  }
})

Effect.runFork(Effect.scoped(program))

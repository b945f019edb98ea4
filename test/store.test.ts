import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { describe, it } from "node:test"
import { Effect, Exit } from "effect"
import { DeviceConflict, DeviceNotFound, StoreError, ValidationError } from "../src/domain/errors.ts"
import type { DeviceInput } from "../src/domain/device.ts"
import { HostKeys } from "../src/ssh/HostKeys.ts"
import { makeStoreLayer, migrate, openSqlClient } from "../src/store/layer.ts"
import { loadMigrations } from "../src/store/migrations.ts"
import { findSqlDir } from "../src/store/sqlDir.ts"
import { type AuditEntry, Store } from "../src/store/Store.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"

/** The error of a failing effect (a success becomes a defect, failing the test). */
const failure = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.flip(Effect.flatMap(self, (a) => Effect.die(new Error(`expected a failure, got ${JSON.stringify(a)}`))))

const device = (name: string, extra: Partial<DeviceInput> = {}): DeviceInput => ({ name, host: "10.0.0.1", ...extra })

const minutes = (base: Date, n: number) => new Date(base.getTime() + n * 60_000)

const metricRow = (deviceId: number, time: Date, extra: Record<string, unknown> = {}) => ({
  time,
  device_id: deviceId,
  cpu_percent: 12.5,
  mem_total_bytes: 8_000_000_000,
  data: { source: "test", at: time.toISOString() },
  ...extra,
})

const audit = (overrides: Partial<AuditEntry>): AuditEntry => ({
  time: new Date("2026-01-01T00:00:00Z"),
  deviceId: null,
  deviceName: "web1",
  operationId: "op-1",
  dataType: "system_metrics",
  method: "polling",
  source: "scheduler",
  forceRefresh: false,
  cacheHit: false,
  durationMs: 12.5,
  sshCommandCount: 1,
  dataSizeBytes: 2048,
  status: "success",
  errorMessage: null,
  recordsCreated: 1,
  freshnessThreshold: 30,
  ...overrides,
})

for (const backend of testBackends()) {
  describe(`store on ${backend.name}`, () => {
    const run = <A, E>(program: Effect.Effect<A, E, Store | HostKeys>, schema = uniqueSchema("store")): Promise<A> =>
      Effect.runPromise(Effect.provide(program, backend.layer(schema)))

    it("applies migrations once and records them", async () => {
      const schema = uniqueSchema("migrate")
      const options = backend.options(schema)
      const files = loadMigrations(findSqlDir() ?? "sql")
      assert.ok(files.length >= 1 && files[0]?.version === 1 && files[0]?.name === "init")
      await run(
        Effect.gen(function* () {
          // Two clients racing on a fresh schema: each migration is applied exactly once.
          const [a, b] = yield* Effect.all([openSqlClient(options), openSqlClient(options)], { concurrency: 2 })
          const applied = yield* Effect.all([migrate(a), migrate(b)], { concurrency: 2 })
          assert.deepEqual(applied.flat().sort((x, y) => x - y), files.map((m) => m.version))
          assert.deepEqual(yield* migrate(a), [], "re-running is a no-op")
          const rows = yield* Effect.promise(() =>
            a.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
          )
          assert.deepEqual(
            rows.rows.map((r) => [r["version"], r["name"]]),
            files.map((m) => [m.version, m.name]),
          )
          assert.ok(rows.rows.every((r) => r["applied_at"] instanceof Date))
          const tables = yield* Effect.promise(() =>
            a.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema])
          )
          const names = tables.rows.map((r) => r["table_name"])
          for (const t of ["devices", "host_keys", "system_metrics", "data_collection_audit", "schema_migrations"]) {
            assert.ok(names.includes(t), `${t} created in the test schema`)
          }
          yield* Effect.promise(() => a.query(`DROP SCHEMA "${schema}" CASCADE`))
          yield* Effect.promise(() => Promise.all([a.close(), b.close()]))
        }),
      )
    })

    it("building the layer twice on one schema keeps the first migration record", async () => {
      const schema = uniqueSchema("relayer")
      const appliedAt = Effect.provide(
        Store.use((s) =>
          testQuery<{ version: number; applied_at: Date }>(
            s,
            "SELECT version, applied_at FROM schema_migrations ORDER BY version",
          )
        ),
        makeStoreLayer(backend.options(schema)),
      )
      await run(
        Effect.gen(function* () {
          const first = yield* appliedAt
          const second = yield* appliedAt
          assert.ok(first.length >= 1)
          assert.deepEqual(second, first)
        }),
      )
      await run(Effect.void, schema) // drops the schema
    })

    it("creates, finds (by id, digit string, name), updates and removes devices", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const created = yield* store.createDevice(
            device("web1", { port: 2222, username: "ops", tags: ["prod", "web"] }),
          )
          assert.equal(created.name, "web1")
          assert.equal(created.port, 2222)
          assert.equal(created.transport, "ssh")
          assert.deepEqual(created.tags, ["prod", "web"])
          assert.equal(created.enabled, true)
          assert.equal(created.status, "unknown")
          assert.equal(created.lastSeen, null)
          assert.ok(created.createdAt instanceof Date)

          assert.deepEqual(yield* store.getDevice(created.id), created)
          assert.deepEqual(yield* store.getDevice(String(created.id)), created)
          assert.deepEqual(yield* store.getDevice("web1"), created)

          // An all-digit name that is not an id is still found by name.
          const numeric = yield* store.createDevice(device("424242", { transport: "local" }))
          assert.equal((yield* store.getDevice("424242")).id, numeric.id)

          const updated = yield* store.updateDevice("web1", { name: "web-1", port: null, tags: ["db"], enabled: false })
          assert.equal(updated.id, created.id)
          assert.equal(updated.name, "web-1")
          assert.equal(updated.port, null)
          assert.equal(updated.username, "ops", "fields not in the patch are kept")
          assert.deepEqual(updated.tags, ["db"])
          assert.equal(updated.enabled, false)
          assert.ok(updated.updatedAt.getTime() >= created.updatedAt.getTime())
          assert.deepEqual(yield* store.updateDevice(created.id, {}), updated, "empty patch changes nothing")

          assert.deepEqual((yield* store.listDevices()).map((d) => d.name), ["424242", "web-1"])

          yield* store.removeDevice("web-1")
          assert.deepEqual(
            yield* failure(store.getDevice(created.id)),
            new DeviceNotFound({ device: String(created.id) }),
          )
          assert.deepEqual(yield* failure(store.removeDevice("web-1")), new DeviceNotFound({ device: "web-1" }))
          assert.deepEqual(
            yield* failure(store.updateDevice("nope", { port: 22 })),
            new DeviceNotFound({ device: "nope" }),
          )
          assert.deepEqual(yield* failure(store.getDevice(999999)), new DeviceNotFound({ device: "999999" }))
        }),
      )
    })

    it("rejects invalid devices with a ValidationError naming the field", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const cases: Array<[DeviceInput, string]> = [
            [device("-bad"), "name"],
            [device("has space"), "name"],
            [device("x".repeat(64)), "name"],
            [{ host: "h" } as unknown as DeviceInput, "name"],
            [device("ok", { host: "" }), "host"],
            [device("ok", { host: "a b" }), "host"],
            [device("ok", { host: "a\u0000b" }), "host"],
            [device("ok", { port: 0 }), "port"],
            [device("ok", { port: 65536 }), "port"],
            [device("ok", { port: 22.5 }), "port"],
            [device("ok", { port: "22" as unknown as number }), "port"],
            [device("ok", { transport: "telnet" as "ssh" }), "transport"],
            [device("ok", { tags: [""] }), "tags"],
            [device("ok", { tags: "prod" as unknown as Array<string> }), "tags"],
            [device("ok", { enabled: "yes" as unknown as boolean }), "enabled"],
          ]
          for (const [input, field] of cases) {
            const error = yield* failure(store.createDevice(input))
            assert.ok(error instanceof ValidationError, `${JSON.stringify(input)} → ${error._tag}`)
            assert.deepEqual(error.details, { field })
            assert.ok(error.message.includes(field), error.message)
          }
          assert.equal(yield* store.createDevice(device("x".repeat(63))).pipe(Effect.map((d) => d.name.length)), 63)

          yield* store.createDevice(device("ok"))
          const badPatch = yield* failure(store.updateDevice("ok", { port: 70000 }))
          assert.ok(badPatch instanceof ValidationError)
          const nullName = yield* failure(store.updateDevice("ok", { name: null as unknown as string }))
          assert.ok(nullName instanceof ValidationError)
          assert.equal((yield* store.getDevice("ok")).port, null, "a rejected patch changes nothing")
        }),
      )
    })

    it("reports DeviceConflict on duplicate names and conflicting renames", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          yield* store.createDevice(device("a"))
          yield* store.createDevice(device("b"))
          assert.deepEqual(yield* failure(store.createDevice(device("a"))), new DeviceConflict({ name: "a" }))
          assert.deepEqual(yield* failure(store.updateDevice("b", { name: "a" })), new DeviceConflict({ name: "a" }))
          assert.equal((yield* store.getDevice("b")).name, "b")
        }),
      )
    })

    it("sets device status; a null lastSeen keeps the previous one", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const d = yield* store.createDevice(device("s1"))
          const seen = new Date("2026-03-01T10:00:00.000Z")
          yield* store.setDeviceStatus(d.id, "online", seen)
          let now = yield* store.getDevice(d.id)
          assert.equal(now.status, "online")
          assert.equal(now.lastSeen?.toISOString(), seen.toISOString())
          yield* store.setDeviceStatus(d.id, "unreachable", null)
          now = yield* store.getDevice(d.id)
          assert.equal(now.status, "unreachable")
          assert.equal(now.lastSeen?.toISOString(), seen.toISOString())
        }),
      )
    })

    it("inserts rows in one statement with jsonb and timestamps round-tripping", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const d = yield* store.createDevice(device("m1"))
          const t = new Date("2026-02-01T12:00:00.123Z")
          const data = { nested: { list: [1, "two", null, true] }, text: 'it\'s "quoted"', unicode: "∑" }
          const count = yield* store.insertRows("system_metrics", [
            { time: t, device_id: d.id, cpu_percent: 50.5, net_rx_bytes: 123456789012, data },
            // Keys missing from a row take the column default (NULL here), not an error.
            { time: minutes(t, 1), device_id: d.id, load1: 0.25, data: ["array", "payload"] },
          ])
          assert.equal(count, 2)
          const rows = yield* store.history({ table: "system_metrics", deviceId: d.id })
          assert.equal(rows.length, 2)
          const [newest, oldest] = rows
          assert.deepEqual(newest?.["data"], ["array", "payload"])
          assert.equal(newest?.["cpu_percent"], null)
          assert.equal(newest?.["load1"], 0.25)
          assert.deepEqual(oldest?.["data"], data)
          assert.ok(oldest?.["time"] instanceof Date)
          assert.equal((oldest?.["time"] as Date).toISOString(), t.toISOString())
          assert.equal(oldest?.["net_rx_bytes"], 123456789012)
          assert.equal(typeof oldest?.["id"], "number")

          const counted = yield* testQuery<{ n: number }>(
            store,
            "SELECT count(*) AS n FROM system_metrics WHERE device_id = $1",
            [d.id],
          )
          assert.deepEqual(counted, [{ n: 2 }])
          assert.equal(yield* store.insertRows("system_metrics", []), 0)
        }),
      )
    })

    it("splits inserts beyond the parameter limit, all or nothing", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const d = yield* store.createDevice(device("bulk"))
          const base = new Date("2026-06-01T00:00:00Z")
          // 19 columns x 3500 rows is more than Postgres' 65535 parameters per statement.
          const wide = (i: number, deviceId: number) => ({
            time: new Date(base.getTime() + i * 1000),
            device_id: deviceId,
            cpu_percent: i,
            cpu_iowait_percent: 1,
            cpu_steal_percent: 0,
            mem_total_bytes: 1,
            mem_available_bytes: 1,
            mem_used_percent: 1,
            swap_total_bytes: 0,
            swap_used_bytes: 0,
            load1: 0,
            load5: 0,
            load15: 0,
            uptime_seconds: i,
            process_count: i,
            disk_used_percent_max: 1,
            net_rx_bytes: i,
            net_tx_bytes: i,
            data: { i },
          })
          const rows = Array.from({ length: 3500 }, (_, i) => wide(i, d.id))
          // The last row breaks the foreign key: nothing from the earlier chunk may remain.
          const broken = yield* failure(
            store.insertRows("system_metrics", [...rows.slice(0, 3499), wide(3499, 2_000_000)]),
          )
          assert.equal(broken.unavailable, false)
          const none = yield* testQuery<{ n: number }>(store, "SELECT count(*) AS n FROM system_metrics")
          assert.deepEqual(none, [{ n: 0 }])

          assert.equal(yield* store.insertRows("system_metrics", rows), 3500)
          const newest = yield* store.history({ table: "system_metrics", deviceId: d.id, limit: 1 })
          assert.equal(newest[0]?.["process_count"], 3499)
          assert.deepEqual(newest[0]?.["data"], { i: 3499 })
        }),
      )
    })

    it("rejects bad table/column names and reports SQL errors as available StoreErrors", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          for (const table of ["system_metrics; DROP TABLE devices", "Devices", "1abc", ""]) {
            const e = yield* failure(store.insertRows(table, [{ x: 1 }]))
            assert.ok(e instanceof StoreError)
            assert.equal(e.unavailable, false)
            const h = yield* failure(store.history({ table, deviceId: 1 }))
            assert.ok(h instanceof StoreError)
          }
          const badColumn = yield* failure(store.insertRows("system_metrics", [{ "time) VALUES (now()); --": 1 }]))
          assert.ok(badColumn instanceof StoreError)
          const missing = yield* failure(store.insertRows("no_such_table", [{ x: 1 }]))
          assert.equal(missing._tag, "StoreError")
          assert.equal(missing.unavailable, false)
          const sqlError = yield* failure(testQuery(store, "SELECT * FROM nowhere"))
          assert.equal(sqlError.unavailable, false)
          assert.match(sqlError.message, /nowhere/)
          yield* store.ping()
          assert.equal((yield* store.listDevices()).length, 0, "devices table survived")
        }),
      )
    })

    it("history filters by device and time range, newest first, with a limit", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const d = yield* store.createDevice(device("h1"))
          const other = yield* store.createDevice(device("h2"))
          const base = new Date("2026-04-01T00:00:00Z")
          // Inserted shuffled so ordering must come from the query.
          const order = [3, 7, 0, 9, 1, 5, 8, 2, 6, 4]
          yield* store.insertRows(
            "system_metrics",
            order.map((i) => metricRow(d.id, minutes(base, i), { process_count: i })),
          )
          yield* store.insertRows("system_metrics", [metricRow(other.id, minutes(base, 5), { process_count: 100 })])

          const ranged = yield* store.history({
            table: "system_metrics",
            deviceId: d.id,
            from: minutes(base, 2),
            to: minutes(base, 6),
          })
          assert.deepEqual(ranged.map((r) => r["process_count"]), [6, 5, 4, 3, 2])
          const limited = yield* store.history({ table: "system_metrics", deviceId: d.id, limit: 3 })
          assert.deepEqual(limited.map((r) => r["process_count"]), [9, 8, 7])
          const fromOnly = yield* store.history({ table: "system_metrics", deviceId: d.id, from: minutes(base, 8) })
          assert.deepEqual(fromOnly.map((r) => r["process_count"]), [9, 8])
          const all = yield* store.history({ table: "system_metrics", deviceId: d.id, limit: 1_000_000 })
          assert.equal(all.length, 10)
          const none = yield* store.history({ table: "system_metrics", deviceId: d.id, from: minutes(base, 60) })
          assert.deepEqual(none, [])
        }),
      )
    })

    it("cascades metric rows with their device but keeps audit rows", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const d = yield* store.createDevice(device("gone"))
          yield* store.insertRows("system_metrics", [
            metricRow(d.id, new Date()),
            metricRow(d.id, minutes(new Date(), -1)),
          ])
          yield* store.insertAudit(audit({ deviceId: d.id, deviceName: "gone" }))
          yield* store.removeDevice(d.id)
          const left = yield* testQuery<{ n: number }>(
            store,
            "SELECT count(*) AS n FROM system_metrics WHERE device_id = $1",
            [d.id],
          )
          assert.deepEqual(left, [{ n: 0 }])
          const audits = yield* store.queryAudit({ device: "gone" })
          assert.equal(audits.length, 1)
          assert.equal(audits[0]?.["device_id"], d.id)
        }),
      )
    })

    it("writes and filters audit rows, newest first", async () => {
      await run(
        Effect.gen(function* () {
          const store = yield* Store
          const t = new Date("2026-05-01T00:00:00Z")
          yield* store.insertAudit(audit({ time: t, operationId: "a" }))
          yield* store.insertAudit(audit({ time: minutes(t, 1), operationId: "b", method: "api", cacheHit: true }))
          yield* store.insertAudit(
            audit({
              time: minutes(t, 2),
              operationId: "c",
              status: "error",
              errorMessage: "boom",
              deviceName: "db1",
              dataType: "disk",
            }),
          )
          yield* store.insertAudit(
            audit({ time: minutes(t, 3), operationId: "d", status: "partial", dataType: "disk" }),
          )

          const ops = (rows: Array<Record<string, unknown>>) => rows.map((r) => r["operation_id"])
          assert.deepEqual(ops(yield* store.queryAudit({})), ["d", "c", "b", "a"])
          assert.deepEqual(ops(yield* store.queryAudit({ device: "web1" })), ["d", "b", "a"])
          assert.deepEqual(ops(yield* store.queryAudit({ dataType: "disk" })), ["d", "c"])
          assert.deepEqual(ops(yield* store.queryAudit({ method: "api" })), ["b"])
          assert.deepEqual(ops(yield* store.queryAudit({ status: "error" })), ["c"])
          assert.deepEqual(ops(yield* store.queryAudit({ since: minutes(t, 2) })), ["d", "c"])
          assert.deepEqual(ops(yield* store.queryAudit({ limit: 2 })), ["d", "c"])
          assert.deepEqual(ops(yield* store.queryAudit({ device: "web1", dataType: "disk", status: "partial" })), ["d"])

          const [row] = yield* store.queryAudit({ status: "error" })
          assert.ok(row?.["time"] instanceof Date)
          assert.equal((row?.["time"] as Date).toISOString(), minutes(t, 2).toISOString())
          assert.equal(row?.["error_message"], "boom")
          assert.equal(row?.["device_name"], "db1")
          assert.equal(row?.["device_id"], null)
          assert.equal(row?.["duration_ms"], 12.5)
          assert.equal(row?.["data_size_bytes"], 2048)
          assert.equal(row?.["cache_hit"], false)
          assert.equal(row?.["freshness_threshold"], 30)

          const bad = yield* failure(store.insertAudit(audit({ status: "weird" as "error" })))
          assert.equal(bad.unavailable, false, "check constraint violation is a plain SQL error")
        }),
      )
    })

    it("trusts, reads and forgets host keys", async () => {
      await run(
        Effect.gen(function* () {
          const keys = yield* HostKeys
          assert.equal(yield* keys.get("web1:22"), undefined)
          yield* keys.trust("web1:22", "ssh-ed25519", "SHA256:aaaa")
          const first = yield* keys.get("web1:22")
          assert.equal(first?.hostPort, "web1:22")
          assert.equal(first?.algorithm, "ssh-ed25519")
          assert.equal(first?.fingerprint, "SHA256:aaaa")
          assert.ok(first?.firstSeen instanceof Date)

          yield* keys.trust("web1:22", "ssh-ed25519", "SHA256:aaaa")
          assert.equal(
            (yield* keys.get("web1:22"))?.firstSeen.getTime(),
            first?.firstSeen.getTime(),
            "same key: first seen kept",
          )

          yield* keys.trust("web1:22", "ecdsa-sha2-nistp256", "SHA256:bbbb")
          const replaced = yield* keys.get("web1:22")
          assert.equal(replaced?.fingerprint, "SHA256:bbbb")
          assert.equal(replaced?.algorithm, "ecdsa-sha2-nistp256")

          yield* keys.trust("web2:2222", "ssh-rsa", "SHA256:cccc")
          yield* keys.forget("web1:22")
          assert.equal(yield* keys.get("web1:22"), undefined)
          assert.equal((yield* keys.get("web2:2222"))?.fingerprint, "SHA256:cccc")
        }),
      )
    })

    it("a closed store answers StoreError with unavailable: true", async () => {
      const schema = uniqueSchema("closed")
      // A second store on the harness's schema, so the harness can still drop the schema afterwards.
      const closing = Effect.provide(
        Effect.gen(function* () {
          const store = yield* Store
          yield* store.ping()
          yield* store.close()
          const e = yield* failure(store.ping())
          assert.ok(e instanceof StoreError)
          assert.equal(e.unavailable, true)
          const q = yield* failure(store.listDevices())
          assert.equal(q.unavailable, true)
        }),
        makeStoreLayer(backend.options(schema)),
      )
      await run(
        Effect.gen(function* () {
          yield* closing
          yield* (yield* Store).ping()
        }),
        schema,
      )
    })
  })
}

describe("store on a PGlite data directory", () => {
  it("keeps data on disk across layers", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "infrastructor-store-"))
    try {
      const layer = makeStoreLayer({ dataDir: path.join(dir, "db") })
      const created = await Effect.runPromise(
        Effect.provide(Store.use((s) => s.createDevice(device("persisted"))), layer),
      )
      const found = await Effect.runPromise(Effect.provide(Store.use((s) => s.getDevice("persisted")), layer))
      assert.deepEqual(found, created)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("store when the database is unreachable", () => {
  it("gives StoreError with unavailable: true quickly, not a crash or a hang", async () => {
    const started = Date.now()
    const layer = makeStoreLayer({ databaseUrl: "postgres://postgres@127.0.0.1:1/test" })
    const exit = await Effect.runPromiseExit(Effect.provide(Store.use((s) => s.ping()), layer))
    assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`)
    assert.ok(Exit.isFailure(exit))
    const error = await Effect.runPromise(failure(Effect.provide(Effect.service(Store), layer)))
    assert.ok(error instanceof StoreError)
    assert.equal(error.unavailable, true)
    assert.match(error.message, /ECONNREFUSED/)
  })

  it("rejects a schema name that is not a plain identifier", async () => {
    const error = await Effect.runPromise(
      failure(Effect.provide(Effect.service(Store), makeStoreLayer({ schema: 'x"; DROP' }))),
    )
    assert.ok(error instanceof StoreError)
    assert.equal(error.unavailable, false)
  })
})

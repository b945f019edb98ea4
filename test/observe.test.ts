import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { Collector } from "../src/pipeline/Collector.ts"
import { resolveConfig } from "../src/settings/load.ts"
import { ParseError, ValidationError } from "../src/domain/errors.ts"
import { noRetry, transportRetry } from "../src/domain/schedules.ts"
import { Events, type InfraEventWithMeta } from "../src/events/Events.ts"
import { Observability } from "../src/observe/Observability.ts"
import { runRetention } from "../src/observe/retention.ts"
import { resolveRetention } from "../src/observe/retention-policy.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { shq } from "../src/domain/quote.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { makeStoreLayer } from "../src/store/layer.ts"
import { Store } from "../src/store/Store.ts"
import { composeServices } from "../src/layers.ts"
import { runIn, type TestApp, withTestApp } from "./harness/app.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"
import { parseExposition, sampleValue } from "./harness/prometheus.ts"

/** Prints its word; cached for a minute. */
const echoSpec: DataTypeSpec<{ out: string }> = {
  name: "echo_probe",
  description: "test type",
  table: "",
  ttlSeconds: 60,
  params: params({ word: "text to print" }),
  timeout: "5 seconds",
  retry: transportRetry,
  script: (p) => `printf '%s' ${shq(String(p["word"] ?? "none"))}`,
  parse: (r) => Result.succeed({ out: r.stdout }),
  toRows: () => [],
}

/** Its parser always refuses the output: a parse_error every time. */
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

const specs = [echoSpec, brokenSpec]

const addLocal = async (t: TestApp, name: string) => {
  const res = await t.request("POST", "/api/devices?probe=false", { name, host: "localhost", transport: "local" })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

const metricsText = async (t: TestApp): Promise<{ status: number; type: string | null; body: string }> => {
  const res = await t.app.request("/metrics")
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() }
}

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000)

/** Rollups are per minute: start a rollup test early in a minute so it cannot straddle two. */
const awayFromMinuteEdge = async () => {
  const into = Date.now() % 60_000
  if (into > 45_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50))
}

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.9" })
})
after(() => stopAllSshd())

describe("retention configuration", () => {
  test("configuration history tables can never be given a retention", () => {
    assert.throws(() => resolveConfig({ retention: { configuration_snapshots: 30 } }, {}), ValidationError)
    assert.throws(() => resolveConfig({ retention: { configuration_change_events: 0 } }, {}), ValidationError)
    assert.throws(() => resolveConfig({ retention: { configuration_snapshots: 365 } }, {}), /kept forever/)
    assert.throws(() => resolveConfig({ retention: { system_logs: -1 } }, {}), ValidationError)
    assert.throws(() => resolveConfig({ retention: { system_logs: 1.5 } }, {}), ValidationError)
    assert.throws(() => resolveConfig({ retention: { "bad; drop": 3 } }, {}), ValidationError)
    assert.throws(() => resolveConfig({ retention: [1, 2] }, {}), ValidationError)
  })

  test("overrides replace defaults, 0 keeps forever, and the defaults are as documented", () => {
    const config = resolveConfig({ retention: { system_logs: 7, drive_health: 0 } }, {})
    assert.deepEqual(config.retention, { system_logs: 7, drive_health: 0 })
    const rules = new Map(resolveRetention(config.retention).map((r) => [r.table, r.days]))
    assert.equal(rules.get("system_logs"), 7)
    assert.equal(rules.has("drive_health"), false)
    const defaults = new Map(resolveRetention().map((r) => [r.table, r.days]))
    assert.equal(defaults.get("system_metrics"), 30)
    assert.equal(defaults.get("drive_health"), 90)
    assert.equal(defaults.get("system_logs"), 14)
    assert.equal(defaults.get("data_collection_audit"), 90)
    assert.equal(defaults.get("service_performance_metrics"), 30)
    assert.equal(defaults.has("configuration_snapshots"), false)
    assert.equal(defaults.has("configuration_change_events"), false)
  })
})

for (const backend of testBackends()) {
  describe(`observability on ${backend.name}`, () => {
    test("/metrics is valid Prometheus text and its counters move with collections", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addLocal(t, "loc")
        const before = await metricsText(t)
        assert.equal(before.status, 200)
        assert.match(before.type ?? "", /^text\/plain; version=0\.0\.4/)
        const first = parseExposition(before.body)
        // Process families as every client library names them; RSS is a real reading, not a constant.
        const rss = sampleValue(first, "process_resident_memory_bytes") ?? 0
        assert.ok(rss > 10 * 1024 * 1024 && rss < 64 * 1024 ** 3, `rss ${rss}`)
        assert.ok((sampleValue(first, "nodejs_heap_size_used_bytes") ?? 0) > 1024 * 1024)
        assert.ok((sampleValue(first, "process_cpu_seconds_total") ?? 0) > 0)
        assert.ok((sampleValue(first, "process_open_fds") ?? 0) > 2)
        const commandsBefore = sampleValue(first, "infrastructor_ssh_commands_total") ?? 0
        assert.equal(
          sampleValue(first, "infrastructor_collections_total", {
            data_type: "echo_probe",
            method: "api",
            status: "success",
          }),
          undefined,
        )

        assert.equal((await t.request("GET", "/api/devices/loc/echo_probe?word=a")).body.cache, "miss")
        assert.equal((await t.request("GET", "/api/devices/loc/echo_probe?word=a")).body.cache, "hit")
        assert.equal((await t.request("GET", "/api/devices/loc/broken_probe")).status, 502)

        const after = parseExposition((await metricsText(t)).body)
        const ok = { data_type: "echo_probe", method: "api", status: "success" }
        assert.equal(sampleValue(after, "infrastructor_collections_total", ok), 2)
        assert.equal(
          sampleValue(after, "infrastructor_collections_total", {
            data_type: "broken_probe",
            method: "api",
            status: "error",
          }),
          1,
        )
        assert.equal(sampleValue(after, "infrastructor_collection_errors_total", { code: "parse_error" }), 1)
        assert.equal(sampleValue(after, "infrastructor_collection_cache_total", { method: "api", result: "hit" }), 1)
        assert.equal(
          sampleValue(after, "infrastructor_collection_duration_seconds_count", { data_type: "echo_probe" }),
          2,
        )
        assert.equal(
          sampleValue(after, "infrastructor_collection_duration_seconds_bucket", {
            data_type: "echo_probe",
            le: "+Inf",
          }),
          2,
        )
        assert.ok(
          (sampleValue(after, "infrastructor_collection_duration_seconds_sum", { data_type: "echo_probe" }) ?? 0) > 0,
        )
        assert.equal(sampleValue(after, "infrastructor_cache_hits_total"), 1)
        assert.equal(sampleValue(after, "infrastructor_cache_entries"), 1)
        assert.equal((sampleValue(after, "infrastructor_ssh_commands_total") ?? 0) - commandsBefore, 2)
        assert.equal(sampleValue(after, "infrastructor_event_subscribers"), 0)
        assert.ok((sampleValue(after, "infrastructor_events_published_total", { kind: "DataCollected" }) ?? 0) >= 1)
      })
    })

    test("per-minute rollups: flush writes one row per method plus 'all', and a second flush updates it", async () => {
      await withTestApp(backend, { specs, ssh: { connectTimeoutMs: 3000, commandTimeoutMs: 5000 } }, async (t) => {
        await awayFromMinuteEdge()
        const created = await t.request("POST", "/api/devices?probe=false", {
          name: "remote",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        assert.equal(created.status, 201)
        await t.request("GET", "/api/devices/remote/echo_probe?word=x")
        await t.request("GET", "/api/devices/remote/echo_probe?word=x")
        await t.request("GET", "/api/devices/remote/broken_probe")
        await runIn(
          t,
          Collector.use((c) => c.collect("remote", "echo_probe", { method: "cli", params: { word: "y" } })),
        )

        const written = await runIn(t, Observability.use((o) => o.flush({ includeCurrent: true })))
        assert.equal(written, 3, "api, cli and all")
        const res = await t.request("GET", "/api/performance")
        assert.equal(res.status, 200, JSON.stringify(res.body))
        const byMethod = new Map<string, any>(res.body.rows.map((r: any) => [r.method, r]))
        assert.deepEqual([...byMethod.keys()].sort(), ["all", "api", "cli"])
        const api = byMethod.get("api")
        assert.equal(Number(api.operations_total), 3)
        assert.equal(Number(api.operations_successful), 2)
        assert.equal(Number(api.operations_failed), 1)
        assert.equal(Number(api.operations_cached), 1)
        assert.equal(Number(api.commands_executed), 2)
        assert.ok(Number(api.bytes_collected) > 0)
        assert.equal(Number(api.db_writes), 3, "three audit rows, no data rows")
        assert.ok(Math.abs(Number(api.cache_hit_ratio) - 1 / 3) < 1e-9)
        assert.ok(Number(api.min_duration_ms) <= Number(api.avg_duration_ms))
        assert.ok(Number(api.avg_duration_ms) <= Number(api.max_duration_ms))
        const errors = typeof api.error_types === "string" ? JSON.parse(api.error_types) : api.error_types
        assert.deepEqual(errors, { parse_error: 1 })
        assert.equal(api.ssh_connections_created, null, "process-wide figures go on the 'all' row")
        const all = byMethod.get("all")
        assert.equal(Number(all.operations_total), 4)
        assert.equal(Number(all.ssh_connections_created), 1, "one SSH connection for every read")
        assert.equal(Number(all.ssh_connections_reused), 2)
        assert.equal(Number(all.cache_entries), 2)

        // Same minute again: the increments add into the same row (as they would from a second instance).
        await t.request("GET", "/api/devices/remote/echo_probe?word=x")
        await t.request("GET", "/api/devices/remote/broken_probe")
        assert.equal(await runIn(t, Observability.use((o) => o.flush({ includeCurrent: true }))), 2, "api and all")
        assert.equal(await runIn(t, Observability.use((o) => o.flush({ includeCurrent: true }))), 0, "nothing new")
        const again = await t.request("GET", "/api/performance?method=api")
        assert.equal(again.body.count, 1)
        const merged = again.body.rows[0]
        assert.equal(Number(merged.operations_total), 5)
        assert.equal(Number(merged.operations_failed), 2)
        assert.equal(Number(merged.operations_cached), 2)
        assert.equal(Number(merged.db_writes), 5)
        assert.ok(Math.abs(Number(merged.cache_hit_ratio) - 2 / 5) < 1e-9)
        assert.ok(Number(merged.min_duration_ms) <= Number(api.min_duration_ms))
        assert.ok(Number(merged.max_duration_ms) >= Number(api.max_duration_ms))
        assert.ok(Number(merged.min_duration_ms) <= Number(merged.avg_duration_ms))
        assert.ok(Number(merged.avg_duration_ms) <= Number(merged.max_duration_ms))
        const mergedErrors = typeof merged.error_types === "string"
          ? JSON.parse(merged.error_types)
          : merged.error_types
        assert.deepEqual(mergedErrors, { parse_error: 2 })
        const allAgain = (await t.request("GET", "/api/performance?method=all")).body.rows[0]
        assert.equal(Number(allAgain.operations_total), 6)
        assert.equal(Number(allAgain.ssh_connections_created), 1)
        assert.equal(Number(allAgain.ssh_connections_reused), 3, "the hit ran no command")

        const old = await t.request("GET", `/api/performance?to=${encodeURIComponent(daysAgo(1).toISOString())}`)
        assert.equal(old.body.count, 0)
        assert.equal((await t.request("GET", "/api/performance?method=bogus")).status, 400)
        assert.equal((await t.request("GET", "/api/performance?from=tomorrow")).status, 400)
      })
    })

    test("shutting down writes the running minute's rollup and the cache state", async () => {
      const schema = uniqueSchema("obs_shutdown")
      // The outer runtime owns the schema (and keeps PGlite open); the inner one is the service that stops.
      const outer = ManagedRuntime.make(backend.layer(schema).pipe(Layer.orDie))
      try {
        const store = await outer.runPromise(Store)
        await awayFromMinuteEdge()
        const inner = ManagedRuntime.make(
          composeServices({
            store: makeStoreLayer(backend.options(schema)),
            ssh: makeSshLayer({ sshDir: "/nonexistent" }),
            cache: makeCacheLayer({}),
            registry: Registry.make(specs, {}, []),
          }).pipe(Layer.orDie),
        )
        try {
          await inner.runPromise(
            Effect.flatMap(Store, (s) => s.createDevice({ name: "bye", host: "localhost", transport: "local" })),
          )
          await inner.runPromise(Collector.use((c) => c.collect("bye", "echo_probe", { method: "library" })))
          await inner.runPromise(Collector.use((c) => c.collect("bye", "echo_probe", { method: "library" })))
          const none = await outer.runPromise(testQuery(store, "SELECT * FROM service_performance_metrics"))
          assert.equal(none.length, 0, "nothing is written before a flush")
        } finally {
          await inner.dispose()
        }
        const rows = await outer.runPromise(
          testQuery<any>(store, "SELECT * FROM service_performance_metrics WHERE method = 'library'"),
        )
        assert.equal(rows.length, 1)
        assert.equal(Number(rows[0].operations_total), 2)
        assert.equal(Number(rows[0].operations_cached), 1)
        const cached = await outer.runPromise(testQuery<any>(store, "SELECT * FROM cache_metadata"))
        assert.equal(cached.length, 1)
        assert.equal(cached[0].device, "bye")
        assert.equal(Number(cached[0].hits), 1)
      } finally {
        await outer.dispose()
      }
    })

    test("cache API: stats, invalidation with audit row, CacheInvalidated event and cache_metadata", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addLocal(t, "c1")
        await addLocal(t, "c2")
        for (
          const path of [
            "/api/devices/c1/echo_probe?word=a",
            "/api/devices/c1/echo_probe?word=b",
            "/api/devices/c2/echo_probe",
          ]
        ) {
          assert.equal((await t.request("GET", path)).status, 200)
        }
        await t.request("GET", "/api/devices/c1/echo_probe?word=a")
        const stats = await t.request("GET", "/api/cache?entries=true")
        assert.equal(stats.status, 200)
        assert.equal(stats.body.entries, 3)
        assert.equal(stats.body.hits, 1)
        assert.equal(stats.body.misses, 3)
        assert.equal(stats.body.hit_ratio, 0.25)
        assert.deepEqual(stats.body.by_data_type.map((d: any) => [d.data_type, d.entries]), [["echo_probe", 3]])
        const hitEntry = stats.body.items.find((i: any) => i.device === "c1" && i.params === "word=a")
        assert.equal(hitEntry.hits, 1)
        assert.ok(Date.parse(hitEntry.last_accessed_at) >= Date.parse(hitEntry.created_at))

        assert.equal(await runIn(t, Observability.use((o) => o.snapshotCache())), 3)
        assert.equal(
          await runIn(t, Observability.use((o) => o.snapshotCache())),
          0,
          "unchanged entries are not rewritten",
        )

        const seen: Array<InfraEventWithMeta> = []
        const stop = await runIn(t, Events.use((e) => Effect.succeed(e.listen((ev) => seen.push(ev)))))
        assert.equal((await t.request("DELETE", "/api/cache?device=nope")).status, 404)
        assert.equal((await t.request("DELETE", "/api/cache?data_type=nope")).status, 404)
        const dropped = await t.request("DELETE", "/api/cache?device=c1&data_type=echo_probe&reason=stale%20config")
        stop()
        assert.equal(dropped.status, 200, JSON.stringify(dropped.body))
        assert.equal(dropped.body.invalidated, 2)
        assert.equal(dropped.body.device, "c1")
        const events = seen.filter((e) => e._tag === "CacheInvalidated")
        assert.equal(events.length, 1)
        assert.deepEqual(
          { ...events[0], id: 0, time: "" },
          {
            _tag: "CacheInvalidated",
            device: "c1",
            dataType: "echo_probe",
            entries: 2,
            reason: "stale config",
            id: 0,
            time: "",
          },
        )

        const audit = await t.request("GET", "/api/audit?data_type=cache_invalidate")
        assert.equal(audit.body.count, 1)
        assert.equal(audit.body.entries[0].method, "api")
        assert.equal(audit.body.entries[0].device_name, "c1")
        assert.equal(audit.body.entries[0].status, "success")

        const rows = await runIn(
          t,
          Store.use((s) => testQuery<any>(s, "SELECT * FROM cache_metadata ORDER BY device, params")),
        )
        assert.equal(rows.length, 3)
        const [a, b, other] = rows
        assert.equal(a.invalidation_reason, "stale config")
        assert.ok(a.invalidated_at !== null && b.invalidated_at !== null)
        assert.equal(Number(a.hits), 1)
        assert.equal(other.device, "c2")
        assert.equal(other.invalidated_at, null)

        assert.equal((await t.request("GET", "/api/devices/c1/echo_probe?word=a")).body.cache, "miss")
        assert.equal((await t.request("GET", "/api/devices/c2/echo_probe")).body.cache, "hit")
        const all = await t.request("DELETE", "/api/cache")
        assert.equal(all.body.invalidated, 2)
        assert.equal((await t.request("GET", "/api/cache")).body.entries, 0)
      })
    })

    test("retention deletes only rows past their table's cutoff, in batches, and never configuration history", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addLocal(t, "ret")
        const store = await runIn(t, Store)
        const run = <A>(e: Effect.Effect<A, any>) => runIn(t, e)
        const device = await run(store.getDevice("ret"))
        const metric = (time: Date) => ({ time, device_id: device.id, data: {} })
        await run(
          store.insertRows("system_metrics", [
            ...[40, 41, 42, 43, 44].map((d) => metric(daysAgo(d))),
            metric(daysAgo(29)),
            metric(new Date()),
          ]),
        )
        const log = (time: Date) => ({ time, device_id: device.id, message: "m", data: {} })
        await run(store.insertRows("system_logs", [log(daysAgo(15)), log(daysAgo(13))]))
        const auditRow = (time: Date) => ({
          time,
          device_id: device.id,
          device_name: "ret",
          operation_id: "op",
          data_type: "x",
          method: "api",
          source: "test",
          status: "success",
        })
        await run(store.insertRows("data_collection_audit", [auditRow(daysAgo(91)), auditRow(daysAgo(89))]))
        await run(
          store.insertRows("service_performance_metrics", [{ time: daysAgo(31), method: "api" }, {
            time: daysAgo(1),
            method: "api",
          }]),
        )
        // Very old configuration history: must survive any run.
        const snapshot = await run(
          testQuery<{ id: number }>(
            store,
            `INSERT INTO configuration_snapshots (time, device_id, device_name, path, config_type, change_type, detection_source)
           VALUES ($1, $2, 'ret', '/etc/x', 'generic', 'CREATE', 'poll') RETURNING id`,
            [daysAgo(4000), device.id],
          ),
        )
        await run(
          testQuery(
            store,
            `INSERT INTO configuration_change_events (time, device_id, device_name, path, config_type, snapshot_id, change_type,
             diff_summary, risk_level, risk_rule, detection_source)
           VALUES ($1, $2, 'ret', '/etc/x', 'generic', $3, 'CREATE', '{}'::jsonb, 'LOW', 'test', 'poll')`,
            [daysAgo(4000), device.id, snapshot[0]?.id],
          ),
        )
        const count = async (table: string) =>
          Number((await run(testQuery<{ n: number }>(store, `SELECT count(*)::int AS n FROM ${table}`)))[0]?.n)

        const result = await run(runRetention(store, resolveRetention({}), { batchSize: 2 }))
        assert.deepEqual(result.errors, {})
        assert.equal(result.deleted["system_metrics"], 5, "five old rows in batches of two")
        assert.equal(result.deleted["system_logs"], 1)
        assert.equal(result.deleted["data_collection_audit"], 1)
        assert.equal(result.deleted["service_performance_metrics"], 1)
        assert.equal(result.deleted["configuration_snapshots"], undefined)
        assert.equal(await count("system_metrics"), 2)
        assert.equal(await count("system_logs"), 1)
        assert.equal(await count("service_performance_metrics"), 1)
        const remaining = await run(testQuery<{ time: Date }>(store, "SELECT time FROM system_metrics"))
        for (const r of remaining) assert.ok(new Date(r.time).getTime() > daysAgo(30).getTime())
        assert.equal(await count("configuration_snapshots"), 1)
        assert.equal(await count("configuration_change_events"), 1)

        // Protected tables are refused even if a rule slips through.
        const forced = await run(runRetention(store, [{ table: "configuration_snapshots", column: "time", days: 1 }]))
        assert.equal(forced.deleted["configuration_snapshots"], undefined)
        assert.match(forced.errors["configuration_snapshots"] ?? "", /never/)
        assert.equal(await count("configuration_snapshots"), 1)

        // On demand over HTTP.
        await run(store.insertRows("system_metrics", [metric(daysAgo(60))]))
        const http = await t.request("POST", "/api/retention/run")
        assert.equal(http.status, 200, JSON.stringify(http.body))
        assert.equal(http.body.deleted.system_metrics, 1)
        assert.equal(http.body.deleted.system_logs, 0)
        assert.equal(await count("configuration_snapshots"), 1)
        const rules = await t.request("GET", "/api/retention")
        assert.ok(rules.body.rules.some((r: any) => r.table === "drive_health" && r.days === 90))
      })
    })
  })
}

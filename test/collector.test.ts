import assert from "node:assert/strict"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { after, before, describe, test } from "node:test"
import { ParseError } from "../src/domain/errors.ts"
import { noRetry, transportRetry } from "../src/domain/schedules.ts"
import { Events, type InfraEventWithMeta } from "../src/events/Events.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { systemMetrics } from "../src/collectors/system-metrics/system-metrics.ts"
import { shq } from "../src/domain/quote.ts"
import type { HostKeys } from "../src/ssh/HostKeys.ts"
import { Ssh } from "../src/ssh/Ssh.ts"
import { Store } from "../src/store/Store.ts"
import { runIn, withTestApp } from "./harness/app.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/** A data type whose command exits 3 and prints its params: exit codes are results. */
const echoSpec: DataTypeSpec<{ out: string; code: number }> = {
  name: "echo_probe",
  description: "test type",
  table: "",
  ttlSeconds: 60,
  params: params({ word: "text to print" }),
  timeout: "5 seconds",
  retry: transportRetry,
  script: (p) => `printf '%s' ${shq(String(p["word"] ?? "none"))}; sleep 0.2; exit 3`,
  parse: (r) => Result.succeed({ out: r.stdout, code: r.exitCode }),
  toRows: () => [],
}

/** A data type whose parser always refuses the output. */
const brokenSpec: DataTypeSpec<{ never: true }> = {
  name: "broken_probe",
  description: "test type",
  table: "",
  ttlSeconds: 60,
  params: params({ word: "text to print" }),
  timeout: "5 seconds",
  retry: noRetry,
  script: () => "echo garbage",
  parse: () => Result.fail(new ParseError({ dataType: "broken_probe", message: "no header line", at: "line 1" })),
  toRows: () => [],
}

/** A data type that takes a second on the host. */
const slowSpec: DataTypeSpec<string> = {
  name: "slow_probe",
  description: "test type",
  table: "",
  ttlSeconds: 60,
  params: params({ word: "text to print" }),
  timeout: "5 seconds",
  retry: noRetry,
  script: () => "sleep 1; date +%s%N",
  parse: (r) => Result.succeed(r.stdout.trim()),
  toRows: () => [],
}

const specs: ReadonlyArray<DataTypeSpec<any>> = [systemMetrics, echoSpec, brokenSpec, slowSpec]
const commandsRun = (t: Parameters<typeof runIn>[0]) => runIn(t, Ssh.use((s) => Effect.succeed(s.stats().commandsRun)))

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.3" })
})
after(() => stopAllSshd())

const addDevice = (t: Parameters<typeof runIn>[0], name: string) =>
  t.request("POST", "/api/devices?probe=false", {
    name,
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    private_key_path: sshd.privateKeyPath,
  })

for (const backend of testBackends()) {
  describe(`pipeline on ${backend.name}`, () => {
    test("concurrent misses for one key run the command once (single-flight)", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addDevice(t, "sf")
        const before = await commandsRun(t)
        const answers = await Promise.all(
          Array.from({ length: 12 }, () => t.request("GET", "/api/devices/sf/echo_probe?word=hello")),
        )
        for (const a of answers) {
          assert.equal(a.status, 200)
          assert.deepEqual(a.body.data, { out: "hello", code: 3 })
        }
        assert.equal((await commandsRun(t)) - before, 1)
        assert.equal(answers.filter((a) => a.body.cache === "miss").length, 1)
        const audit = await t.request("GET", "/api/audit?device=sf&data_type=echo_probe")
        assert.equal(audit.body.count, 12, "every call is audited, hits included")
        assert.equal(audit.body.entries.filter((e: any) => e.ssh_command_count > 0).length, 1)
      })
    })

    test("stale-while-revalidate: an expired read answers at once, one audited refresh runs behind it", async () => {
      await withTestApp(backend, { specs, ttl: { echo_probe: 1 }, cache: { staleWhileRevalidate: 2 } }, async (t) => {
        await addDevice(t, "swr")
        const first = await t.request("GET", "/api/devices/swr/echo_probe?word=w")
        assert.equal(first.body.cache, "miss")
        await new Promise((r) => setTimeout(r, 1200))
        const before = await commandsRun(t)
        const stale = await Promise.all(
          Array.from({ length: 5 }, () => t.request("GET", "/api/devices/swr/echo_probe?word=w")),
        )
        for (const s of stale) {
          assert.equal(s.body.cache, "stale")
          assert.equal(s.body.collected_at, first.body.collected_at, "the answer is the stored one")
          assert.ok(s.body.age_seconds >= 1)
        }
        let refreshed: any
        for (let i = 0; i < 100 && refreshed === undefined; i++) {
          await new Promise((r) => setTimeout(r, 50))
          const audit = await t.request("GET", "/api/audit?device=swr&data_type=echo_probe")
          refreshed = audit.body.entries.find((e: any) => e.source.endsWith(":revalidate"))
        }
        assert.ok(refreshed, "the refresh is audited")
        assert.equal(refreshed.force_refresh, true)
        assert.equal(refreshed.cache_hit, false)
        assert.equal((await commandsRun(t)) - before, 1, "five stale reads, one refresh")
        const after = await t.request("GET", "/api/devices/swr/echo_probe?word=w")
        assert.equal(after.body.cache, "hit")
        assert.notEqual(after.body.collected_at, first.body.collected_at)
        const forced = await t.request("GET", "/api/devices/swr/echo_probe?word=w&force_refresh=true")
        assert.equal(forced.body.cache, "refresh", "force_refresh never takes a stale answer")
      })
    })

    test("shutdown lets the refresh behind a stale answer finish and be audited", async () => {
      // The store outlives the app, so the audit can be read after the app is gone.
      const storeRuntime = ManagedRuntime.make(backend.layer(uniqueSchema("swr_drain")))
      try {
        const context = await storeRuntime.runPromise(Effect.context<Store | HostKeys>())
        const kept = { ...backend, layer: () => Layer.succeedContext(context) }
        await withTestApp(kept, { specs, ttl: { slow_probe: 1 }, cache: { staleWhileRevalidate: 5 } }, async (t) => {
          await addDevice(t, "drain")
          assert.equal((await t.request("GET", "/api/devices/drain/slow_probe")).body.cache, "miss")
          await new Promise((r) => setTimeout(r, 1200))
          const stale = await t.request("GET", "/api/devices/drain/slow_probe")
          assert.equal(stale.body.cache, "stale")
          // Returning disposes the app while the refresh still has about a second to run.
        })
        const rows = await storeRuntime.runPromise(Store.use((s) => s.queryAudit({ device: "drain", limit: 10 })))
        const refresh = rows.find((r) => String(r["source"]).endsWith(":revalidate"))
        assert.ok(refresh, `the refresh is audited: ${JSON.stringify(rows.map((r) => r["source"]))}`)
        assert.equal(refresh["status"], "success", String(refresh["error_message"]))
      } finally {
        await storeRuntime.dispose()
      }
    })

    test("params are part of the cache key", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addDevice(t, "keys")
        const a = await t.request("GET", "/api/devices/keys/echo_probe?word=one")
        const b = await t.request("GET", "/api/devices/keys/echo_probe?word=two")
        assert.equal(a.body.data.out, "one")
        assert.equal(b.body.data.out, "two")
        assert.equal(b.body.cache, "miss")
        const c = await t.request("GET", "/api/devices/keys/echo_probe?word=it's%20$(id)%20`id`;%20rm")
        assert.equal(c.body.data.out, "it's $(id) `id`; rm", "hostile params reach the host as literal text")
      })
    })

    test("a non-zero exit is a result and is not retried; transport errors are", async () => {
      await withTestApp(backend, { specs, ssh: { connectTimeoutMs: 1000 } }, async (t) => {
        await addDevice(t, "exit3")
        const before = await commandsRun(t)
        const res = await t.request("GET", "/api/devices/exit3/echo_probe")
        assert.equal(res.body.data.code, 3)
        assert.equal((await commandsRun(t)) - before, 1)

        await t.request("POST", "/api/devices", {
          name: "refused",
          host: "127.0.0.1",
          port: 1,
          username: "u",
          private_key_path: sshd.privateKeyPath,
        })
        const failed = await t.request("GET", "/api/devices/refused/echo_probe")
        assert.equal(failed.status, 502)
        const audit = await t.request("GET", "/api/audit?device=refused")
        assert.equal(audit.body.entries[0].status, "error")
        assert.equal(audit.body.entries[0].ssh_command_count, 3, "first try + 2 retries of transportRetry")
      })
    })

    test("a parse error is a 502, audited, not cached, and published as CollectionFailed", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addDevice(t, "bad-output")
        const seen: Array<InfraEventWithMeta> = []
        const stop = await runIn(t, Events.use((e) => Effect.succeed(e.listen((ev) => seen.push(ev)))))
        const first = await t.request("GET", "/api/devices/bad-output/broken_probe")
        assert.equal(first.status, 502)
        assert.equal(first.body.error.code, "parse_error")
        assert.match(first.body.error.message, /no header line/)
        const before = await commandsRun(t)
        await t.request("GET", "/api/devices/bad-output/broken_probe")
        assert.equal((await commandsRun(t)) - before, 1, "a failed read is never served from cache")
        stop()
        assert.ok(seen.some((e) => e._tag === "CollectionFailed" && e.dataType === "broken_probe"))
        const audit = await t.request("GET", "/api/audit?device=bad-output&status=error")
        assert.equal(audit.body.count, 2)
      })
    })

    test("a successful miss publishes DataCollected and marks the device online", async () => {
      await withTestApp(backend, { specs }, async (t) => {
        await addDevice(t, "evt")
        const seen: Array<InfraEventWithMeta> = []
        const stop = await runIn(t, Events.use((e) => Effect.succeed(e.listen((ev) => seen.push(ev)))))
        await t.request("GET", "/api/devices/evt/echo_probe")
        await t.request("GET", "/api/devices/evt/echo_probe")
        stop()
        assert.deepEqual(seen.filter((e) => e._tag === "DataCollected").map((e) => e.device), ["evt"])
        const change = seen.find((e) => e._tag === "DeviceStatusChanged")
        assert.ok(change && change._tag === "DeviceStatusChanged" && change.to === "online")
        const device = await t.request("GET", "/api/devices/evt")
        assert.equal(device.body.status, "online")
        assert.ok(device.body.last_seen !== null)
      })
    })
  })
}

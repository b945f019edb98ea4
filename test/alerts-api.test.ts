/**
 * Alerts end to end on both stores: a real sshd test host (docker shimmed with recorded outputs)
 * read through the API with force_refresh, rules created through the API, and the engine's
 * answers checked as the API and the event bus give them: pending → firing after `for`, held in
 * the hysteresis band, resolved past the resolve threshold; acknowledge and silence; device
 * offline and back; read tokens refused on every write.
 */
import assert from "node:assert/strict"
import { writeFileSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { setTimeout as sleep } from "node:timers/promises"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { AlertSettings, defaultAlertSettings } from "../src/alerts/settings.ts"
import type { Alerts } from "../src/app/alerts.ts"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { capabilities } from "../src/collectors/capabilities/capabilities.ts"
import { allActions, allDataTypes } from "../src/collectors/index.ts"
import { Events, type InfraEventWithMeta } from "../src/events/Events.ts"
import { alertRoutes } from "../src/http/alerts-routes.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { makeBridge } from "../src/http/bridge.ts"
import { listen } from "../src/http/server.ts"
import type { WatchSettings } from "../src/configs/watch/settings.ts"
import { composeServices } from "../src/layers.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { Store } from "../src/store/Store.ts"
import { hostDir } from "./harness/config-watch.ts"
import { type TestBackend, testBackends, uniqueSchema } from "./harness/db.ts"
import { openStream, payload } from "./harness/sse-stream.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { dockerDaemonDownShim } from "./harness/shims/failing-tools.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.143", shims: { docker: dockerShim() } })
})
after(() => stopAllSshd())

type Request = (
  method: string,
  path: string,
  options?: { readonly token?: string; readonly body?: unknown },
) => Promise<{ status: number; body: any }>

interface AlertsApp {
  readonly app: Hono
  readonly request: Request
  readonly events: Array<InfraEventWithMeta>
  readonly read: string
  readonly write: string
}

/**
 * The real service graph and HTTP app with the alert routes mounted (here, until src/http/app.ts
 * mounts them), a 100 ms evaluation tick, and every bus event recorded.
 */
const withAlertsApp = async (
  backend: TestBackend,
  body: (t: AlertsApp) => Promise<void>,
  watch?: WatchSettings,
) => {
  const layer = composeServices({
    store: backend.layer(uniqueSchema("alerts")),
    ssh: makeSshLayer({ sshDir: "/nonexistent" }),
    cache: makeCacheLayer({}),
    registry: Registry.make(
      allDataTypes.some((s) => s.name === capabilities.name) ? allDataTypes : [...allDataTypes, capabilities],
      undefined,
      allActions,
    ),
    watch,
  }).pipe(Layer.provide(Layer.succeed(AlertSettings, { ...defaultAlertSettings, tickMs: 100 })), Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  try {
    const app = await runtime.runPromise(makeHttpApp)
    if (!app.routes.some((r) => r.path === "/api/alerts")) {
      app.route("/", alertRoutes(makeBridge(await runtime.runPromise(Effect.context<Alerts>()))))
    }
    const events: Array<InfraEventWithMeta> = []
    await runtime.runPromise(Effect.map(Effect.service(Events), (bus) => bus.listen((e) => void events.push(e))))
    const tokens = await runtime.runPromise(Effect.map(Effect.service(Store), (s) => makeTokenRepo(s)))
    const read = (await runtime.runPromise(tokens.create("alerts-read", "read"))).token
    const write = (await runtime.runPromise(tokens.create("alerts-write", "write"))).token
    const request: Request = async (method, path, options = {}) => {
      const headers: Record<string, string> = {}
      if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
      if (options.body !== undefined) headers["content-type"] = "application/json"
      const res = await app.request(path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed as any }
    }
    await body({ app, request, events, read, write })
  } finally {
    await runtime.dispose()
  }
}

/** Polls until `check` returns a value (not undefined); fails with `what` after a generous bound. */
const until = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

const memRule = (threshold: number) => ({
  id: "mem-total",
  name: "Memory total (test)",
  severity: "warning",
  scope: { devices: ["h1"] },
  condition: {
    kind: "threshold",
    data_type: "system_metrics",
    metric: "memory.total_bytes",
    comparator: ">",
    threshold,
  },
  for: "1s",
})

for (const backend of testBackends()) {
  describe(`alerts (${backend.name})`, () => {
    test("rules through the API, lifecycle on real reads, acknowledge, silence, offline and back", async () => {
      await withAlertsApp(backend, async ({ request, events, read, write }) => {
        const added = await request("POST", "/api/devices", {
          token: write,
          body: {
            name: "h1",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            private_key_path: sshd.privateKeyPath,
          },
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))

        const alertsOf = async (query: string) => {
          const r = await request("GET", `/api/alerts?${query}`, { token: read })
          assert.equal(r.status, 200, JSON.stringify(r.body))
          return r.body.alerts as Array<Record<string, any>>
        }
        const refresh = async (type: string) => {
          const r = await request("GET", `/api/devices/h1/${type}?force_refresh=true`, { token: read })
          assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`)
          return r.body.data
        }

        // A read token may list, never write.
        assert.equal((await request("POST", "/api/alert-rules", { token: read, body: memRule(1) })).status, 403)
        const created = await request("POST", "/api/alert-rules", { token: write, body: memRule(1) })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        assert.equal(created.body.origin, "api")
        const dup = await request("POST", "/api/alert-rules", { token: write, body: memRule(1) })
        assert.equal(dup.status, 400)
        const bad = await request("POST", "/api/alert-rules", {
          token: write,
          body: { ...memRule(1), id: "evil", condition: { kind: "expression", code: "process.exit(1)" } },
        })
        assert.equal(bad.status, 400)

        // pending → firing once `for` (1 s) has passed.
        const metrics = await refresh("system_metrics")
        const total = metrics.memory.total_bytes as number
        assert.ok(total > 0)
        const opened = await until("the mem-total alert", async () => (await alertsOf("rule=mem-total"))[0])
        assert.equal(opened.device, "h1")
        assert.equal(opened.value, total)
        assert.equal(opened.threshold, 1)
        const fired = await until("mem-total firing", async () => {
          const [a] = await alertsOf("rule=mem-total&state=firing")
          return a
        })
        assert.equal(fired.id, opened.id)
        assert.ok(Date.parse(fired.fired_at) - Date.parse(fired.started_at) >= 1000, "fired no sooner than `for`")
        const firing = events.find((e) => e._tag === "AlertFiring" && e.alertId === fired.id)
        assert.ok(firing, "AlertFiring on the bus")
        assert.equal(firing._tag === "AlertFiring" && firing.silenced, false)

        // Hysteresis: above the resolve threshold but below the firing one, it keeps firing.
        const held = await request("PATCH", "/api/alert-rules/mem-total", {
          token: write,
          body: { threshold: total + 1, resolve_threshold: total - 1 },
        })
        assert.equal(held.status, 200, JSON.stringify(held.body))
        // A marker rule reads the same event: once it fires, that read was evaluated.
        const marker = {
          ...memRule(0),
          id: "marker",
          name: "Marker",
          severity: "info",
          for: 0,
        }
        assert.equal((await request("POST", "/api/alert-rules", { token: write, body: marker })).status, 201)
        await refresh("system_metrics")
        const markerAlert = await until("the marker alert", async () => (await alertsOf("rule=marker&state=firing"))[0])
        const still = await alertsOf("rule=mem-total")
        assert.equal(still.length, 1)
        assert.equal(still[0]?.state, "firing")
        assert.equal(still[0]?.id, fired.id)

        // Past the resolve threshold: resolved, and announced.
        await request("PATCH", "/api/alert-rules/mem-total", {
          token: write,
          body: { resolve_threshold: total + 0.5 },
        })
        await refresh("system_metrics")
        const resolved = await until("mem-total resolved", async () => {
          const [a] = await alertsOf("rule=mem-total&state=resolved")
          return a
        })
        assert.equal(resolved.id, fired.id)
        assert.ok(resolved.resolved_at !== null)
        assert.ok(events.some((e) => e._tag === "AlertResolved" && e.alertId === fired.id), "AlertResolved on the bus")

        // Acknowledge: write only.
        const ackPath = `/api/alerts/${markerAlert.id}/acknowledge`
        assert.equal((await request("POST", ackPath, { token: read, body: {} })).status, 403)
        const ack = await request("POST", ackPath, { token: write, body: { by: "ops" } })
        assert.equal(ack.status, 200, JSON.stringify(ack.body))
        assert.equal(ack.body.acknowledged_by, "ops")
        assert.ok(ack.body.acknowledged_at !== null)
        assert.equal(ack.body.state, "firing")

        // Silence the rule: a new alert of it is announced as silenced; then unsilence.
        const silenceBody = { rule_id: "mem-total", until: "1h", reason: "maintenance" }
        assert.equal((await request("POST", "/api/alert-silences", { token: read, body: silenceBody })).status, 403)
        const silence = await request("POST", "/api/alert-silences", { token: write, body: silenceBody })
        assert.equal(silence.status, 201, JSON.stringify(silence.body))
        assert.ok(Date.parse(silence.body.until) > Date.now() + 3_500_000, "until is ahead of now")
        await request("PATCH", "/api/alert-rules/mem-total", {
          token: write,
          body: { threshold: 1, resolve_threshold: 1, for: 0 },
        })
        await refresh("system_metrics")
        const again = await until("mem-total firing again", async () => {
          const [a] = await alertsOf("rule=mem-total&state=firing")
          return a
        })
        assert.notEqual(again.id, fired.id)
        assert.equal(again.silenced, true)
        const quiet = events.find((e) => e._tag === "AlertFiring" && e.alertId === again.id)
        assert.ok(quiet && quiet._tag === "AlertFiring" && quiet.silenced, "announced as silenced")
        const listed = await request("GET", "/api/alert-silences", { token: read })
        assert.equal(listed.body.count, 1)
        const unsilencePath = `/api/alert-silences/${silence.body.id}`
        assert.equal((await request("DELETE", unsilencePath, { token: read })).status, 403)
        assert.equal((await request("DELETE", unsilencePath, { token: write })).status, 200)
        assert.equal((await alertsOf("rule=mem-total&state=firing"))[0]?.silenced, false)

        // Built-in predicates on the recorded docker host: the stopped container (exit code 1) fires.
        const containers = (await refresh("containers")).containers as Array<Record<string, any>>
        const exited = containers
          .filter((c) => (c.state === "exited" && c.exit_code !== null && c.exit_code !== 0) || c.state === "dead")
          .map((c) => c.name)
          .sort()
        assert.ok(exited.length > 0, "the recorded host has a container that exited with an error")
        const exitedAlerts = await until("container_exited alerts", async () => {
          const open = await alertsOf("rule=container_exited&state=firing")
          return open.length === exited.length ? open : undefined
        })
        assert.deepEqual(exitedAlerts.map((a) => a.subject).sort(), exited)
        assert.equal(exitedAlerts[0]?.labels.container, exitedAlerts[0]?.subject)

        // A named container missing: a user rule; the one present raises nothing (it is evaluated first).
        const mustRun = {
          id: "must-run",
          name: "Named containers present",
          severity: "critical",
          scope: { all: true },
          condition: { kind: "predicate", predicate: "container_missing", names: [exited[0], "no-such-container"] },
        }
        assert.equal((await request("POST", "/api/alert-rules", { token: write, body: mustRun })).status, 201)
        await refresh("containers")
        const missing = await until("container_missing firing", async () => {
          const open = await alertsOf("rule=must-run")
          return open.length > 0 ? open : undefined
        })
        assert.deepEqual(missing.map((a) => [a.subject, a.state]), [["no-such-container", "firing"]])

        // Testing a rule evaluates stored data and changes nothing.
        const countBefore = (await alertsOf("limit=1000")).length
        const tested = await request("POST", "/api/alert-rules/test", {
          token: read,
          body: { id: "disk_usage_warning" },
        })
        assert.equal(tested.status, 200, JSON.stringify(tested.body))
        const mounts = tested.body.devices[0].observations as Array<Record<string, any>>
        assert.ok(mounts.length > 0 && mounts.every((o) => typeof o.labels.mount === "string"))
        const adHoc = await request("POST", "/api/alert-rules/test", {
          token: read,
          body: { rule: { ...memRule(1), id: "ad-hoc" } },
        })
        assert.equal(adHoc.body.devices[0].observations[0].verdict, "fire")
        assert.equal((await alertsOf("limit=1000")).length, countBefore)
        assert.equal((await alertsOf("rule=ad-hoc")).length, 0)

        // Device offline: a built-in retuned through the API (for 1 s), fired, then resolved when the host is back.
        assert.equal(
          (await request("PATCH", "/api/alert-rules/device_offline", { token: read, body: { for: "1s" } })).status,
          403,
        )
        const tuned = await request("PATCH", "/api/alert-rules/device_offline", { token: write, body: { for: "1s" } })
        assert.equal(tuned.status, 200, JSON.stringify(tuned.body))
        assert.equal(tuned.body.overridden, true)
        assert.equal(tuned.body.name, "Device offline")
        sshd.kill()
        await until("h1 offline", async () => {
          await request("GET", "/api/devices/h1/system_metrics?force_refresh=true", { token: read })
          const d = await request("GET", "/api/devices/h1", { token: read })
          return d.body.status === "offline" ? true : undefined
        })
        const offline = await until("device_offline firing", async () => {
          const [a] = await alertsOf("rule=device_offline&state=firing")
          return a
        })
        assert.equal(offline.severity, "critical")
        await sshd.restart()
        await until("h1 back", async () => {
          const r = await request("GET", "/api/devices/h1/system_metrics?force_refresh=true", { token: read })
          return r.status === 200 ? true : undefined
        })
        await until("device_offline resolved", async () => {
          const [a] = await alertsOf("rule=device_offline&state=resolved")
          return a?.id === offline.id ? a : undefined
        })
        assert.ok(events.some((e) => e._tag === "AlertResolved" && e.alertId === offline.id))

        // Rules: built-ins listed with their overrides; delete resets a built-in, removes an API rule.
        const rules = await request("GET", "/api/alert-rules", { token: read })
        assert.ok(rules.body.rules.some((r: any) => r.id === "disk_usage_critical" && r.origin === "builtin"))
        assert.equal((await request("DELETE", "/api/alert-rules/marker", { token: read })).status, 403)
        const reset = await request("DELETE", "/api/alert-rules/device_offline", { token: write })
        assert.equal(reset.status, 200)
        assert.equal(reset.body.rule.for, "2m")
        assert.equal((await request("DELETE", "/api/alert-rules/marker", { token: write })).body.deleted, true)
        // The marker's open alert closes once its rule is gone.
        await until("marker closed", async () => {
          const [a] = await alertsOf(`rule=marker&state=resolved`)
          return a
        })
        assert.equal((await request("GET", "/api/alerts?state=bogus", { token: read })).status, 400)
        assert.equal((await request("GET", "/api/alerts/999999", { token: read })).status, 404)
      })
    })
  })
}

/** A tool call's outcome: its JSON answer, or the error text. */
const callTool = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
  const r = await client.callTool({ name, arguments: args })
  const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("")
  return { isError: r.isError === true, text, data: r.isError === true ? undefined : JSON.parse(text) }
}

for (const backend of testBackends()) {
  describe(`alerts over MCP (${backend.name})`, () => {
    test("list, create, test, acknowledge, silence; a read token is refused every write", async () => {
      await withAlertsApp(backend, async ({ app, request, read, write }) => {
        const added = await request("POST", "/api/devices", {
          token: write,
          body: {
            name: "h1",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            private_key_path: sshd.privateKeyPath,
            tags: ["lab"],
          },
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        const server = await listen(app, "127.0.0.1", 0)
        const connect = async (token: string) => {
          const client = new Client({ name: "alerts-test", version: "1" })
          await client.connect(
            new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
              requestInit: { headers: { authorization: `Bearer ${token}` } },
            }),
          )
          return client
        }
        const reader = await connect(read)
        const writer = await connect(write)
        try {
          const rule = { ...memRule(1), for: 0 }
          const writes: Array<[string, Record<string, unknown>]> = [
            ["create_alert_rule", { rule }],
            ["update_alert_rule", { id: "cpu_high", changes: { enabled: false } }],
            ["delete_alert_rule", { id: "cpu_high" }],
            ["acknowledge_alert", { id: 1 }],
            ["silence_alerts", { device: "h1", until: "1h" }],
            ["unsilence_alerts", { id: 1 }],
          ]
          for (const [name, args] of writes) {
            const r = await callTool(reader, name, args)
            assert.equal(r.isError, true, `${name} with a read token: ${r.text}`)
            assert.match(r.text, /^error \[forbidden\]/, name)
          }
          const builtins = await callTool(reader, "list_alert_rules")
          assert.ok(builtins.data.rules.some((r: any) => r.id === "device_offline" && r.enabled !== false))
          assert.equal((await callTool(reader, "list_alerts")).data.count, 0)

          const created = await callTool(writer, "create_alert_rule", { rule })
          assert.equal(created.isError, false, created.text)
          const bad = await callTool(writer, "create_alert_rule", { rule: { ...rule, id: "x", severity: "dire" } })
          assert.match(bad.text, /^error \[bad_request\]/)
          const r = await request("GET", "/api/devices/h1/system_metrics?force_refresh=true", { token: read })
          assert.equal(r.status, 200)
          const alert = await until("mem-total firing over MCP", async () => {
            const listed = await callTool(reader, "list_alerts", { state: ["firing"], device: "h1" })
            return listed.data.alerts.find((a: any) => a.rule_id === "mem-total")
          })
          assert.equal(alert.value, r.body.data.memory.total_bytes)

          // The same AlertFiring on the SSE stream (replayed from the start of this run).
          const sse = await openStream(`${server.url}/api/events?kind=AlertFiring&last_event_id=0`, {
            authorization: `Bearer ${read}`,
          })
          try {
            assert.equal(sse.res.status, 200)
            await sse.waitFor(
              (fs) => fs.some((f) => f.event === "AlertFiring" && payload(f).alertId === alert.id),
              "AlertFiring on SSE",
              15_000,
            )
            const frame = sse.events().find((f) => payload(f).alertId === alert.id)!
            assert.equal(payload(frame).ruleId, "mem-total")
            assert.equal(payload(frame).device, "h1")
          } finally {
            await sse.close()
          }

          const tested = await callTool(reader, "test_alert_rule", { id: "memory_high" })
          assert.equal(tested.isError, false, tested.text)
          assert.equal(tested.data.devices[0].device, "h1")
          assert.equal(typeof tested.data.devices[0].observations[0].value, "number")

          const acked = await callTool(writer, "acknowledge_alert", { id: alert.id, by: "agent" })
          assert.equal(acked.data.acknowledged_by, "agent")
          const silence = await callTool(writer, "silence_alerts", {
            tag: "lab",
            until: "30m",
            reason: "test",
          })
          assert.equal(silence.isError, false, silence.text)
          assert.equal((await callTool(reader, "list_alert_silences")).data.count, 1)
          assert.equal((await callTool(reader, "list_alerts", { state: ["firing"] })).data.alerts[0].silenced, true)
          assert.equal((await callTool(writer, "unsilence_alerts", { id: silence.data.id })).isError, false)
          assert.equal((await callTool(reader, "list_alert_silences")).data.count, 0)

          const off = await callTool(writer, "update_alert_rule", { id: "cpu_high", changes: { enabled: false } })
          assert.equal(off.data.enabled, false)
          assert.equal(off.data.overridden, true)
          const reset = await callTool(writer, "delete_alert_rule", { id: "cpu_high" })
          assert.equal(reset.data.rule.enabled, undefined)
          assert.equal((await callTool(writer, "delete_alert_rule", { id: "mem-total" })).data.deleted, true)
        } finally {
          await reader.close()
          await writer.close()
          await server.close()
        }
      })
    })
  })
}

for (const backend of testBackends()) {
  describe(`alerts on config changes (${backend.name})`, () => {
    test("a HIGH-risk change fires with the diff summary and the rule; acknowledging resolves it", async () => {
      const dir = hostDir("alerts")
      try {
        const file = dir.put("stack/docker-compose.yml", "services:\n  app:\n    image: nginx:1.27\n")
        await withAlertsApp(backend, async ({ request, events, read, write }) => {
          const added = await request("POST", "/api/devices", {
            token: write,
            body: {
              name: "h1",
              host: sshd.host,
              port: sshd.port,
              username: sshd.user,
              private_key_path: sshd.privateKeyPath,
            },
          })
          assert.equal(added.status, 201, JSON.stringify(added.body))
          const scan = async () => {
            const r = await request("POST", "/api/devices/h1/configs/scan", { token: write })
            assert.equal(r.status, 200, JSON.stringify(r.body))
          }
          await scan()
          // A LOW/MEDIUM change raises nothing: only a comment is added.
          dir.put("stack/docker-compose.yml", "# the app\nservices:\n  app:\n    image: nginx:1.27\n")
          await scan()
          dir.put("stack/docker-compose.yml", "# the app\nservices:\n  app:\n    image: nginx:1.28\n")
          await scan()
          // (The scan also tracks the host's own unit files; any of those may be HIGH too, e.g. unparseable.)
          const ofFile = async () => {
            const r = await request("GET", "/api/alerts?rule=config_change_high_risk&limit=1000", { token: read })
            return (r.body.alerts as Array<Record<string, any>>).filter((a) => a.labels.path === file)
          }
          const [alert] = await until("config_change_high_risk firing", async () => {
            const found = await ofFile()
            return found.length > 0 ? found : undefined
          })
          assert.ok(alert)
          assert.equal(alert.state, "firing")
          assert.equal(alert.labels.risk, "HIGH")
          assert.equal(alert.details.risk_rule, "image-changed")
          assert.ok(alert.details.diff_summary !== null && typeof alert.details.diff_summary === "object")
          assert.match(alert.summary, /image-changed/)
          assert.equal((await ofFile()).length, 1, "the comment change raised nothing")
          // One alert per HIGH or CRITICAL change event, on every tracked file.
          const changes = await request("GET", "/api/changes?device=h1&risk=HIGH,CRITICAL&limit=1000", { token: read })
          const all = await request("GET", "/api/alerts?rule=config_change_high_risk&limit=1000", { token: read })
          assert.equal(all.body.count, changes.body.count)
          const firing = events.find((e) => e._tag === "AlertFiring" && e.alertId === alert.id)
          assert.ok(firing && firing._tag === "AlertFiring")
          assert.deepEqual(firing.details, alert.details)

          const ack = await request("POST", `/api/alerts/${alert.id}/acknowledge`, { token: write, body: {} })
          assert.equal(ack.status, 200, JSON.stringify(ack.body))
          assert.equal(ack.body.state, "resolved")
          assert.match(ack.body.acknowledged_by, /^token /)
          assert.ok(events.some((e) => e._tag === "AlertResolved" && e.alertId === alert.id))
        }, { globs: { docker_compose: [`${dir.root}/stack/docker-compose.yml`] } })
      } finally {
        dir.remove()
      }
    })
  })
}

for (const backend of testBackends()) {
  describe(`alerts on failing collections (${backend.name})`, () => {
    test("a data type failing three times in a row fires; its next success resolves it", async () => {
      const shim = path.join(sshd.shimDir, "docker")
      const put = (body: string) => writeFileSync(shim, body.startsWith("#!") ? body : `#!/bin/sh\n${body}\n`)
      await withAlertsApp(backend, async ({ request, read, write }) => {
        const added = await request("POST", "/api/devices", {
          token: write,
          body: {
            name: "h1",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            private_key_path: sshd.privateKeyPath,
          },
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        const containers = () => request("GET", "/api/devices/h1/containers?force_refresh=true", { token: read })
        const failing = async () => {
          const r = await request("GET", "/api/alerts?rule=collection_failing", { token: read })
          return r.body.alerts as Array<Record<string, any>>
        }
        put(dockerDaemonDownShim)
        try {
          for (let i = 1; i <= 2; i++) {
            const r = await containers()
            assert.equal(r.body.error?.code, "command_failed", JSON.stringify(r.body))
          }
          const third = await containers()
          assert.equal(third.body.error?.code, "command_failed")
          const alert = await until("collection_failing firing", async () => (await failing())[0])
          assert.equal(alert.state, "firing")
          assert.equal(alert.subject, "containers")
          assert.equal(alert.value, 3)
          assert.equal((await failing()).length, 1)
        } finally {
          put(dockerShim())
        }
        assert.equal((await containers()).status, 200)
        const resolved = await until("collection_failing resolved", async () => {
          const [a] = await failing()
          return a?.state === "resolved" ? a : undefined
        })
        assert.ok(resolved.resolved_at !== null)
      })
    })
  })
}

/**
 * Every REST route and every MCP tool, tried with a read token: whatever changes anything is
 * refused (403, or an MCP tool error) and neither the database nor the host changes. Every route
 * and tool must be listed here (a new one fails this test until it is), and every application
 * operation must be reached by one of them. Then the same routes without a token on a server
 * bound to a non-loopback address: 401, also once the last token was revoked.
 */
import { testQuery } from "../src/store/raw-sql.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect } from "effect"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { allOperations } from "../src/app/operations.ts"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen } from "../src/http/server.ts"
import { REFERENCE_PATHS } from "../src/http/openapi/reference.ts"
import { HttpSettings } from "../src/http/settings.ts"
import { McpSettings } from "../src/mcp/settings.ts"
import { Store, type StoreShape } from "../src/store/Store.ts"
import { type HostDir, hostDir } from "./harness/config-watch.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
let dir: HostDir
before(async () => {
  dir = hostDir("scopes")
  const calls = path.join(dir.root, "docker-calls.log")
  dir.put("docker-calls.log", "")
  // The recorded docker host, with every invocation written down: a refused action must not reach it.
  sshd = await startSshd({
    address: "127.0.0.9",
    shims: { "docker-recorded": dockerShim(), docker: `printf '%s\\n' "$*" >> '${calls}'\nexec docker-recorded "$@"` },
  })
})
after(() => {
  stopAllSshd()
  dir.remove()
})

const dockerCalls = () => readFileSync(path.join(dir.root, "docker-calls.log"), "utf8")

/** Served without a token: liveness, and the API's description (no operation, no data). */
const publicRoutes = ["GET /health", ...REFERENCE_PATHS.map((p) => `GET ${p}`)]

/** The dashboard's sign-in, sign-out and static files: served without a token, no operation, no data. */
const dashboardPublicRoutes = ["GET /login", "POST /login", "POST /logout", "GET /assets/:hash/:name"]

/** Dashboard pages: read operations like the API's; without credentials they redirect to the sign-in form. */
const dashboardPages = new Set([
  "GET /",
  "GET /devices/:device",
  "GET /devices/:device/configs",
  "GET /devices/:device/configs/file",
  "GET /devices/:device/configs/diff",
  "GET /devices/:device/configs/restore",
  "GET /devices/:device/services",
  "GET /devices/:device/panels/:panel",
  "GET /devices/:device/containers/:name/logs",
  "GET /changes",
  "GET /audit",
  "GET /settings",
  "GET /settings/devices/:device",
  "GET /alerts",
  "GET /alerts/rules",
])

/** What the route or tool is expected to run, by its declared name in src/app. */
interface RestSample {
  readonly route: string
  readonly path: string
  readonly body?: unknown
  readonly op: string
}

interface ToolSample {
  readonly tool: string
  readonly args: Record<string, unknown>
  readonly op: string
}

interface Fixture {
  readonly container: string
  readonly snapshot: number
  readonly file: string
  readonly token: string
}

const restSamples = (f: Fixture): ReadonlyArray<RestSample> => [
  { route: "GET /api/devices", path: "/api/devices", op: "Devices.list" },
  { route: "POST /api/devices", path: "/api/devices", body: { name: "x1", transport: "local" }, op: "Devices.add" },
  { route: "GET /api/devices/:device", path: "/api/devices/h1", op: "Devices.get" },
  { route: "PATCH /api/devices/:device", path: "/api/devices/h1", body: { host: "127.1" }, op: "Devices.update" },
  { route: "DELETE /api/devices/:device", path: "/api/devices/h1", op: "Devices.remove" },
  {
    route: "POST /api/devices/:device/trust-host-key",
    path: "/api/devices/h1/trust-host-key",
    op: "Devices.trustHostKey",
  },
  { route: "GET /api/data-types", path: "/api/data-types", op: "Data.dataTypes" },
  { route: "GET /api/devices/:device/:dataType", path: "/api/devices/h1/containers", op: "Data.collect" },
  {
    route: "GET /api/devices/:device/:dataType/history",
    path: "/api/devices/h1/containers/history",
    op: "Data.history",
  },
  {
    route: "GET /api/devices/:device/:dataType/series",
    path: "/api/devices/h1/system_metrics/series?from=6h&points=100",
    op: "Data.series",
  },
  {
    route: "GET /api/devices/:device/containers/:name",
    path: `/api/devices/h1/containers/${f.container}`,
    op: "Data.collect",
  },
  {
    route: "GET /api/devices/:device/containers/:name/logs",
    path: `/api/devices/h1/containers/${f.container}/logs?tail=2`,
    op: "Data.collect",
  },
  {
    route: "POST /api/devices/:device/containers/:name/:action",
    path: `/api/devices/h1/containers/${f.container}/restart`,
    op: "Data.containerAction",
  },
  { route: "GET /api/devices/:device/configs", path: "/api/devices/h1/configs", op: "Configs.tracked" },
  {
    route: "GET /api/devices/:device/configs/history",
    path: `/api/devices/h1/configs/history?path=${encodeURIComponent(f.file)}`,
    op: "Configs.history",
  },
  { route: "GET /api/configs/snapshots/:id", path: `/api/configs/snapshots/${f.snapshot}`, op: "Configs.snapshot" },
  {
    route: "GET /api/configs/snapshots/:id",
    path: `/api/configs/snapshots/${f.snapshot}?raw=true`,
    op: "Configs.rawSnapshot",
  },
  { route: "GET /api/configs/diff", path: `/api/configs/diff?from=${f.snapshot}&to=${f.snapshot}`, op: "Configs.diff" },
  {
    route: "GET /api/configs/diff",
    path: `/api/configs/diff?from=${f.snapshot}&to=${f.snapshot}&raw=true`,
    op: "Configs.rawDiff",
  },
  { route: "GET /api/changes", path: "/api/changes", op: "Configs.changes" },
  { route: "GET /api/devices/:device/service-map", path: "/api/devices/h1/service-map", op: "Configs.serviceMap" },
  { route: "POST /api/devices/:device/configs/scan", path: "/api/devices/h1/configs/scan", op: "Configs.scan" },
  {
    route: "POST /api/devices/:device/configs/restore",
    path: "/api/devices/h1/configs/restore",
    body: { snapshot_id: f.snapshot },
    op: "Configs.restorePreview",
  },
  {
    route: "POST /api/devices/:device/configs/restore",
    path: "/api/devices/h1/configs/restore",
    body: { snapshot_id: f.snapshot, dry_run: false },
    op: "Configs.restore",
  },
  { route: "GET /api/watch/status", path: "/api/watch/status", op: "Configs.watchStatus" },
  { route: "GET /api/audit", path: "/api/audit", op: "Admin.audit" },
  { route: "GET /api/cache", path: "/api/cache", op: "Admin.cache" },
  { route: "DELETE /api/cache", path: "/api/cache", op: "Admin.invalidateCache" },
  { route: "GET /api/performance", path: "/api/performance", op: "Admin.performance" },
  { route: "GET /api/retention", path: "/api/retention", op: "Admin.retentionRules" },
  { route: "POST /api/retention/run", path: "/api/retention/run", op: "Admin.runRetention" },
  { route: "GET /metrics", path: "/metrics", op: "Admin.metrics" },
  { route: "GET /metrics/fleet", path: "/metrics/fleet", op: "Admin.fleetMetrics" },
  { route: "GET /api/scheduler", path: "/api/scheduler", op: "Admin.scheduler" },
  { route: "POST /api/scheduler/refresh", path: "/api/scheduler/refresh", op: "Admin.refreshScheduler" },
  { route: "GET /api/events", path: "/api/events", op: "Admin.events" },
  { route: "GET /api/tokens", path: "/api/tokens", op: "Admin.tokens" },
  { route: "POST /api/tokens", path: "/api/tokens", body: { name: "more", scope: "write" }, op: "Admin.createToken" },
  { route: "DELETE /api/tokens/:id", path: `/api/tokens/${f.token}`, op: "Admin.revokeToken" },
  { route: "GET /", path: "/", op: "Devices.list" },
  { route: "GET /fleet/rows", path: "/fleet/rows", op: "Devices.list" },
  { route: "GET /devices/:device", path: "/devices/h1", op: "Devices.get" },
  { route: "GET /devices/:device/configs", path: "/devices/h1/configs", op: "Configs.tracked" },
  {
    route: "GET /devices/:device/configs/file",
    path: `/devices/h1/configs/file?path=${encodeURIComponent(f.file)}`,
    op: "Configs.history",
  },
  {
    route: "GET /devices/:device/configs/diff",
    path: `/devices/h1/configs/diff?path=${encodeURIComponent(f.file)}&from=${f.snapshot}&to=${f.snapshot}`,
    op: "Configs.diff",
  },
  {
    route: "GET /devices/:device/configs/restore",
    path: `/devices/h1/configs/restore?path=${encodeURIComponent(f.file)}&version=${f.snapshot}`,
    op: "Configs.restorePreview",
  },
  { route: "GET /devices/:device/services", path: "/devices/h1/services", op: "Configs.serviceMap" },
  { route: "GET /devices/:device/panels/:panel", path: "/devices/h1/panels/systemd", op: "Data.collect" },
  {
    route: "GET /devices/:device/containers/:name/logs",
    path: `/devices/h1/containers/${f.container}/logs?tail=2`,
    op: "Data.collect",
  },
  { route: "GET /changes", path: "/changes", op: "Configs.changes" },
  { route: "GET /feeds/changes/rows", path: "/feeds/changes/rows", op: "Configs.changes" },
  { route: "GET /audit", path: "/audit", op: "Admin.audit" },
  { route: "GET /feeds/audit/rows", path: "/feeds/audit/rows", op: "Admin.audit" },
  { route: "GET /settings", path: "/settings", op: "Devices.list" },
  { route: "GET /settings/devices/:device", path: "/settings/devices/h1", op: "Devices.get" },
  { route: "GET /alerts", path: "/alerts?state=firing", op: "Alerts.list" },
  { route: "GET /feeds/alerts/rows", path: "/feeds/alerts/rows", op: "Alerts.list" },
  { route: "GET /alerts/rules", path: "/alerts/rules", op: "Alerts.rules" },
  { route: "GET /api/devices/:device/host-key", path: "/api/devices/h1/host-key", op: "Devices.hostKey" },
  { route: "GET /api/alerts", path: "/api/alerts?state=firing", op: "Alerts.list" },
  { route: "GET /api/alert-rules", path: "/api/alert-rules", op: "Alerts.rules" },
  {
    route: "POST /api/alert-rules",
    path: "/api/alert-rules",
    body: {
      id: "r1",
      name: "r1",
      severity: "warning",
      scope: { all: true },
      condition: { kind: "predicate", predicate: "systemd_unit_failed" },
    },
    op: "Alerts.createRule",
  },
  {
    route: "PATCH /api/alert-rules/:id",
    path: "/api/alert-rules/cpu_high",
    body: { enabled: false },
    op: "Alerts.updateRule",
  },
  { route: "DELETE /api/alert-rules/:id", path: "/api/alert-rules/cpu_high", op: "Alerts.deleteRule" },
  {
    route: "POST /api/alert-rules/test",
    path: "/api/alert-rules/test",
    body: { id: "disk_usage_warning" },
    op: "Alerts.testRule",
  },
  { route: "GET /api/alert-silences", path: "/api/alert-silences", op: "Alerts.silences" },
  {
    route: "POST /api/alert-silences",
    path: "/api/alert-silences",
    body: { device: "h1", until: "1h" },
    op: "Alerts.silence",
  },
  { route: "DELETE /api/alert-silences/:id", path: "/api/alert-silences/1", op: "Alerts.unsilence" },
  { route: "GET /api/alerts/:id", path: "/api/alerts/1", op: "Alerts.get" },
  { route: "POST /api/alerts/:id/acknowledge", path: "/api/alerts/1/acknowledge", body: {}, op: "Alerts.acknowledge" },
]

const toolSamples = (f: Fixture): ReadonlyArray<ToolSample> => [
  { tool: "list_alerts", args: {}, op: "Alerts.list" },
  { tool: "list_alert_rules", args: {}, op: "Alerts.rules" },
  {
    tool: "create_alert_rule",
    args: {
      rule: {
        id: "r2",
        name: "r2",
        severity: "warning",
        scope: { all: true },
        condition: { kind: "predicate", predicate: "systemd_unit_failed" },
      },
    },
    op: "Alerts.createRule",
  },
  { tool: "update_alert_rule", args: { id: "cpu_high", changes: { enabled: false } }, op: "Alerts.updateRule" },
  { tool: "delete_alert_rule", args: { id: "cpu_high" }, op: "Alerts.deleteRule" },
  { tool: "test_alert_rule", args: { id: "disk_usage_warning" }, op: "Alerts.testRule" },
  { tool: "acknowledge_alert", args: { id: 1 }, op: "Alerts.acknowledge" },
  { tool: "list_alert_silences", args: {}, op: "Alerts.silences" },
  { tool: "silence_alerts", args: { device: "h1", until: "1h" }, op: "Alerts.silence" },
  { tool: "unsilence_alerts", args: { id: 1 }, op: "Alerts.unsilence" },
  { tool: "list_devices", args: {}, op: "Devices.list" },
  { tool: "get_device", args: { device: "h1" }, op: "Devices.get" },
  { tool: "add_device", args: { name: "x2", host: "127.0.0.9", probe: false }, op: "Devices.add" },
  { tool: "update_device", args: { device: "h1", host: "127.1" }, op: "Devices.update" },
  { tool: "remove_device", args: { device: "h1" }, op: "Devices.remove" },
  {
    tool: "import_ssh_config",
    args: { config_text: "Host web\n  HostName 10.0.0.5\n" },
    op: "Devices.importSshConfig",
  },
  { tool: "get_system_metrics", args: { device: "h1" }, op: "Data.collect" },
  { tool: "list_containers", args: { device: "h1" }, op: "Data.collect" },
  { tool: "get_drive_health", args: { device: "h1" }, op: "Data.collect" },
  { tool: "get_network_interfaces", args: { device: "h1" }, op: "Data.collect" },
  { tool: "list_vms", args: { device: "h1" }, op: "Data.collect" },
  { tool: "get_container", args: { device: "h1", name: f.container }, op: "Data.collect" },
  { tool: "get_container_logs", args: { device: "h1", name: f.container, tail: 2 }, op: "Data.collect" },
  { tool: "get_zfs_status", args: { device: "h1" }, op: "Data.collect" },
  { tool: "list_zfs_snapshots", args: { device: "h1" }, op: "Data.collect" },
  { tool: "list_systemd_services", args: { device: "h1" }, op: "Data.collect" },
  { tool: "query_system_logs", args: { device: "h1", limit: 5 }, op: "Data.collect" },
  { tool: "get_metrics_history", args: { device: "h1" }, op: "Data.metricsSummary" },
  { tool: "get_audit_log", args: {}, op: "Admin.audit" },
  { tool: "get_cache_stats", args: {}, op: "Admin.cache" },
  { tool: "invalidate_cache", args: {}, op: "Admin.invalidateCache" },
  { tool: "get_performance", args: {}, op: "Admin.performanceSummary" },
  { tool: "start_container", args: { device: "h1", name: f.container }, op: "Data.containerAction" },
  { tool: "stop_container", args: { device: "h1", name: f.container }, op: "Data.containerAction" },
  { tool: "restart_container", args: { device: "h1", name: f.container }, op: "Data.containerAction" },
  { tool: "list_config_files", args: { device: "h1" }, op: "Configs.tracked" },
  { tool: "get_config_history", args: { device: "h1", path: f.file }, op: "Configs.history" },
  { tool: "get_config_version", args: { snapshot_id: f.snapshot }, op: "Configs.snapshot" },
  {
    tool: "diff_config_versions",
    args: { from_snapshot_id: f.snapshot, to_snapshot_id: f.snapshot },
    op: "Configs.diff",
  },
  { tool: "list_recent_changes", args: {}, op: "Configs.changes" },
  { tool: "get_service_map", args: { device: "h1" }, op: "Configs.serviceMap" },
  { tool: "restore_config_version", args: { device: "h1", snapshot_id: f.snapshot }, op: "Configs.restorePreview" },
  {
    tool: "restore_config_version",
    args: { device: "h1", snapshot_id: f.snapshot, confirm: true },
    op: "Configs.restore",
  },
]

/** MCP resources go through operations too. */
const resourceSamples: ReadonlyArray<{ readonly uri: string; readonly op: string }> = [
  { uri: "infra://devices", op: "Devices.list" },
  { uri: "config://docker-compose", op: "Configs.current" },
  { uri: "config://changes", op: "Configs.changes" },
]

const declared = new Map(allOperations.map((o) => [o.name, o]))

/** Written by timers and the alert engine (from collected data), not by requests: rollups, cache snapshots, alerts. */
const BACKGROUND = new Set(["service_performance_metrics", "cache_metadata", "alerts"])

/** Everything the database holds that an operation could change (last_used_at is touched by any use). */
const databaseState = (run: <A>(e: Effect.Effect<A, any, any>) => Promise<A>) =>
  run(Effect.gen(function* () {
    const store = yield* Store
    const tables = (yield* testQuery<{ table_name: string }>(
      store,
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    )).map((r) => r.table_name)
    const state: Record<string, unknown> = {}
    for (const table of tables.filter((name) => !BACKGROUND.has(name))) {
      const rows = yield* testQuery(store, `SELECT * FROM "${table}"`)
      state[table] = rows.map((r) => {
        const { last_used_at: _touched, ...rest } = r as Record<string, unknown>
        return JSON.stringify(rest)
      }).sort()
    }
    return state
  }))

for (const backend of testBackends()) {
  describe(`scopes on every route and tool (${backend.name})`, () => {
    test("a read token changes nothing; every route, tool and operation is covered", async () => {
      const compose = "services:\n  app:\n    image: nginx:1.27\n"
      const file = dir.put("stack/docker-compose.yml", compose)
      await withSecureApp(
        backend,
        { watch: { globs: { docker_compose: [`${dir.root}/stack/docker-compose.yml`] } } },
        async (t) => {
          const repo = (s: StoreShape) => makeTokenRepo(s)
          const writer = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("ops", "write")))
          const reader = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("view", "read")))
          const add = await t.request("POST", "/api/devices", {
            token: writer.token,
            body: {
              name: "h1",
              host: sshd.host,
              port: sshd.port,
              username: sshd.user,
              private_key_path: sshd.privateKeyPath,
            },
          })
          assert.equal(add.status, 201, JSON.stringify(add.body))
          const scan = await t.request("POST", "/api/devices/h1/configs/scan", { token: writer.token })
          assert.equal(scan.status, 200, JSON.stringify(scan.body))
          const history = await t.request("GET", `/api/devices/h1/configs/history?path=${encodeURIComponent(file)}`, {
            token: writer.token,
          })
          const snapshot = Number(history.body.versions[0].id)
          const list = await t.request("GET", "/api/devices/h1/containers", { token: writer.token })
          const container = list.body.data.containers.find((c: any) => c.restart_count !== null).name as string
          const fixture: Fixture = { container, snapshot, file, token: reader.info.id }

          // Every route is listed, and every operation is reached by some route, tool or resource.
          const rest = restSamples(fixture)
          const routes = new Set(
            t.app.routes.map((r) => `${r.method} ${r.path}`).filter((r) =>
              !["ALL /*", "ALL /mcp", ...publicRoutes, ...dashboardPublicRoutes].includes(r)
            ),
          )
          assert.deepEqual([...new Set(rest.map((s) => s.route))].sort(), [...routes].sort(), "routes without a sample")
          const tools = toolSamples(fixture)
          const reached = new Set([...rest, ...tools, ...resourceSamples].map((s) => s.op))
          assert.deepEqual(
            [...declared.keys()].filter((op) => !reached.has(op)),
            [],
            "operations no route or tool reaches",
          )
          for (const s of [...rest, ...tools, ...resourceSamples]) assert.ok(declared.has(s.op), `undeclared ${s.op}`)

          const mcpApp = await t.runtime.runPromise(
            makeHttpApp.pipe(Effect.provideService(McpSettings, { allowWrites: true })),
          )
          const server = await listen(mcpApp, "127.0.0.1", 0)
          const client = new Client({ name: "scopes", version: "1" })
          try {
            await client.connect(
              new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
                requestInit: { headers: { authorization: `Bearer ${reader.token}` } },
              }),
            )
            const listed = (await client.listTools()).tools.map((x) => x.name).sort()
            assert.deepEqual([...new Set(tools.map((s) => s.tool))].sort(), listed, "tools without a sample")

            // Writes first, all refused: nothing in the database or on the host may change.
            const before = await databaseState(t.run)
            const callsBefore = dockerCalls()
            const hostFile = readFileSync(file, "utf8")
            for (const s of rest.filter((x) => declared.get(x.op)!.scope === "write")) {
              const method = s.route.split(" ")[0]!
              const res = await t.request(method, s.path, { token: reader.token, body: s.body })
              assert.equal(res.status, 403, `${s.route} (${s.op}) with a read token: ${JSON.stringify(res.body)}`)
              assert.equal(res.body.error.code, "forbidden")
            }
            for (const s of tools.filter((x) => declared.get(x.op)!.scope === "write")) {
              const r = await client.callTool({ name: s.tool, arguments: s.args })
              const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("")
              assert.equal(r.isError, true, `${s.tool} with a read token: ${text}`)
              assert.match(text, /^error \[forbidden\]/, s.tool)
            }
            assert.deepEqual(await databaseState(t.run), before, "a refused write changed the database")
            assert.equal(dockerCalls(), callsBefore, "a refused container action reached the host")
            assert.equal(readFileSync(file, "utf8"), hostFile, "a refused restore wrote the file")

            // Reads are allowed with the same token.
            for (const s of rest.filter((x) => declared.get(x.op)!.scope === "read")) {
              const method = s.route.split(" ")[0]!
              if (s.route === "GET /api/events") {
                const res = await fetch(`${server.url}${s.path}`, {
                  headers: { authorization: `Bearer ${reader.token}` },
                })
                assert.equal(res.status, 200)
                await res.body?.cancel()
                continue
              }
              const res = await t.request(method, s.path, { token: reader.token, body: s.body })
              assert.ok(res.status !== 401 && res.status !== 403, `${s.route} (${s.op}): ${res.status}`)
            }
            for (const s of tools.filter((x) => declared.get(x.op)!.scope === "read")) {
              const r = await client.callTool({ name: s.tool, arguments: s.args })
              const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("")
              assert.doesNotMatch(text, /^error \[(forbidden|writes_disabled)\]/, s.tool)
            }
            for (const s of resourceSamples) {
              const r = await client.readResource({ uri: s.uri })
              assert.equal(r.contents.length, 1, s.uri)
            }
          } finally {
            await client.close()
            await server.close()
          }

          // Bound to a non-loopback address: no token is 401 everywhere, and stays so after the last
          // token is revoked (no fall back to open mode).
          const exposed = await t.runtime.runPromise(
            makeHttpApp.pipe(Effect.provideService(HttpSettings, { exposed: true, maxBodyBytes: 1024 * 1024 })),
          )
          const anonymous = async (code: string) => {
            for (const s of [...rest, { route: "POST /mcp", path: "/mcp", body: {}, op: "-" }]) {
              const res = await exposed.request(s.path, {
                method: s.route.split(" ")[0]!,
                headers: { "content-type": "application/json" },
                ...(s.body === undefined ? {} : { body: JSON.stringify(s.body) }),
              })
              if (dashboardPages.has(s.route)) {
                assert.equal(res.status, 302, `${s.route} without a token`)
                assert.match(res.headers.get("location") ?? "", /^\/login\?next=/, s.route)
                continue
              }
              assert.equal(res.status, 401, `${s.route} without a token`)
              assert.equal(((await res.json()) as any).error.code, code, s.route)
            }
          }
          await anonymous("unauthorized")
          for (const id of [writer.info.id, reader.info.id]) {
            await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).revoke(id)))
          }
          await anonymous("no_token_configured")
          // The public routes run no operation: what they answer is the same for everyone.
          for (const route of [...publicRoutes, "GET /login"]) {
            const res = await exposed.request(route.slice("GET ".length))
            assert.equal(res.status, 200, `${route} stays public`)
          }
        },
      )
    })
  })
}

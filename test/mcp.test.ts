/**
 * The MCP server driven by the SDK's own Client over both transports against a real sshd whose
 * docker, smartctl, zpool, ip, systemctl, journalctl and virsh print recorded outputs:
 * Streamable HTTP on the Hono app (real port), and stdio by spawning `infrastructor mcp`.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { after, before, describe, test } from "node:test"
import { recordVersion } from "../src/configs/history.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen } from "../src/http/server.ts"
import { McpSettings } from "../src/mcp/settings.ts"
import { Store } from "../src/store/Store.ts"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { dockerShims } from "./harness/shims/docker.ts"
import { driveHealthShims } from "./harness/shims/drives.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { networkShims } from "./harness/shims/network.ts"
import { systemdShims } from "./harness/shims/systemd.ts"
import { vmStatusShims } from "./harness/shims/vms.ts"
import { zfsShims } from "./harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd, TEST_USER } from "./harness/sshd.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({
    address: "127.0.0.7",
    shims: {
      ...dockerShims,
      ...driveHealthShims,
      ...zfsShims,
      ...networkShims,
      ...systemdShims,
      ...systemLogsShims,
      ...vmStatusShims,
    },
  })
})
after(() => stopAllSshd())

interface Called {
  readonly isError: boolean
  readonly text: string
  readonly data: any
}

const call = async (client: Client, name: string, args: Record<string, unknown> = {}): Promise<Called> => {
  const r = await client.callTool({ name, arguments: args })
  const content = r.content as Array<{ type: string; text?: string }>
  const text = content.map((c) => c.text ?? "").join("\n")
  return { isError: r.isError === true, text, data: r.structuredContent }
}

/** A successful call, with the failure text in the assertion message. */
const ok = async (client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> => {
  const r = await call(client, name, args)
  assert.equal(r.isError, false, `${name}: ${r.text.slice(0, 500)}`)
  assert.deepEqual(JSON.parse(r.text), r.data, `${name}: text and structuredContent agree`)
  return r.data
}

const CONFIG_TOOLS = [
  "list_config_files",
  "get_config_history",
  "get_config_version",
  "diff_config_versions",
  "list_recent_changes",
  "get_service_map",
  "restore_config_version",
]

const READ_TOOLS = [
  "list_devices",
  "get_device",
  "add_device",
  "update_device",
  "import_ssh_config",
  "get_system_metrics",
  "list_containers",
  "get_container",
  "get_container_logs",
  "get_drive_health",
  "get_zfs_status",
  "list_zfs_snapshots",
  "get_network_interfaces",
  "list_systemd_services",
  "list_vms",
  "query_system_logs",
  "get_metrics_history",
  "get_audit_log",
  "get_cache_stats",
  "invalidate_cache",
  "get_performance",
]
const WRITE_TOOLS = ["remove_device", "start_container", "stop_container", "restart_container"]

/** A pipeline read: envelope with freshness and cache status. */
const assertCollected = (r: any, dataType: string) => {
  assert.equal(r.data_type, dataType)
  assert.ok(!Number.isNaN(Date.parse(r.collected_at)), `${dataType}: collected_at`)
  assert.equal(typeof r.age_seconds, "number")
  assert.ok(["hit", "miss", "refresh"].includes(r.cache), `${dataType}: cache ${r.cache}`)
}

/** Everything an agent can read, called once against `device` (which points at the sshd). */
const exerciseReads = async (client: Client, device: string) => {
  const { tools } = await client.listTools()
  const names = tools.map((t) => t.name)
  for (const name of [...READ_TOOLS, ...WRITE_TOOLS, ...CONFIG_TOOLS]) {
    assert.ok(names.includes(name), `tool ${name} listed`)
  }
  for (const t of tools) {
    assert.ok((t.description ?? "").length > 20, `${t.name} has a description`)
    for (const [prop, schema] of Object.entries((t.inputSchema.properties ?? {}) as Record<string, any>)) {
      assert.ok(typeof schema.description === "string" && schema.description !== "", `${t.name}.${prop} described`)
    }
  }

  const devices = await ok(client, "list_devices")
  assert.ok(devices.devices.some((d: any) => d.name === device))
  const dev = await ok(client, "get_device", { device })
  assert.equal(dev.name, device)
  assert.equal(dev.has_password, false)

  const metrics = await ok(client, "get_system_metrics", { device })
  assertCollected(metrics, "system_metrics")
  assert.ok(metrics.data.memory.total_bytes > 0)
  const again = await ok(client, "get_system_metrics", { device })
  assert.equal(again.cache, "hit", "second read comes from the cache")
  assert.equal(again.collected_at, metrics.collected_at)
  const forced = await ok(client, "get_system_metrics", { device, force_refresh: true })
  assert.equal(forced.cache, "refresh")

  const containers = await ok(client, "list_containers", { device })
  assertCollected(containers, "containers")
  assert.ok(containers.data.containers.some((c: any) => c.name === "portainer"))
  const inspect = await ok(client, "get_container", { device, name: "portainer" })
  assertCollected(inspect, "container_inspect")
  assert.equal(inspect.data.name, "portainer")
  const logs = await ok(client, "get_container_logs", { device, name: "portainer", tail: 10 })
  assert.ok(Array.isArray(logs.data) && logs.data.length >= 1)
  const missing = await call(client, "get_container", { device, name: "no-such-thing" })
  assert.equal(missing.isError, true)
  assert.match(missing.text, /no such (container|object)/i)
  assert.doesNotMatch(missing.text, /\n\s+at /, "no stack trace")

  const drives = await ok(client, "get_drive_health", { device })
  assert.ok(drives.data.disks.length >= 1)
  const zfs = await ok(client, "get_zfs_status", { device })
  assert.ok(zfs.data.pools.length >= 1)
  assert.equal(typeof zfs.data.snapshots.count, "number")
  const snapshots = await ok(client, "list_zfs_snapshots", { device, limit: 2 })
  assert.ok(snapshots.snapshots.length >= 1 && snapshots.snapshots.length <= 2)
  assert.equal(snapshots.total, zfs.data.snapshots.count)
  assert.ok(snapshots.snapshots.every((s: any) => typeof s.snapshot === "string"))
  const net = await ok(client, "get_network_interfaces", { device })
  assert.ok(net.data.interfaces.length >= 1)
  const services = await ok(client, "list_systemd_services", { device })
  assert.ok(services.units.length >= 1)
  const failed = await ok(client, "list_systemd_services", { device, state: "failed" })
  assert.ok(failed.units.every((u: any) => u.active_state === "failed" || u.sub_state === "failed"))
  const vms = await ok(client, "list_vms", { device })
  assert.ok(vms.data.vms.length >= 1)
  const journal = await ok(client, "query_system_logs", { device, priority: "debug", limit: 50 })
  assertCollected(journal, "system_logs")
  assert.ok(journal.data.entries.length >= 1)
  const badLogs = await call(client, "query_system_logs", { device, priority: "loud" })
  assert.equal(badLogs.isError, true)
  assert.match(badLogs.text, /priority/)

  const history = await ok(client, "get_metrics_history", { device, from: "1h", points: 5 })
  assert.ok(history.samples >= 2, `stored samples: ${history.samples}`)
  assert.ok(history.points.length >= 1 && history.points.length <= 5)
  const cpu = history.metrics.cpu_percent
  assert.ok(cpu.min <= cpu.avg && cpu.avg <= cpu.max)

  const audit = await ok(client, "get_audit_log", { device, method: "mcp", limit: 500 })
  assert.ok(audit.entries.length >= 10)
  assert.ok(audit.entries.every((e: any) => e.method === "mcp" && e.device_name === device))
  assert.ok(audit.entries.some((e: any) => e.source === "mcp get_system_metrics" && e.cache_hit === true))
  const stats = await ok(client, "get_cache_stats")
  assert.ok(stats.entries >= 1 && stats.hits >= 1)
  const dropped = await ok(client, "invalidate_cache", { device, data_type: "system_metrics" })
  assert.equal(dropped.invalidated, 1)
  assert.equal((await ok(client, "get_system_metrics", { device })).cache, "miss", "invalidated entry is gone")
  const perf = await ok(client, "get_performance", { since: "1h" })
  assert.ok(perf.data_types.some((d: any) => d.data_type === "system_metrics" && d.calls >= 4))
  assert.ok(perf.ssh.commandsRun >= 1)

  const unknown = await call(client, "get_device", { device: "nope" })
  assert.equal(unknown.isError, true)
  assert.match(unknown.text, /device 'nope' not found/)

  // Resources and prompts.
  const { resources } = await client.listResources()
  const uris = resources.map((r) => r.uri)
  for (const uri of ["infra://devices", "config://proxy-configs", "config://docker-compose", "config://changes"]) {
    assert.ok(uris.includes(uri), `${uri} listed`)
  }
  assert.ok(uris.includes(`infra://devices/${device}`))
  const { resourceTemplates } = await client.listResourceTemplates()
  assert.ok(resourceTemplates.some((t) => t.uriTemplate === "infra://devices/{device}"))
  assert.ok(resourceTemplates.some((t) => t.uriTemplate === "config://{device}/{+path}"))
  for (const uri of uris) {
    const read = await client.readResource({ uri })
    const first = read.contents[0] as { text: string }
    assert.ok(JSON.parse(first.text), `${uri} is JSON`)
  }
  const one = await client.readResource({ uri: `infra://devices/${device}` })
  assert.equal(JSON.parse((one.contents[0] as { text: string }).text).name, device)
  await assert.rejects(client.readResource({ uri: "infra://devices/nope" }), /not found/)

  const { prompts } = await client.listPrompts()
  assert.deepEqual(
    prompts.map((p) => p.name).sort(),
    ["infrastructure_health_check", "review_recent_changes", "troubleshoot_device"],
  )
  const health = await client.getPrompt({ name: "infrastructure_health_check" })
  assert.match(JSON.stringify(health.messages), /list_devices/)
  const trouble = await client.getPrompt({ name: "troubleshoot_device", arguments: { device } })
  assert.match(JSON.stringify(trouble.messages), new RegExp(`get_device device=${device}`))
  const review = await client.getPrompt({ name: "review_recent_changes", arguments: { since: "7d" } })
  assert.match(JSON.stringify(review.messages), /7d/)
}

/** Host-changing tools are refused, with instructions, unless the server allows writes. */
const exerciseWrites = async (client: Client, device: string, allowed: boolean) => {
  const restart = await call(client, "restart_container", { device, name: "portainer" })
  if (!allowed) {
    assert.equal(restart.isError, true)
    assert.match(restart.text, /writes_disabled/)
    assert.match(restart.text, /--allow-writes/)
    const remove = await call(client, "remove_device", { device })
    assert.equal(remove.isError, true)
    assert.match(remove.text, /--allow-writes/)
    return
  }
  assert.equal(restart.isError, false, restart.text)
  assert.equal(restart.data.action, "container_restart")
  assert.equal(restart.data.device, device)
  assert.equal(restart.data.refreshed.data_type, "containers")
  assert.equal(restart.data.refreshed.cache, "refresh")
  const audit = await ok(client, "get_audit_log", { device, data_type: "container_restart" })
  assert.equal(audit.entries[0].method, "mcp")
  assert.equal(audit.entries[0].status, "success")
  const notThere = await call(client, "stop_container", { device, name: "no-such-thing" })
  assert.equal(notThere.isError, true)
}

const NGINX_V1 =
  "server {\n  listen 443 ssl;\n  server_name app.example.com;\n  location / {\n    proxy_pass http://app:8080;\n  }\n}\n"
const NGINX_V2 = NGINX_V1.replace("app:8080", "app:9090").replace("listen 443 ssl;", "listen 443 ssl;\n  listen 80;")

/**
 * Config history through MCP: two versions of a proxy conf recorded by the history module (as the
 * watcher would), read back, diffed, listed, served as resources, and restored — a dry run always,
 * a real write only when the server allows writes. The file lives on the sshd host (this machine).
 */
const exerciseConfigs = async (
  client: Client,
  device: string,
  runtime: { runPromise: <A>(e: Effect.Effect<A, any, any>) => Promise<A> },
  allowWrites: boolean,
) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-mcp-conf-"))
  try {
    chmodSync(dir, 0o755)
    const file = path.join(dir, "app.subdomain.conf")
    const record = (content: string) => {
      writeFileSync(file, content)
      return runtime.runPromise(Effect.gen(function* () {
        const dev = yield* Store.use((s) => s.getDevice(device))
        return yield* recordVersion(dev, {
          path: file,
          configType: "proxy_configs",
          state: "present",
          bytes: new TextEncoder().encode(content),
        }, { source: "api", storeRawSecrets: false })
      }))
    }
    const v1 = await record(NGINX_V1)
    assert.ok(v1.recorded)
    const uri = `config://${device}${file}`
    const changed = new Promise<void>((resolve) => {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        if (n.params.uri === "config://changes") resolve()
      })
    })
    await client.subscribeResource({ uri: "config://changes" })
    const v2 = await record(NGINX_V2)
    assert.ok(v2.recorded)
    await Promise.race([
      changed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("no resources/updated for config://changes")), 10_000)
      ),
    ])
    // The restore script runs as the SSH user: it must own the directory to back up and rename.
    execFileSync("chown", ["-R", `${TEST_USER}:`, dir])

    const files = await ok(client, "list_config_files", { device })
    const tracked = files.files.find((f: any) => f.path === file)
    assert.equal(Number(tracked.versions), 2)
    const history = await ok(client, "get_config_history", { device, path: file })
    assert.deepEqual(history.versions.map((v: any) => Number(v.id)), [v2.snapshotId, v1.snapshotId])
    const old = await ok(client, "get_config_version", { snapshot_id: v1.snapshotId })
    assert.equal(old.content, NGINX_V1)
    const current = await ok(client, "get_config_version", { device, path: file })
    assert.equal(current.content, NGINX_V2)
    const diff = await ok(client, "diff_config_versions", { device, path: file })
    assert.match(diff.diff, /-\s+proxy_pass http:\/\/app:8080;/)
    assert.match(diff.diff, /\+\s+proxy_pass http:\/\/app:9090;/)
    const byIds = await ok(client, "diff_config_versions", {
      from_snapshot_id: v1.snapshotId,
      to_snapshot_id: v2.snapshotId,
    })
    assert.equal(byIds.diff, diff.diff)
    const changes = await ok(client, "list_recent_changes", { device, since: "1h" })
    assert.ok(changes.changes.filter((c: any) => c.path === file).length === 2)
    assert.ok(changes.changes.every((c: any) => ["LOW", "MEDIUM", "HIGH", "CRITICAL"].includes(c.risk_level)))
    const none = await ok(client, "list_recent_changes", { device, path: "/nowhere" })
    assert.equal(none.count, 0)
    await ok(client, "get_service_map", { device })
    const noFile = await call(client, "get_config_version", { device, path: "/nowhere" })
    assert.equal(noFile.isError, true)
    assert.match(noFile.text, /not tracked/)

    const proxies = JSON.parse(((await client.readResource({ uri: "config://proxy-configs" })).contents[0] as any).text)
    assert.ok(proxies.files.some((f: any) => f.path === file && f.uri === uri))
    const recent = JSON.parse(((await client.readResource({ uri: "config://changes" })).contents[0] as any).text)
    assert.ok(recent.count >= 2)
    const { resources } = await client.listResources()
    assert.ok(resources.some((r) => r.uri === uri), "tracked file listed as a resource")
    const text = (await client.readResource({ uri })).contents[0] as { text: string; mimeType: string }
    assert.equal(text.text, NGINX_V2)
    assert.equal(text.mimeType, "text/plain")

    const dry = await ok(client, "restore_config_version", { device, snapshot_id: v1.snapshotId })
    assert.equal(dry.dry_run, true)
    assert.equal(dry.restored, false)
    assert.equal(dry.identical, false)
    assert.match(dry.diff, /app:8080/)
    assert.equal(readFileSync(file, "utf8"), NGINX_V2, "a dry run writes nothing")
    const dryAudit = await ok(client, "get_audit_log", { device, data_type: "config_files", method: "mcp" })
    assert.ok(
      dryAudit.entries.some((e: any) => /restore_config_version \(dry run\)/.test(e.source)),
      "the restore's read is audited as an MCP call",
    )

    const real = await call(client, "restore_config_version", { device, snapshot_id: v1.snapshotId, confirm: true })
    if (!allowWrites) {
      assert.equal(real.isError, true)
      assert.match(real.text, /--allow-writes/)
      assert.equal(readFileSync(file, "utf8"), NGINX_V2)
      return
    }
    assert.equal(real.isError, false, real.text)
    assert.equal(real.data.restored, true)
    assert.equal(readFileSync(file, "utf8"), NGINX_V1, "the old version is back on the host")
    assert.ok(typeof real.data.backup === "string" && readFileSync(real.data.backup, "utf8") === NGINX_V2)
    const after = await ok(client, "get_config_history", { device, path: file })
    assert.equal(after.count, 3, "the restore is itself a new version")
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const SSH_CONFIG = [
  "Host *.internal",
  "  User ops",
  "Host web-1",
  "  HostName 10.0.0.5",
  "  User deploy",
  "  Port 2222",
  "  IdentityFile ~/.ssh/web",
  "Host nas",
  "  HostName 10.0.0.9",
  "",
].join("\n")

const sshdDeviceArgs = () => ({
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

const backend = testBackends()[0]!

describe("MCP over Streamable HTTP on the Hono app", () => {
  for (const allowWrites of [false, true]) {
    test(`tools, resources, prompts, subscriptions; writes ${allowWrites ? "allowed" : "refused"}`, async () => {
      await withTestApp(backend, {
        ssh: { connectTimeoutMs: 5000, commandTimeoutMs: 20_000 },
        // Restores write only to watched paths: watch where exerciseConfigs keeps its file.
        watch: { globs: { proxy_configs: [`${os.tmpdir()}/infra-mcp-conf-*/*.conf`] } },
      }, async (t) => {
        const app = await t.runtime.runPromise(makeHttpApp.pipe(Effect.provideService(McpSettings, { allowWrites })))
        const server = await listen(app, "127.0.0.1", 0)
        const client = new Client({ name: "infrastructor-test", version: "1.0.0" })
        try {
          await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)))
          const device = "nas"
          const added = await ok(client, "add_device", { name: device, ...sshdDeviceArgs(), probe: false })
          assert.equal(added.status, "unknown")

          // Subscribe before the first read: the read brings the device online → resources/updated.
          const updated: Array<string> = []
          const notified = new Promise<void>((resolve) => {
            client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
              updated.push(n.params.uri)
              if (n.params.uri === `infra://devices/${device}`) resolve()
            })
          })
          await client.subscribeResource({ uri: `infra://devices/${device}` })
          await ok(client, "get_device", { device })
          await exerciseReads(client, device)
          await Promise.race([
            notified,
            new Promise((_, reject) => setTimeout(() => reject(new Error(`no resources/updated: ${updated}`)), 10_000)),
          ])
          assert.ok(!updated.includes("infra://devices"), "only subscribed URIs are notified")

          const imported = await ok(client, "import_ssh_config", { config_text: SSH_CONFIG })
          assert.deepEqual(imported.added.map((d: any) => d.name), ["web-1"])
          assert.deepEqual(imported.skipped.map((x: any) => x.host).sort(), ["*.internal", "nas"])
          const web = await ok(client, "get_device", { device: "web-1" })
          assert.deepEqual(
            [web.host, web.port, web.username, web.private_key_path],
            ["10.0.0.5", 2222, "deploy", path.join(os.homedir(), ".ssh/web")],
          )
          const removed = await call(client, "remove_device", { device: "web-1" })
          assert.equal(removed.isError, !allowWrites, removed.text)

          const renamed = await ok(client, "update_device", { device, tags: ["nas", "storage"] })
          assert.deepEqual(renamed.tags, ["nas", "storage"])
          await exerciseWrites(client, device, allowWrites)
          await exerciseConfigs(client, device, t.runtime, allowWrites)
        } finally {
          await client.close()
          await server.close()
        }
      })
    })
  }

  test("a request without a session, and an unknown session, are refused", async () => {
    await withTestApp(backend, {}, async (t) => {
      const res = await t.app.request("/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      })
      assert.equal(res.status, 400)
      const unknown = await t.app.request("/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": "not-a-session",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      })
      assert.equal(unknown.status, 404)
    })
  })
})

/** `infrastructor mcp` as Claude Desktop would start it: Node runs the compiled tree, Deno the sources. */
const here = path.dirname(fileURLToPath(import.meta.url))
const isDeno = "Deno" in globalThis
const entry = path.resolve(here, "../src/cli/bin" + (isDeno ? ".ts" : ".js"))
const cliArgs = (args: ReadonlyArray<string>) => (isDeno ? ["run", "-A", entry, ...args] : [entry, ...args])

describe("MCP over stdio (infrastructor mcp)", () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "infra-mcp-"))
    writeFileSync(
      path.join(dir, "infrastructor.yaml"),
      [
        "local_device: false",
        "log_level: info",
        "devices:",
        "  - name: nas",
        `    host: ${sshd.host}`,
        `    port: ${sshd.port}`,
        `    username: ${sshd.user}`,
        `    private_key_path: ${sshd.privateKeyPath}`,
        "",
      ].join("\n"),
    )
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const connect = async (extraArgs: ReadonlyArray<string>) => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: cliArgs(["mcp", "--config", path.join(dir, "infrastructor.yaml"), ...extraArgs]),
      env: { ...process.env, INFRA_DATA_DIR: path.join(dir, "data"), DATABASE_URL: "", INFRA_CONFIG: "" } as Record<
        string,
        string
      >,
      stderr: "pipe",
    })
    let stderr = ""
    transport.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString()
    })
    const client = new Client({ name: "infrastructor-test", version: "1.0.0" })
    // A stray non-protocol line on the server's stdout surfaces here as a parse error.
    const errors: Array<string> = []
    client.onerror = (e) => errors.push(e.message)
    try {
      await client.connect(transport)
    } catch (e) {
      throw new Error(`mcp did not start: ${(e as Error).message}\n${stderr}`)
    }
    return { client, errors, stderr: () => stderr }
  }

  test("reads and refused writes without --allow-writes; logs only on stderr", async () => {
    const { client, errors, stderr } = await connect([])
    try {
      await exerciseReads(client, "nas")
      await exerciseWrites(client, "nas", false)
    } finally {
      await client.close()
    }
    assert.deepEqual(errors, [], `stdout carried only JSON-RPC (stderr: ${stderr().slice(0, 2000)})`)
  })

  test("--allow-writes enables container actions", async () => {
    const { client, errors } = await connect(["--allow-writes"])
    try {
      await exerciseWrites(client, "nas", true)
    } finally {
      await client.close()
    }
    assert.deepEqual(errors, [])
  })
})

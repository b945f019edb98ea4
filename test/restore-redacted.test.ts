/**
 * Restore is honest about what it can put back, through the REST API and MCP against a real sshd:
 * a version stored with its secrets redacted is refused with `restore_redacted` (422), dry run
 * included, and nothing is written; a version stored raw (`store_raw_secrets`) is restored as it
 * was; a write that ran no syntax check says so in `warnings` (no check for the type, the tool
 * missing on the host, or validate=false). The host's `nginx` is a shim that accepts everything;
 * `docker` exits 1, so `docker compose` (the compose check) is not there.
 */
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { after, before, describe, test } from "node:test"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect } from "effect"
import { makeHttpApp } from "../src/http/app.ts"
import { listen } from "../src/http/server.ts"
import { McpSettings } from "../src/mcp/settings.ts"
import type { TestApp } from "./harness/app.ts"
import { type HostDir, hostDir, withWatchApp } from "./harness/config-watch.ts"
import { testBackends } from "./harness/db.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
let dir: HostDir
before(async () => {
  dir = hostDir("restoreredacted")
  sshd = await startSshd({
    address: "127.0.0.73",
    shims: { docker: "exit 1", nginx: "echo 'nginx: configuration file test is successful' >&2" },
  })
})
after(() => {
  stopAllSshd()
  dir.remove()
})

const ENV_V1 = "DB_PASSWORD=hunter2\nAPP_PORT=8080\n"
const ENV_V2 = "DB_PASSWORD=hunter3\nAPP_PORT=9090\n"
const COMPOSE_V1 = "services:\n  app:\n    image: nginx:1.25\n"
const COMPOSE_V2 = "services:\n  app:\n    image: nginx:1.27\n"
const PROXY_V1 = "server {\n  listen 443 ssl;\n  location / {\n    proxy_pass http://app:8080;\n  }\n}\n"
const PROXY_V2 = PROXY_V1.replace("app:8080", "app:9090")

/** The device's watched files under this backend's own folder. */
const watchFor = (sub: string, storeRawSecrets: boolean) => ({
  globs: {
    env_files: [`${dir.root}/${sub}/env/*.env`],
    proxy_configs: [`${dir.root}/${sub}/proxy/*.conf`],
    docker_compose: [`${dir.root}/${sub}/stack/compose.yaml`],
    systemd_services: [],
  },
  storeRawSecrets,
})

const addDevice = async (t: TestApp) => {
  const add = await t.request("POST", "/api/devices", {
    name: "box",
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    private_key_path: sshd.privateKeyPath,
  })
  assert.equal(add.status, 201, JSON.stringify(add.body))
}

/** Write a file on the host and record it: the new version's id. */
const version = async (t: TestApp, rel: string, content: string): Promise<number> => {
  const file = dir.put(rel, content)
  const scan = await t.request("POST", "/api/devices/box/configs/scan")
  assert.equal(scan.status, 200, JSON.stringify(scan.body))
  const mine = scan.body.recorded.find((r: any) => r.path === file)
  assert.ok(mine, `${rel} recorded: ${JSON.stringify(scan.body)}`)
  return mine.snapshotId
}

const restore = (t: TestApp, body: Record<string, unknown>) =>
  t.request("POST", "/api/devices/box/configs/restore", body)

/** An MCP client on the app's /mcp, on a real port, with host writes allowed. */
const withMcp = async (t: TestApp, body: (client: Client) => Promise<void>) => {
  const app = await t.runtime.runPromise(makeHttpApp.pipe(Effect.provideService(McpSettings, { allowWrites: true })))
  const server = await listen(app, "127.0.0.1", 0)
  const client = new Client({ name: "restore-redacted-test", version: "1.0.0" })
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)))
    await body(client)
  } finally {
    await client.close()
    await server.close()
  }
}

const tool = async (client: Client, args: Record<string, unknown>) => {
  const r = await client.callTool({ name: "restore_config_version", arguments: { device: "box", ...args } })
  const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n")
  return { isError: r.isError === true, text, data: r.structuredContent as any }
}

for (const backend of testBackends()) {
  describe(`restore and redacted versions on ${backend.name}`, () => {
    test("a version stored with its secrets redacted is refused, dry run included, and nothing is written", async () => {
      const sub = `${backend.name}-redacted`
      await withWatchApp(backend, watchFor(sub, false), async (t) => {
        await addDevice(t)
        const v1 = await version(t, `${sub}/env/app.env`, ENV_V1)
        const file = dir.put(`${sub}/env/app.env`, ENV_V2)
        await version(t, `${sub}/env/app.env`, ENV_V2)
        const stored = await t.request("GET", `/api/configs/snapshots/${v1}`)
        assert.equal(stored.body.content_redacted, true)
        assert.ok(!stored.body.content.includes("hunter2"))

        for (const dryRun of [true, false]) {
          const refused = await restore(t, { snapshot_id: v1, dry_run: dryRun })
          assert.equal(refused.status, 422, JSON.stringify(refused.body))
          assert.equal(refused.body.error.code, "restore_redacted")
          assert.deepEqual(refused.body.error.details, { path: file, snapshot_id: v1, redacted_lines: [1] })
          assert.match(refused.body.error.message, /redacted|REDACTED/)
          assert.match(refused.body.error.message, /store_raw_secrets/, "says how to make versions restorable")
          assert.equal(readFileSync(file, "utf8"), ENV_V2, "nothing written")
        }
        const audit = await t.request("GET", "/api/audit?device=box&data_type=config_restore")
        assert.equal(audit.body.count, 0, "the host was never asked to write")

        await withMcp(t, async (client) => {
          for (const confirm of [false, true]) {
            const r = await tool(client, { snapshot_id: v1, confirm })
            assert.equal(r.isError, true, r.text)
            assert.match(r.text, /^error \[restore_redacted\]: snapshot \d+ of .*app\.env .*store_raw_secrets/)
          }
        })
        assert.equal(readFileSync(file, "utf8"), ENV_V2)
      })
    })

    test("a version stored raw is restored; a write without a syntax check says why in warnings", async () => {
      const sub = `${backend.name}-raw`
      await withWatchApp(backend, watchFor(sub, true), async (t) => {
        await addDevice(t)
        // env files: no syntax check exists for the type.
        const e1 = await version(t, `${sub}/env/app.env`, ENV_V1)
        const e2 = await version(t, `${sub}/env/app.env`, ENV_V2)
        const dry = await restore(t, { snapshot_id: e1 })
        assert.equal(dry.status, 200, JSON.stringify(dry.body))
        assert.deepEqual(dry.body.warnings.map((w: any) => w.code), ["no_validator"])
        const env = await restore(t, { snapshot_id: e1, dry_run: false })
        assert.equal(env.status, 200, JSON.stringify(env.body))
        assert.equal(env.body.restored, true)
        assert.equal(readFileSync(`${dir.root}/${sub}/env/app.env`, "utf8"), ENV_V1, "secrets and all")
        assert.equal(env.body.validator, null)
        assert.equal(env.body.validated, false)
        assert.deepEqual(env.body.warnings.map((w: any) => w.code), ["no_validator"])
        assert.match(env.body.warnings[0].message, /env_files/)

        // compose: the check needs `docker compose`, which this host lacks.
        const c1 = await version(t, `${sub}/stack/compose.yaml`, COMPOSE_V1)
        await version(t, `${sub}/stack/compose.yaml`, COMPOSE_V2)
        const compose = await restore(t, { snapshot_id: c1, dry_run: false })
        assert.equal(compose.status, 200, JSON.stringify(compose.body))
        assert.equal(compose.body.validated, false)
        assert.deepEqual(compose.body.warnings.map((w: any) => w.code), ["validator_unavailable"])
        assert.match(compose.body.warnings[0].message, /docker compose/)

        // nginx: checked, no warning; the same restore with validate=false says it was skipped.
        const p1 = await version(t, `${sub}/proxy/app.conf`, PROXY_V1)
        const p2 = await version(t, `${sub}/proxy/app.conf`, PROXY_V2)
        const checked = await restore(t, { snapshot_id: p1, dry_run: false })
        assert.equal(checked.status, 200, JSON.stringify(checked.body))
        assert.equal(checked.body.validator, "nginx -t")
        assert.equal(checked.body.validated, true)
        assert.deepEqual(checked.body.warnings, [])
        const unchecked = await restore(t, { snapshot_id: p2, dry_run: false, validate: false })
        assert.equal(unchecked.status, 200, JSON.stringify(unchecked.body))
        assert.deepEqual(unchecked.body.warnings.map((w: any) => w.code), ["validation_off"])

        await withMcp(t, async (client) => {
          const preview = await tool(client, { snapshot_id: e2 })
          assert.equal(preview.isError, false, preview.text)
          assert.deepEqual(preview.data.warnings.map((w: any) => w.code), ["no_validator"])
          const written = await tool(client, { snapshot_id: e2, confirm: true })
          assert.equal(written.isError, false, written.text)
          assert.equal(written.data.restored, true)
          assert.equal(written.data.validated, false)
          assert.deepEqual(written.data.warnings.map((w: any) => w.code), ["no_validator"])
        })
        assert.equal(readFileSync(`${dir.root}/${sub}/env/app.env`, "utf8"), ENV_V2)
      })
    })
  })
}

/**
 * The trust issue's defects, each through the front end where it was found: the generic data route
 * reading any file, MCP device tools ignoring scope, a repointed device trusting a new host key on
 * first use, open mode after the last token is revoked on an exposed server, unbounded request
 * bodies, event streams outliving their token, actions sent twice, and unknown parameters.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect } from "effect"
import assert from "node:assert/strict"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen } from "../src/http/server.ts"
import { McpSettings } from "../src/mcp/settings.ts"
import { Store, type StoreShape } from "../src/store/Store.ts"
import { runCli, spawnCli } from "./harness/cli.ts"
import { type HostDir, hostDir } from "./harness/config-watch.ts"
import { testBackends } from "./harness/db.ts"
import { type SecureApp, withSecureApp } from "./harness/security.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let docker: SshdHandle
let other: SshdHandle
let dir: HostDir
before(async () => {
  dir = hostDir("defects")
  const log = dir.put("restarts.log", "")
  // A host whose container restart takes effect and then loses the channel it came on (the shell
  // and its process group die), as when a connection drops right after the command was written.
  docker = await startSshd({
    address: "127.0.0.10",
    shims: {
      "docker-recorded": dockerShim(),
      docker: [
        'if [ "$1" = restart ]; then',
        `  printf '%s\\n' "$*" >> '${log}'`,
        "  kill -KILL -\"$(cut -d' ' -f5 /proc/$$/stat)\"",
        "fi",
        'exec docker-recorded "$@"',
      ].join("\n"),
    },
  })
  other = await startSshd({ address: "127.0.0.11" })
})
after(() => {
  stopAllSshd()
  dir.remove()
})

const repo = (t: SecureApp) => (f: (r: ReturnType<typeof makeTokenRepo>) => Effect.Effect<any, any>) =>
  t.run(Effect.flatMap(Effect.service(Store), (s: StoreShape) => f(makeTokenRepo(s))))

const deviceBody = (name: string, sshd: SshdHandle) => ({
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

const backend = testBackends()[0]!

describe("trust defects", () => {
  test("internal data types are not reachable: no file reads or globs through the generic route", async () => {
    await withSecureApp(backend, {}, async (t) => {
      assert.equal(
        (await t.request("POST", "/api/devices?probe=false", { body: { name: "l", transport: "local" } })).status,
        201,
      )
      const files = await t.request(
        "GET",
        `/api/devices/l/config_files?paths=${encodeURIComponent("/proc/self/environ")}`,
      )
      assert.equal(files.status, 404, JSON.stringify(files.body).slice(0, 300))
      assert.equal(files.body.error.code, "unknown_data_type")
      const scan = await t.request("GET", `/api/devices/l/config_scan?globs=${encodeURIComponent("/etc/*")}`)
      assert.equal(scan.status, 404)
      const types = await t.request("GET", "/api/data-types")
      const names = types.body.data_types.map((d: any) => d.name)
      assert.ok(!names.includes("config_files") && !names.includes("config_scan"), names.join(","))
    })
  })

  test("an unknown parameter is a 400 naming the allowed ones, before the cache or the host", async () => {
    await withSecureApp(backend, {}, async (t) => {
      await t.request("POST", "/api/devices?probe=false", { body: { name: "l", transport: "local" } })
      const res = await t.request("GET", "/api/devices/l/network_interfaces?nonce=1")
      assert.equal(res.status, 400)
      assert.match(res.body.error.message, /unknown parameter 'nonce'.*allowed: interval/)
      const none = await t.request("GET", "/api/devices/l/system_metrics?nonce=2")
      assert.equal(none.status, 400)
      assert.match(none.body.error.message, /takes no parameters/)
      const audit = await t.request("GET", "/api/audit?device=l&data_type=system_metrics")
      assert.ok(audit.body.entries.every((e: any) => e.ssh_command_count === 0), "nothing ran on the host")
    })
  })

  test("MCP device and cache tools need a write token, whatever allow_writes says", async () => {
    await withSecureApp(backend, {}, async (t) => {
      const reader = await repo(t)((r) => r.create("view", "read"))
      const app = await t.runtime.runPromise(
        makeHttpApp.pipe(Effect.provideService(McpSettings, { allowWrites: true })),
      )
      const server = await listen(app, "127.0.0.1", 0)
      const client = new Client({ name: "defects", version: "1" })
      try {
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
            requestInit: { headers: { authorization: `Bearer ${reader.token}` } },
          }),
        )
        for (
          const [name, args] of [
            ["add_device", { name: "sneaky", host: "127.0.0.1", probe: false }],
            ["update_device", { device: "sneaky", host: "127.1" }],
            ["import_ssh_config", { config_text: "Host web\n  HostName 10.0.0.5\n" }],
            ["invalidate_cache", {}],
          ] as const
        ) {
          const r = await client.callTool({ name, arguments: args })
          const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("")
          assert.equal(r.isError, true, `${name}: ${text}`)
          assert.match(text, /forbidden/, name)
        }
        const writer = await repo(t)((r) => r.create("ops", "write"))
        const devices = await t.request("GET", "/api/devices", { token: writer.token })
        assert.deepEqual(devices.body.devices, [], "no device was added")
        const audit = await t.request("GET", "/api/audit?data_type=cache_invalidate", { token: writer.token })
        assert.equal(audit.body.count, 0, "no cache was dropped")
      } finally {
        await client.close()
        await server.close()
      }
    })
  })

  test("a repointed device keeps its trusted key: a new address must present it", async () => {
    await withSecureApp(backend, {}, async (t) => {
      assert.equal((await t.request("POST", "/api/devices", { body: deviceBody("d", docker) })).status, 201)
      assert.equal((await t.request("GET", "/api/devices/d/system_metrics")).status, 200)

      // Another spelling of the same address: the same server, the same key, still trusted.
      const spelled = await t.request("PATCH", "/api/devices/d", { body: { host: "127.10" } })
      assert.equal(spelled.status, 200, JSON.stringify(spelled.body))
      const same = await t.request("GET", "/api/devices/d/system_metrics?force_refresh=true")
      assert.equal(same.status, 200, JSON.stringify(same.body))

      // Another server: refused before any credential is offered, until an operator re-trusts.
      const logins = other.acceptedLogins()
      const moved = await t.request("PATCH", "/api/devices/d", {
        body: { host: other.host, port: other.port, private_key_path: other.privateKeyPath },
      })
      assert.equal(moved.status, 200)
      const refused = await t.request("GET", "/api/devices/d/system_metrics?force_refresh=true")
      assert.equal(refused.status, 502)
      assert.equal(refused.body.error.code, "ssh_host_key_mismatch")
      assert.equal(other.acceptedLogins(), logins, "no login on the new server")
      assert.doesNotMatch(readFileSync(other.logPath, "utf8"), /userauth|Failed|Accepted/i)

      const trusted = await t.request("POST", "/api/devices/d/trust-host-key")
      assert.equal(trusted.status, 200)
      assert.equal((await t.request("GET", "/api/devices/d/system_metrics?force_refresh=true")).status, 200)
    })
  })

  test("request bodies are capped (413), with or without a length; MCP keeps its own 4 MiB", async () => {
    await withSecureApp(backend, {}, async (t) => {
      const big = JSON.stringify({ name: "x", host: "h", tags: ["x".repeat(2 * 1024 * 1024)] })
      const res = await t.request("POST", "/api/devices", { body: big })
      assert.equal(res.status, 413)
      assert.equal(res.body.error.code, "payload_too_large")
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32))
          controller.close()
        },
      })
      const streamed = await t.app.request("/api/devices", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunks,
        duplex: "half",
      } as RequestInit)
      assert.equal(streamed.status, 413)
      const mcp = await t.app.request("/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(2 * 1024 * 1024) } }),
      })
      assert.notEqual(mcp.status, 413, "2 MiB is within MCP's cap")
      assert.equal((await t.request("GET", "/api/devices")).status, 200, "the service is fine")
    })
  })

  test("an open event stream ends once its token is revoked", async () => {
    await withSecureApp(backend, {}, async (t) => {
      const reader = await repo(t)((r) => r.create("stream", "read"))
      const server = await listen(t.app, "127.0.0.1", 0)
      try {
        const res = await fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${reader.token}` } })
        assert.equal(res.status, 200)
        const body = res.body!.getReader()
        await body.read() // ": connected"
        await repo(t)((r) => r.revoke(reader.info.id))
        const ended = (async () => {
          for (;;) if ((await body.read()).done) return true
        })()
        const outcome = await Promise.race([ended, new Promise((r) => setTimeout(() => r(false), 10_000))])
        assert.equal(outcome, true, "the stream ended after the revocation")
      } finally {
        await server.close()
      }
    })
  })

  test("a container restart is sent once, even when its channel drops right after", async () => {
    await withSecureApp(backend, {}, async (t) => {
      assert.equal((await t.request("POST", "/api/devices", { body: deviceBody("dock", docker) })).status, 201)
      const list = await t.request("GET", "/api/devices/dock/containers")
      assert.equal(list.status, 200, JSON.stringify(list.body).slice(0, 300))
      const name = list.body.data.containers.find((c: any) => c.restart_count !== null).name as string
      const res = await t.request("POST", `/api/devices/dock/containers/${name}/restart`)
      assert.equal(res.status, 502, JSON.stringify(res.body))
      assert.match(res.body.error.code, /^ssh_(channel_failed|connection_lost)$/)
      const sent = readFileSync(path.join(dir.root, "restarts.log"), "utf8").trim().split("\n")
      assert.deepEqual(sent, [`restart -- ${name}`], "the restart reached the host exactly once")
      const audit = await t.request("GET", "/api/audit?device=dock&data_type=container_restart")
      assert.equal(audit.body.entries[0].ssh_command_count, 1)
    })
  })
})

describe("an exposed server with no token left", () => {
  test("serve on 0.0.0.0: revoking the last token closes the API instead of opening it", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "infra-exposed-"))
    const env = { INFRA_DATA_DIR: data, INFRA_LOCAL_DEVICE: "false", INFRA_HOST: "0.0.0.0", INFRA_PORT: "0" }
    const created = runCli(["token", "create", "--name", "only", "--scope", "write", "--json"], env)
    assert.equal(created.code, 0, created.stderr)
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string }
    const serve = spawnCli(["serve"], env)
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        serve.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString()
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m !== null) resolve(m[1]!.replace("0.0.0.0", "127.0.0.1"))
        })
        serve.once("exit", (code) => reject(new Error(`serve exited ${code}`)))
      })
      const auth = { authorization: `Bearer ${token}` }
      assert.equal((await fetch(`${url}/api/devices`, { headers: auth })).status, 200)
      assert.equal((await fetch(`${url}/api/tokens/${id}`, { method: "DELETE", headers: auth })).status, 200)
      const open = await fetch(`${url}/api/devices`)
      assert.equal(open.status, 401)
      assert.equal(((await open.json()) as any).error.code, "no_token_configured")
      const write = await fetch(`${url}/api/devices`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "x", transport: "local" }),
      })
      assert.equal(write.status, 401)
    } finally {
      serve.kill("SIGTERM")
      await new Promise((r) => serve.once("exit", r))
      rmSync(data, { recursive: true, force: true })
    }
  })
})

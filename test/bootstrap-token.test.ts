/**
 * INFRA_BOOTSTRAP_TOKEN (issue 12): the documented first start of the image on 0.0.0.0. While no
 * token exists, serve stores a hash of it as the write token "bootstrap"; once any token exists
 * (even a revoked one) it is ignored; it is never logged and is removed from the environment.
 */
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { describe, test } from "node:test"
import { Effect } from "effect"
import { storeBootstrapToken, takeBootstrapToken } from "../src/auth/bootstrap.ts"
import { checkServeExposure } from "../src/auth/cli.ts"
import { testQuery } from "../src/store/raw-sql.ts"
import { Store } from "../src/store/Store.ts"
import { spawnCli } from "./harness/cli.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"

const newToken = () => `infra_${randomBytes(6).toString("hex")}_${randomBytes(32).toString("hex")}`

for (const backend of testBackends()) {
  describe(`INFRA_BOOTSTRAP_TOKEN through the API (${backend.name})`, () => {
    test("stored on an empty store as write token 'bootstrap'; ignored once tokens exist, even revoked", async () => {
      await withSecureApp(backend, {}, async (t) => {
        const first = newToken()
        // Open (no token yet) until serve's start check stores the bootstrap token.
        assert.equal((await t.request("GET", "/api/devices")).status, 200)
        await t.run(checkServeExposure("0.0.0.0", first))

        assert.equal((await t.request("GET", "/api/devices")).status, 401)
        assert.equal((await t.request("GET", "/api/devices", { token: newToken() })).status, 401)
        assert.equal((await t.request("GET", "/api/devices", { token: first })).status, 200)
        const listed = await t.request("GET", "/api/tokens", { token: first })
        assert.equal(listed.status, 200)
        assert.equal(listed.body.tokens.length, 1)
        const [bootstrap] = listed.body.tokens
        assert.equal(bootstrap.name, "bootstrap")
        assert.equal(bootstrap.scope, "write")
        assert.equal(bootstrap.id, first.slice("infra_".length, "infra_".length + 12))
        // Write scope: it can make the narrower tokens meant for daily use.
        const reader = await t.request("POST", "/api/tokens", { token: first, body: { name: "ro", scope: "read" } })
        assert.equal(reader.status, 201, JSON.stringify(reader.body))

        const rows = await t.run(Effect.flatMap(Effect.service(Store), (s) => testQuery(s, "SELECT * FROM api_tokens")))
        for (const row of rows) assert.ok(!JSON.stringify(row).includes(first.slice(19)), "only a hash is stored")

        // Another value later (a changed .env) does not add a second way in.
        const second = newToken()
        assert.equal(await t.run(storeBootstrapToken(second)), "tokens-exist")
        assert.equal((await t.request("GET", "/api/devices", { token: second })).status, 401)

        // Revoked, it stays revoked across restarts that still carry it in the environment.
        assert.equal((await t.request("DELETE", `/api/tokens/${bootstrap.id}`, { token: first })).status, 200)
        assert.equal((await t.request("DELETE", `/api/tokens/${reader.body.id}`, { token: first })).status, 401)
        assert.equal(await t.run(storeBootstrapToken(first)), "tokens-exist")
        assert.equal((await t.request("GET", "/api/devices", { token: first })).status, 401)
      })
    })

    test("a malformed value is refused without echoing it; an unset or empty one does nothing", async () => {
      await withSecureApp(backend, {}, async (t) => {
        const secretish = "my-password-1234567890"
        const failed = await t.run(Effect.flip(storeBootstrapToken(secretish)))
        assert.equal(failed._tag, "ValidationError")
        assert.match(failed.message, /INFRA_BOOTSTRAP_TOKEN must have the form infra_/)
        assert.ok(!failed.message.includes(secretish))
        assert.equal(await t.run(storeBootstrapToken(undefined)), "unset")
        assert.equal(takeBootstrapToken({ INFRA_BOOTSTRAP_TOKEN: "  " }), undefined)
        assert.equal((await t.request("GET", "/api/devices")).status, 200, "still no token")
      })
    })
  })
}

test("takeBootstrapToken removes the variable, so child processes do not inherit it", () => {
  const env: NodeJS.ProcessEnv = { INFRA_BOOTSTRAP_TOKEN: " infra_x ", OTHER: "1" }
  assert.equal(takeBootstrapToken(env), "infra_x")
  assert.deepEqual(env, { OTHER: "1" })
})

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const info = server.address()
      server.close(() => resolve(typeof info === "object" && info !== null ? info.port : 0))
    })
  })

describe("serve on 0.0.0.0, first start (a new data directory)", () => {
  test("starts with INFRA_BOOTSTRAP_TOKEN, the API takes that token, and the logs never show it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "infra-bootstrap-"))
    const token = newToken()
    const port = await freePort()
    const child = spawnCli(["serve"], {
      INFRA_DATA_DIR: dir,
      INFRA_HOST: "0.0.0.0",
      INFRA_PORT: String(port),
      INFRA_LOCAL_DEVICE: "false",
      INFRA_SCHEDULE: "false",
      INFRA_LOG_LEVEL: "debug",
      DATABASE_URL: "",
      INFRA_BOOTSTRAP_TOKEN: token,
    })
    let output = ""
    child.stdout.on("data", (d) => (output += String(d)))
    child.stderr.on("data", (d) => (output += String(d)))
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
    let done = false
    void exited.then(() => (done = true))
    try {
      const base = `http://127.0.0.1:${port}`
      const deadline = Date.now() + 120_000
      for (;;) {
        assert.ok(!done, `serve exited:\n${output}`)
        assert.ok(Date.now() < deadline, `serve did not answer /health:\n${output}`)
        const ok = await fetch(`${base}/health`).then((r) => r.ok, () => false)
        if (ok) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      assert.equal((await fetch(`${base}/api/devices`)).status, 401)
      const res = await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(res.status, 200)
      assert.match(output, /INFRA_BOOTSTRAP_TOKEN/, "the start says it stored the bootstrap token")
      assert.ok(!output.includes(token.slice(19)), `the secret is never logged:\n${output}`)
    } finally {
      child.kill("SIGTERM")
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

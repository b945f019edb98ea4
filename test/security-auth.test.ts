import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { describe, test } from "node:test"
import { Effect } from "effect"
import { isLoopbackHost } from "../src/auth/cli.ts"
import { parseSecretKey } from "../src/store/secrets.ts"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { generateToken, parseToken, scopeAllows, verifySecret } from "../src/auth/tokens.ts"
import { Store } from "../src/store/Store.ts"
import { runCli } from "./harness/cli.ts"
import { testBackends } from "./harness/db.ts"
import { keyedStoreLayer, type SecureApp, withSecureApp } from "./harness/security.ts"

const createToken = (t: SecureApp, name: string, scope: "read" | "write") =>
  t.run(Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).create(name, scope)))

describe("token format and checks", () => {
  test("infra_<id>_<secret>; only the exact secret verifies", () => {
    const t = generateToken()
    assert.match(t.token, /^infra_[0-9a-f]{12}_[0-9a-f]{64}$/)
    const parsed = parseToken(t.token)
    assert.ok(parsed)
    assert.equal(parsed.id, t.id)
    assert.ok(verifySecret(parsed.secret, t.salt, t.hash))
    const flipped = parsed.secret.replace(/^./, (c) => (c === "a" ? "b" : "a"))
    assert.equal(verifySecret(flipped, t.salt, t.hash), false)
    assert.ok(!t.hash.includes(parsed.secret), "the hash is not the secret")
    for (
      const bad of [
        "",
        "infra_",
        "infra_abc_def",
        `infra_${t.id}`,
        `x${t.token}`,
        t.token.toUpperCase(),
        `${t.token}\n`,
      ]
    ) {
      assert.equal(parseToken(bad), undefined, JSON.stringify(bad))
    }
  })

  test("scopes: write ⊇ read", () => {
    assert.ok(scopeAllows("write", "read") && scopeAllows("write", "write") && scopeAllows("read", "read"))
    assert.equal(scopeAllows("read", "write"), false)
  })

  test("loopback detection for the serve guard", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) {
      assert.ok(isLoopbackHost(h), h)
    }
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "127.0.0.1.nip.io"]) {
      assert.equal(isLoopbackHost(h), false, h)
    }
  })
})

for (const backend of testBackends()) {
  describe(`API tokens on ${backend.name}`, () => {
    const store = (schema: string) => keyedStoreLayer(backend, schema, parseSecretKey(undefined))

    test("open until a token exists; then 401 without, 403 on scope, audit carries the token id", async () => {
      await withSecureApp(backend, { store }, async (t) => {
        const open = await t.request("POST", "/api/devices?probe=false", { body: { name: "l1", transport: "local" } })
        assert.equal(open.status, 201, "no token configured: open (serve allows that on loopback only)")

        const badScope = await t.run(
          Effect.flip(Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).create("x", "admin"))),
        )
        assert.match(String(badScope.message), /scope must be read or write/)
        const reader = await createToken(t, "dashboard", "read")
        const writer = await createToken(t, "ops", "write")

        const health = await t.request("GET", "/health")
        assert.equal(health.status, 200, "/health never needs a token")

        const missing = await t.request("GET", "/api/devices")
        assert.equal(missing.status, 401)
        assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer /)
        assert.equal(typeof missing.body.error.code, "string")
        assert.equal(typeof missing.body.error.message, "string")

        for (
          const bad of [
            "Bearer nope",
            `Bearer ${reader.token}x`,
            `Basic ${reader.token}`,
            // The last hex digit changed (to a digit it is not).
            `Bearer ${reader.token.slice(0, -1)}${reader.token.endsWith("0") ? "1" : "0"}`,
          ]
        ) {
          const res = await t.request("GET", "/api/devices", { headers: { authorization: bad } })
          assert.equal(res.status, 401, bad)
          assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /)
        }
        const unknownRoute = await t.request("GET", "/api/nothing-here")
        assert.equal(unknownRoute.status, 401, "unknown routes do not reveal themselves without a token")
        const mcp = await t.request("POST", "/mcp", { body: {} })
        assert.equal(mcp.status, 401, "/mcp needs a token too")

        const list = await t.request("GET", "/api/devices", { token: reader.token })
        assert.equal(list.status, 200)
        const forbidden = await t.request("POST", "/api/devices?probe=false", {
          token: reader.token,
          body: { name: "l2", transport: "local" },
        })
        assert.equal(forbidden.status, 403)
        assert.equal(forbidden.body.error.code, "forbidden")
        const mcpRead = await t.request("POST", "/mcp", { token: reader.token, body: {} })
        assert.notEqual(mcpRead.status, 401)
        assert.notEqual(mcpRead.status, 403, "a read token reaches /mcp; the MCP route checks write tools itself")

        const created = await t.request("POST", "/api/devices?probe=false", {
          token: writer.token,
          body: { name: "l2", transport: "local" },
        })
        assert.equal(created.status, 201)

        const read = await t.request("GET", "/api/devices/l2/system_metrics", { token: reader.token })
        assert.equal(read.status, 200, JSON.stringify(read.body))
        const audit = await t.request("GET", "/api/audit?device=l2&data_type=system_metrics", { token: writer.token })
        assert.equal(audit.body.count, 1)
        assert.equal(audit.body.entries[0].token_id, reader.info.id)
        // Device changes are audited too, with the token that made them.
        const added = await t.request("GET", "/api/audit?device=l2&data_type=device_add", { token: writer.token })
        assert.equal(added.body.count, 1)
        assert.equal(added.body.entries[0].token_id, writer.info.id)
        // Filtered by token, and by a window that ends before the read.
        const byReader = await t.request("GET", `/api/audit?device=l2&token=${reader.info.id}`, { token: writer.token })
        assert.deepEqual(byReader.body.entries.map((e: { data_type: string }) => e.data_type), ["system_metrics"])
        const readAt = Date.parse(audit.body.entries[0].time)
        const until = new Date(readAt).toISOString()
        const before = await t.request("GET", `/api/audit?device=l2&data_type=system_metrics&until=${until}`, {
          token: writer.token,
        })
        assert.equal(before.body.count, 0, "until is exclusive")
        const everything = JSON.stringify(
          (await t.request("GET", "/api/audit?limit=1000", { token: writer.token })).body,
        )
        assert.ok(
          !everything.includes(reader.token.slice(19)) && !everything.includes(writer.token.slice(19)),
          "no secret in audit",
        )

        // Revocation takes effect on the next request.
        await t.run(Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).revoke(reader.info.id)))
        assert.equal((await t.request("GET", "/api/devices", { token: reader.token })).status, 401)
        assert.equal((await t.request("GET", "/api/devices", { token: writer.token })).status, 200)

        const stored = await t.run(
          Effect.flatMap(Effect.service(Store), (s) => testQuery(s, "SELECT * FROM api_tokens")),
        )
        assert.equal(stored.length, 2)
        for (const row of stored) {
          assert.ok(!JSON.stringify(row).includes(writer.token.slice(19)), "only the hash is stored")
        }
        const listed = await t.run(Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).list()))
        assert.ok(listed.find((x) => x.id === writer.info.id)?.lastUsedAt !== null, "last_used_at is recorded")
      })
    })
  })
}

describe("CLI: token create/list/revoke and the serve guard", () => {
  test("the secret is printed once, list never shows it, revoke works; serve refuses 0.0.0.0 without a token", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "infra-auth-cli-"))
    try {
      const env = { INFRA_DATA_DIR: dir, INFRA_LOCAL_DEVICE: "false", DATABASE_URL: "", INFRA_LOG_LEVEL: "error" }
      const refused = runCli(["serve"], { ...env, INFRA_HOST: "0.0.0.0", INFRA_PORT: "0" })
      assert.equal(refused.code, 1, refused.stderr)
      assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0.*token create/s)

      const created = runCli(["token", "create", "--name", "ci", "--scope", "write", "--json"], env)
      assert.equal(created.code, 0, created.stderr)
      const { id, token, scope } = JSON.parse(created.stdout)
      assert.equal(scope, "write")
      assert.equal(parseToken(token)?.id, id)

      const revoked = runCli(["token", "revoke", id], env)
      assert.equal(revoked.code, 0, revoked.stderr)
      assert.match(revoked.stdout, new RegExp(`revoked ${id}`))

      const listed = runCli(["token", "list"], env)
      assert.equal(listed.code, 0, listed.stderr)
      assert.match(listed.stdout, new RegExp(`^${id}\\tci\\twrite\\t.*revoked `, "m"))
      assert.ok(!listed.stdout.includes(token.slice(19)), "list never shows the secret")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import { openPassword, parseSecretKey, sealPassword } from "../src/store/secrets.ts"
import { ValidationError } from "../src/domain/errors.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends } from "./harness/db.ts"
import { keyedStoreLayer, withSecureApp } from "./harness/security.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const keyText = randomBytes(32).toString("base64")
const key = parseSecretKey(keyText)
const PASSWORD = "hunter2-Sekr3t!'\"$(x)"

describe("password encryption at rest", () => {
  test("keys: base64 of exactly 32 bytes", () => {
    assert.equal(key._tag, "Key")
    assert.equal(parseSecretKey(undefined)._tag, "Missing")
    assert.equal(parseSecretKey("  ")._tag, "Missing")
    assert.equal(parseSecretKey(randomBytes(16).toString("base64"))._tag, "Invalid")
    assert.equal(parseSecretKey("not base64 !!")._tag, "Invalid")
    assert.equal(parseSecretKey(randomBytes(32).toString("base64url"))._tag, "Key")
  })

  test("AES-256-GCM round trip; a wrong key or a flipped byte is refused; fresh IV each time", () => {
    const sealed = sealPassword(PASSWORD, key)
    assert.equal(typeof sealed, "string")
    const text = sealed as string
    assert.match(text, /^enc:v1:/)
    assert.ok(!text.includes("hunter2"))
    assert.notEqual(sealPassword(PASSWORD, key), text, "a new IV per encryption")
    assert.deepEqual(openPassword(text, key), { plain: PASSWORD })
    assert.ok("problem" in openPassword(text, parseSecretKey(randomBytes(32).toString("base64"))))
    assert.ok("problem" in openPassword(text, parseSecretKey(undefined)))
    const parts = text.split(":")
    const body = Buffer.from(parts[4] ?? "", "base64")
    body[0] = (body[0] ?? 0) ^ 1
    parts[4] = body.toString("base64")
    assert.ok("problem" in openPassword(parts.join(":"), key), "GCM authenticates the ciphertext")
    assert.deepEqual(openPassword("legacy-plain", key), { plain: "legacy-plain" })
  })

  test("without a key a password is refused with what to do", () => {
    const refused = sealPassword(PASSWORD, parseSecretKey(undefined))
    assert.ok(refused instanceof ValidationError)
    assert.match(refused.message, /INFRA_SECRET_KEY/)
    assert.match(refused.message, /private_key_path|ssh-agent/)
    assert.ok(!refused.message.includes("hunter2"))
  })
})

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.8" })
})
after(() => stopAllSshd())

for (const backend of testBackends()) {
  describe(`device secrets through the API on ${backend.name}`, () => {
    test("no INFRA_SECRET_KEY: 400 on create and on patch, and nothing stored", async () => {
      await withSecureApp(
        backend,
        { store: (schema) => keyedStoreLayer(backend, schema, parseSecretKey(undefined)) },
        async (t) => {
          const res = await t.request("POST", "/api/devices?probe=false", {
            body: { name: "pw", host: "127.0.0.1", username: "u", password: PASSWORD },
          })
          assert.equal(res.status, 400)
          assert.equal(res.body.error.code, "bad_request")
          assert.match(res.body.error.message, /INFRA_SECRET_KEY/)
          assert.ok(!JSON.stringify(res.body).includes("hunter2"))
          assert.equal((await t.request("GET", "/api/devices/pw")).status, 404)
          const ok = await t.request("POST", "/api/devices?probe=false", {
            body: { name: "keyed", host: "127.0.0.1", private_key_path: "/nonexistent/id" },
          })
          assert.equal(ok.status, 201)
          const patch = await t.request("PATCH", "/api/devices/keyed", { body: { password: PASSWORD } })
          assert.equal(patch.status, 400)
          assert.match(patch.body.error.message, /INFRA_SECRET_KEY/)
        },
      )
    })

    test("with a key: stored sealed, never returned, never in errors or audit; usable by SSH", async () => {
      await withSecureApp(backend, {
        store: (schema) => keyedStoreLayer(backend, schema, key),
        ssh: { connectTimeoutMs: 3000 },
      }, async (t) => {
        const created = await t.request("POST", "/api/devices?probe=false", {
          body: {
            name: "pw",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            password: PASSWORD,
          },
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        assert.equal(created.body.has_password, true)
        assert.equal("password" in created.body, false)

        const raw = await t.run(
          Effect.flatMap(Effect.service(Store), (s) => testQuery(s, "SELECT password FROM devices WHERE name = 'pw'")),
        )
        const column = String(raw[0]?.["password"])
        assert.match(column, /^enc:v1:/)
        assert.ok(!column.includes("hunter2"))
        const device = await t.run(Effect.flatMap(Effect.service(Store), (s) => s.getDevice("pw")))
        assert.equal(device.password, PASSWORD, "the pipeline sees the plaintext, in memory only")

        // The test sshd refuses passwords: the failure must be typed and must not echo the secret.
        const read = await t.request("GET", "/api/devices/pw/system_metrics")
        assert.equal(read.status, 502, JSON.stringify(read.body))
        assert.equal(read.body.error.code, "ssh_auth_failed")

        const patched = await t.request("PATCH", "/api/devices/pw", { body: { password: `${PASSWORD}2` } })
        assert.equal(patched.status, 200)
        const after = await t.run(Effect.flatMap(Effect.service(Store), (s) => s.getDevice("pw")))
        assert.equal(after.password, `${PASSWORD}2`)

        const everything = [
          created.body,
          read.body,
          patched.body,
          (await t.request("GET", "/api/devices")).body,
          (await t.request("GET", "/api/devices/pw")).body,
          (await t.request("GET", "/api/audit?limit=1000")).body,
        ].map((b) => JSON.stringify(b)).join("\n")
        assert.ok(!everything.includes("hunter2"), "the password appears in no API response")
        assert.ok(!everything.includes("enc:v1:"), "not even sealed")
      })
    })
  })
}

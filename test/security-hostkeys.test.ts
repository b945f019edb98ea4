import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect, Layer, ManagedRuntime } from "effect"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { parseSecretKey } from "../src/store/secrets.ts"
import { Collector } from "../src/pipeline/Collector.ts"
import { resolveConfig } from "../src/settings/load.ts"
import { makeInfraLayer } from "../src/layers.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends } from "./harness/db.ts"
import { keyedStoreLayer, withSecureApp } from "./harness/security.ts"
import { opensshFingerprint } from "./harness/ssh-device.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.9" })
})
after(() => stopAllSshd())

const deviceBody = (name: string) => ({
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

describe("host key policy from the config file", () => {
  test("ssh.host_key_policy: strict reaches the SSH layer: an unknown host is refused", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "infra-strict-"))
    const config = resolveConfig(
      { ssh: { host_key_policy: "strict", connect_timeout_ms: 3000 }, local_device: false, data_dir: dir },
      {},
    )
    assert.equal(config.ssh.hostKeyPolicy, "strict")
    const runtime = ManagedRuntime.make(makeInfraLayer(config).pipe(Layer.orDie))
    try {
      const error = await runtime.runPromise(
        Effect.gen(function* () {
          const store = yield* Store
          yield* store.createDevice({
            name: "strict-host",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            privateKeyPath: sshd.privateKeyPath,
          })
          const collector = yield* Collector
          return yield* Effect.flip(collector.collect("strict-host", "system_metrics", { method: "library" }))
        }),
      )
      assert.equal(error._tag, "SshError")
      assert.equal((error as { reason?: string }).reason, "host_key_unknown")
    } finally {
      await runtime.dispose()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

for (const backend of testBackends()) {
  describe(`changed host keys on ${backend.name}`, () => {
    test("a changed key shows in the device status; only trust-host-key (write, audited) re-trusts", async () => {
      await withSecureApp(backend, {
        store: (schema) => keyedStoreLayer(backend, schema, parseSecretKey(undefined)),
        ssh: { connectTimeoutMs: 3000, commandTimeoutMs: 5000 },
      }, async (t) => {
        const repo = (f: (r: ReturnType<typeof makeTokenRepo>) => Effect.Effect<any, any>) =>
          t.run(Effect.flatMap(Effect.service(Store), (s) => f(makeTokenRepo(s))))
        const writer = await repo((r) => r.create("ops", "write"))
        const reader = await repo((r) => r.create("viewer", "read"))
        const w = { token: writer.token as string }
        const r = { token: reader.token as string }

        assert.equal(
          (await t.request("POST", "/api/devices?probe=false", { ...w, body: deviceBody("rekeyed") })).status,
          201,
        )
        assert.equal(
          (await t.request("GET", "/api/devices/rekeyed/system_metrics", r)).status,
          200,
          "first contact: TOFU",
        )

        sshd.regenerateHostKey()
        await sshd.restart()
        const refused = await t.request("GET", "/api/devices/rekeyed/system_metrics?force_refresh=true", r)
        assert.equal(refused.status, 502, JSON.stringify(refused.body))
        assert.equal(refused.body.error.code, "ssh_host_key_mismatch")
        assert.equal((await t.request("GET", "/api/devices/rekeyed", r)).body.status, "host_key_mismatch")
        const again = await t.request("GET", "/api/devices/rekeyed/system_metrics?force_refresh=true", r)
        assert.equal(again.body.error.code, "ssh_host_key_mismatch", "no silent re-trust on retry")

        const forbidden = await t.request("POST", "/api/devices/rekeyed/trust-host-key", r)
        assert.equal(forbidden.status, 403)

        // Pinning a fingerprint that is not the host's keeps refusing.
        const wrongPin = "SHA256:" + "A".repeat(43)
        const pinned = await t.request("POST", "/api/devices/rekeyed/trust-host-key", {
          ...w,
          body: { fingerprint: wrongPin },
        })
        assert.equal(pinned.status, 200, JSON.stringify(pinned.body))
        assert.equal(pinned.body.pinned, wrongPin)
        assert.equal(pinned.body.forgotten.length, 1)
        const stillRefused = await t.request("GET", "/api/devices/rekeyed/system_metrics?force_refresh=true", r)
        assert.equal(stillRefused.body.error.code, "ssh_host_key_mismatch")

        const badBody = await t.request("POST", "/api/devices/rekeyed/trust-host-key", {
          ...w,
          body: { fingerprint: "x;rm" },
        })
        assert.equal(badBody.status, 400)

        // Pin the real new key (as ssh-keygen prints it): reads work again.
        const real = opensshFingerprint(`${sshd.hostKeyPath}.pub`)
        const trusted = await t.request("POST", "/api/devices/rekeyed/trust-host-key", {
          ...w,
          body: { fingerprint: real },
        })
        assert.equal(trusted.status, 200)
        const ok = await t.request("GET", "/api/devices/rekeyed/system_metrics?force_refresh=true", r)
        assert.equal(ok.status, 200, JSON.stringify(ok.body))
        assert.equal((await t.request("GET", "/api/devices/rekeyed", r)).body.status, "online")

        // Forget without a pin: the next connection trusts what the host presents (TOFU).
        sshd.regenerateHostKey()
        await sshd.restart()
        assert.equal(
          (await t.request("GET", "/api/devices/rekeyed/system_metrics?force_refresh=true", r)).body.error.code,
          "ssh_host_key_mismatch",
        )
        assert.equal((await t.request("POST", "/api/devices/rekeyed/trust-host-key", w)).status, 200)
        assert.equal((await t.request("GET", "/api/devices/rekeyed/system_metrics?force_refresh=true", r)).status, 200)

        const audit = await t.request("GET", "/api/audit?device=rekeyed&data_type=trust_host_key", r)
        assert.equal(audit.body.count, 3)
        for (const e of audit.body.entries) {
          assert.equal(e.token_id, writer.info.id)
          assert.equal(e.status, "success")
        }
      })
    })
  })
}

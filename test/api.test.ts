import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { testBackends } from "./harness/db.ts"
import { withTestApp } from "./harness/app.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.2" })
})
after(() => stopAllSshd())

const deviceBody = (name: string) => ({
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
  tags: ["test"],
})

for (const backend of testBackends()) {
  describe(`API end to end on ${backend.name}`, () => {
    test("system_metrics: miss, hit, refresh, history and audit through one SSH connection", async () => {
      await withTestApp(backend, { ssh: { connectTimeoutMs: 3000, commandTimeoutMs: 5000 } }, async (t) => {
        const logins = sshd.acceptedLogins()
        const created = await t.request("POST", "/api/devices", deviceBody("web-1"))
        assert.equal(created.status, 201, JSON.stringify(created.body))
        assert.equal(created.body.name, "web-1")
        assert.equal(created.body.has_password, false)

        const first = await t.request("GET", "/api/devices/web-1/system_metrics")
        assert.equal(first.status, 200, JSON.stringify(first.body))
        assert.equal(first.body.cache, "miss")
        assert.equal(first.body.device, "web-1")
        assert.equal(first.body.data_type, "system_metrics")
        assert.ok(first.body.data.memory.total_bytes > 0)

        const second = await t.request("GET", `/api/devices/${created.body.id}/system_metrics`)
        assert.equal(second.status, 200)
        assert.equal(second.body.cache, "hit")
        assert.equal(second.body.collected_at, first.body.collected_at)

        const third = await t.request("GET", "/api/devices/web-1/system_metrics?force_refresh=true")
        assert.equal(third.body.cache, "refresh")
        assert.notEqual(third.body.collected_at, first.body.collected_at)

        const history = await t.request("GET", "/api/devices/web-1/system_metrics/history?limit=10")
        assert.equal(history.status, 200)
        assert.equal(history.body.count, 2, "a miss and a refresh store rows; a hit does not")
        assert.ok(Date.parse(history.body.rows[0].time) >= Date.parse(history.body.rows[1].time))

        const future = await t.request(
          "GET",
          `/api/devices/web-1/system_metrics/history?from=${new Date(Date.now() + 3600_000).toISOString()}`,
        )
        assert.equal(future.body.count, 0)

        const audit = await t.request("GET", "/api/audit?device=web-1&data_type=system_metrics")
        assert.equal(audit.status, 200)
        assert.equal(audit.body.count, 3)
        const hits = audit.body.entries.map((e: any) => e.cache_hit).sort()
        assert.deepEqual(hits, [false, false, true])
        for (const e of audit.body.entries) {
          assert.equal(e.method, "api")
          assert.equal(e.status, "success")
          assert.equal(e.freshness_threshold, 300)
        }
        assert.equal(sshd.acceptedLogins() - logins, 1, "one SSH connection for every read")
      })
    })

    test("device input is validated: 400, 404, 409", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices", "{not json")).status, 400)
        const bad = await t.request("POST", "/api/devices", { name: "bad name; rm -rf /", host: "x" })
        assert.equal(bad.status, 400)
        assert.equal(bad.body.error.code, "bad_request")
        assert.equal((await t.request("POST", "/api/devices", { name: "ok", host: "h", port: 70000 })).status, 400)
        assert.equal((await t.request("POST", "/api/devices", { name: "ok", host: "h", colour: "red" })).status, 400)
        assert.equal((await t.request("POST", "/api/devices", { name: "dup", host: "h" })).status, 201)
        const dup = await t.request("POST", "/api/devices", { name: "dup", host: "h2" })
        assert.equal(dup.status, 409)
        assert.equal((await t.request("GET", "/api/devices/nope")).status, 404)
        assert.equal((await t.request("GET", "/api/devices/nope/system_metrics")).status, 404)
        assert.equal((await t.request("GET", "/api/devices/dup/no_such_type")).status, 404)
        assert.equal((await t.request("GET", "/api/devices/dup/system_metrics/history?from=yesterday")).status, 400)
        const patched = await t.request("PATCH", "/api/devices/dup", { tags: ["a", "b"], port: 2222 })
        assert.equal(patched.status, 200)
        assert.deepEqual(patched.body.tags, ["a", "b"])
        assert.equal((await t.request("DELETE", "/api/devices/dup")).status, 200)
        assert.equal((await t.request("GET", "/api/devices/dup")).status, 404)
      })
    })

    test("a host that hangs gives 504 within the timeout, is audited, and recovers", async () => {
      await withTestApp(backend, { ssh: { connectTimeoutMs: 1500, commandTimeoutMs: 1500 } }, async (t) => {
        // No probe on add: the first read opens the connection while the host hangs.
        await t.request("POST", "/api/devices?probe=false", deviceBody("hung"))
        sshd.pause()
        let res
        const started = Date.now()
        try {
          res = await t.request("GET", "/api/devices/hung/system_metrics")
        } finally {
          sshd.resume()
        }
        const elapsed = Date.now() - started
        assert.equal(res.status, 504, JSON.stringify(res.body))
        assert.match(res.body.error.code, /^ssh_(connect|command)_timeout$/)
        assert.ok(elapsed < 15_000, `request returned after ${elapsed} ms`)
        const audit = await t.request("GET", "/api/audit?device=hung&status=error")
        assert.equal(audit.body.count, 1)
        assert.match(audit.body.entries[0].error_message, /timeout/)
        const device = await t.request("GET", "/api/devices/hung")
        assert.equal(device.body.status, "offline")
        const again = await t.request("GET", "/api/devices/hung/system_metrics")
        assert.equal(again.status, 200, JSON.stringify(again.body))
        assert.equal((await t.request("GET", "/api/devices/hung")).body.status, "online")
      })
    })

    test("an unreachable host is a 502 with a typed code, never a 500", async () => {
      await withTestApp(backend, { ssh: { connectTimeoutMs: 1000 } }, async (t) => {
        await t.request("POST", "/api/devices", {
          name: "gone",
          host: "127.0.0.1",
          port: 1,
          username: "x",
          private_key_path: sshd.privateKeyPath,
        })
        const res = await t.request("GET", "/api/devices/gone/system_metrics")
        assert.equal(res.status, 502)
        assert.equal(res.body.error.code, "ssh_connect_refused")
      })
    })
  })
}

import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { dockerShims } from "./harness/shims/docker.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/** A docker host (recorded docker outputs) with a one-entry journal and no hypervisor. */
let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.5", shims: { ...dockerShims, ...systemLogsShims } })
})
after(() => stopAllSshd())

const device = () => ({
  name: "docker-1",
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

for (const backend of testBackends()) {
  describe(`containers, actions, logs and capabilities on ${backend.name}`, () => {
    test("inspect is cached by name, logs are never cached, bad names are 400, unknown ones 404", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices", device())).status, 201)
        const list = await t.request("GET", "/api/devices/docker-1/containers")
        assert.equal(list.status, 200)
        // Containers the recorded inspect outputs know (restart_count comes from inspect).
        const name: string | undefined = list.body.data.containers.find((c: any) => c.restart_count !== null)?.name
        assert.ok(name, "an inspected container")

        const inspect = await t.request("GET", `/api/devices/docker-1/containers/${name}`)
        assert.equal(inspect.status, 200, JSON.stringify(inspect.body))
        assert.equal(inspect.body.data.name, name)
        assert.equal(inspect.body.cache, "miss")
        assert.equal((await t.request("GET", `/api/devices/docker-1/containers/${name}`)).body.cache, "hit")

        const unknown = await t.request("GET", "/api/devices/docker-1/containers/no-such-thing")
        assert.equal(unknown.status, 404, JSON.stringify(unknown.body))
        const hostile = await t.request(
          "GET",
          `/api/devices/docker-1/containers/${encodeURIComponent("x;touch /tmp/p")}`,
        )
        assert.equal(hostile.status, 400)

        const logs1 = await t.request("GET", `/api/devices/docker-1/containers/${name}/logs?tail=5`)
        assert.equal(logs1.status, 200, JSON.stringify(logs1.body))
        assert.ok(Array.isArray(logs1.body.data))
        const logs2 = await t.request("GET", `/api/devices/docker-1/containers/${name}/logs?tail=5`)
        assert.equal(logs2.body.cache, "miss", "logs are read from the host every time")
        assert.equal((await t.request("GET", `/api/devices/docker-1/containers/${name}/logs?tail=0`)).status, 400)
        const audit = await t.request("GET", "/api/audit?device=docker-1&data_type=container_logs")
        assert.equal(audit.body.count, 3)
      })
    })

    test("restart: audited as an action, cache invalidated, fresh snapshot taken", async () => {
      await withTestApp(backend, {}, async (t) => {
        await t.request("POST", "/api/devices", device())
        const list = await t.request("GET", "/api/devices/docker-1/containers")
        const name = list.body.data.containers.find((c: any) => c.restart_count !== null)?.name
        const before = await t.request("GET", "/api/devices/docker-1/containers/history")
        const res = await t.request("POST", `/api/devices/docker-1/containers/${name}/restart`)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        assert.equal(res.body.action, "container_restart")
        assert.deepEqual(res.body.result, { name, action: "restart" })
        assert.equal(res.body.refreshed.cache, "refresh")
        const afterHistory = await t.request("GET", "/api/devices/docker-1/containers/history")
        assert.ok(afterHistory.body.count > before.body.count, "a fresh snapshot was stored")
        const audit = await t.request("GET", "/api/audit?device=docker-1&data_type=container_restart")
        assert.equal(audit.body.count, 1)
        assert.equal(audit.body.entries[0].status, "success")
        assert.equal((await t.request("POST", `/api/devices/docker-1/containers/${name}/explode`)).status, 404)
        const missing = await t.request("POST", "/api/devices/docker-1/containers/ghost/stop")
        assert.equal(missing.status, 404)
      })
    })

    test("a type whose tool the probe did not find answers 422 with the reason", async () => {
      await withTestApp(backend, {}, async (t) => {
        const created = await t.request("POST", "/api/devices", device())
        assert.equal(created.body.capabilities.tools.virsh, false)
        const res = await t.request("GET", "/api/devices/docker-1/vm_status")
        assert.equal(res.status, 422)
        assert.equal(res.body.error.code, "unsupported_data_type")
        assert.match(res.body.error.message, /virsh/)
      })
    })

    test("system logs are read incrementally by cursor and never stored twice", async () => {
      await withTestApp(backend, {}, async (t) => {
        await t.request("POST", "/api/devices", device())
        const first = await t.request("GET", "/api/devices/docker-1/system_logs")
        assert.equal(first.status, 200, JSON.stringify(first.body))
        assert.equal(first.body.data.entries.length, 1)
        const again = await t.request("GET", "/api/devices/docker-1/system_logs?force_refresh=true")
        assert.equal(again.body.data.entries.length, 0, "nothing after the stored cursor")
        const filtered = await t.request("GET", "/api/devices/docker-1/system_logs?priority=7")
        assert.equal(filtered.body.data.entries.length, 1, "a filtered view reads the newest entries")
        const history = await t.request("GET", "/api/devices/docker-1/system_logs/history")
        assert.equal(history.body.count, 1, "the re-read entry is not stored twice")
      })
    })
  })
}

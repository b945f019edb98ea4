/**
 * Issue 12: every device is probed on first contact, whatever added it. The default `localhost`, the
 * YAML `devices:` list (both seeded by `seedDevices`, as `serve` does) and an add without the probe
 * (`?probe=false`: the operation the CLI's `device add` calls with `{ probe: false }`) used to skip it,
 * so `zfs` on a host without zpool answered 502 parse_error and the scheduler kept polling it.
 * Now the pipeline probes such a device before its first read that needs tools: 422, once.
 */
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { after, before, describe, test } from "node:test"
import { Store } from "../src/store/Store.ts"
import { seedDevices } from "../src/runtime.ts"
import { defaultConfig } from "../src/settings/load.ts"
import type { CadenceSetting } from "../src/scheduler/settings.ts"
import { runIn, type TestApp, withTestApp } from "./harness/app.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { sleep, sshdDeviceInput, startInstance, testSettings, waitFor } from "./harness/scheduler.ts"
import { dockerShims } from "./harness/shims/docker.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/** A docker host (recorded docker outputs) without zpool. */
let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.81", shims: dockerShims })
})
after(() => stopAllSshd())

/** The probe looks in sbin too: so does this check. These tests need a machine without ZFS. */
const zpoolHere = (): boolean =>
  spawnSync("/bin/sh", ["-c", 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; command -v zpool'], { stdio: "ignore" })
    .status === 0

const deviceBody = (name: string) => ({
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

const auditOf = async (t: TestApp, device: string, dataType: string): Promise<Array<any>> => {
  const res = await t.request("GET", `/api/audit?device=${device}&data_type=${dataType}&limit=100`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.entries
}

const off: CadenceSetting = { kind: "off" }
const every = (ms: number): CadenceSetting => ({ kind: "interval", ms })

for (const backend of testBackends()) {
  describe(`first-contact probe on ${backend.name}`, () => {
    test("localhost, YAML and CLI-style devices are probed on their first tool read: zfs is 422, not parse_error", async () => {
      assert.ok(!zpoolHere(), "this test needs a machine without zpool (it reads zfs from one)")
      await withTestApp(backend, {}, async (t) => {
        // What `serve` does at start: the default localhost and the config file's devices.
        await runIn(
          t,
          seedDevices({ ...defaultConfig, localDevice: true, devices: [sshdDeviceInput(sshd, "yaml-host")] }),
        )
        // What `infrastructor device add` does: Devices.add without the probe.
        assert.equal((await t.request("POST", "/api/devices?probe=false", deviceBody("cli-host"))).status, 201)

        for (const name of ["localhost", "yaml-host", "cli-host"]) {
          const fresh = await t.request("GET", `/api/devices/${name}`)
          assert.equal(fresh.body.capabilities, null, `${name}: not probed when added`)

          const zfs = await t.request("GET", `/api/devices/${name}/zfs`)
          assert.equal(zfs.status, 422, `${name}: ${JSON.stringify(zfs.body)}`)
          assert.equal(zfs.body.error.code, "unsupported_data_type")
          assert.match(zfs.body.error.message, /zpool/)

          const probed = await t.request("GET", `/api/devices/${name}`)
          assert.equal(probed.body.capabilities?.tools?.zpool, false, `${name}: the probe is recorded on the device`)
          const probes = await auditOf(t, name, "capabilities")
          assert.equal(probes.length, 1, `${name}: probed once`)
          assert.match(probes[0].source, /first contact/)
          assert.equal(probes[0].status, "success")
          // The zfs script itself never ran: the answer came from the probe.
          const reads = await auditOf(t, name, "zfs")
          assert.deepEqual(reads.map((r) => [r.status, r.ssh_command_count]), [["error", 0]])

          // Recorded: a second read asks no probe and still answers 422.
          assert.equal((await t.request("GET", `/api/devices/${name}/zfs`)).status, 422)
          assert.equal((await auditOf(t, name, "capabilities")).length, 1)
        }

        // A supported type on a first-contact device works as before, after the one probe.
        assert.equal((await t.request("POST", "/api/devices?probe=false", deviceBody("docker-host"))).status, 201)
        const containers = await t.request("GET", "/api/devices/docker-host/containers")
        assert.equal(containers.status, 200, JSON.stringify(containers.body))
        assert.ok(containers.body.data.containers.length > 0)
        assert.equal((await t.request("GET", "/api/devices/docker-host")).body.capabilities.tools.docker, true)
      })
    })

    test("concurrent first reads share one probe (single-flight)", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices?probe=false", deviceBody("burst"))).status, 201)
        const answers = await Promise.all(
          ["zfs", "zfs", "containers", "docker_networks", "vm_status", "zfs"].map((type) =>
            t.request("GET", `/api/devices/burst/${type}`)
          ),
        )
        assert.deepEqual(answers.map((a) => a.status), [422, 422, 200, 200, 422, 422])
        const probes = await auditOf(t, "burst", "capabilities")
        assert.ok(probes.length >= 1 && probes.every((p) => /first contact/.test(p.source)))
        assert.equal(probes.filter((p) => p.ssh_command_count > 0).length, 1, "one probe reached the host")
      })
    })

    test("a repointed device is probed again on its next tool read", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices", deviceBody("moved"))).status, 201)
        assert.equal((await auditOf(t, "moved", "capabilities")).length, 1, "probed on add")
        const moved = await t.request("PATCH", "/api/devices/moved", { host: "localhost", transport: "local" })
        assert.equal(moved.status, 200, JSON.stringify(moved.body))
        assert.equal(moved.body.capabilities, null, "what the old host had says nothing about the new one")
        assert.equal((await t.request("GET", "/api/devices/moved/zfs")).status, 422)
        const probes = await auditOf(t, "moved", "capabilities")
        assert.equal(probes.length, 2)
        assert.match(probes[0].source, /first contact/)
      })
    })

    test("the scheduler drops a type the first-contact probe finds missing, and polls the rest", async () => {
      assert.ok(!zpoolHere(), "this test needs a machine without zpool")
      const instance = await startInstance({
        store: backend.layer(uniqueSchema("probe_sched")),
        settings: testSettings({
          deviceRefreshMs: 200,
          cadence: {
            system_metrics: off,
            network_interfaces: off,
            containers: every(300),
            docker_networks: off,
            drive_health: off,
            zfs: every(300),
            systemd_services: off,
            vm_status: off,
            system_logs: off,
          },
        }),
      })
      try {
        // A device as the YAML list makes it: a store row, no probe.
        await instance.run(Store.use((s) => s.createDevice(sshdDeviceInput(sshd, "polled"))))
        const jobs = async () =>
          ((await instance.status()).devices.find((d) => d.device === "polled")?.jobs ?? []).map((j) => j.data_type)
        const polls = (type: string) =>
          instance.run(
            Store.use((s) => s.queryAudit({ device: "polled", dataType: type, method: "polling", limit: 1000 })),
          )
        await waitFor("zfs dropped and containers polled", async () => {
          const now = await jobs()
          return !now.includes("zfs") && now.includes("containers") &&
            (await polls("containers")).filter((r) => r["status"] === "success").length >= 2
        })
        const zfsBefore = await polls("zfs")
        assert.ok(zfsBefore.length <= 1, `zfs asked at most once, at first contact: ${zfsBefore.length}`)
        for (const row of zfsBefore) assert.equal(Number(row["ssh_command_count"]), 0, "no zfs command ran")
        const containersBefore = (await polls("containers")).length
        await sleep(1200)
        assert.equal((await polls("zfs")).length, zfsBefore.length, "zfs is not polled any more")
        assert.ok((await polls("containers")).length > containersBefore, "containers still is")
        const device = await instance.run(Store.use((s) => s.getDevice("polled")))
        assert.equal(device.status, "online", "a missing tool is not a failing host")
      } finally {
        await instance.stop(2000)
        await instance.dispose()
      }
    })
  })
}

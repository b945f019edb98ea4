import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { dockerShims } from "./harness/shims/docker.ts"
import { driveHealthShims } from "./harness/shims/drives.ts"
import { networkShims } from "./harness/shims/network.ts"
import { systemdShims } from "./harness/shims/systemd.ts"
import { zfsShims } from "./harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/** A host whose docker, smartctl, lsblk, zpool, zfs, ip and systemctl print real recorded outputs. */
let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({
    address: "127.0.0.4",
    shims: { ...dockerShims, ...driveHealthShims, ...zfsShims, ...networkShims, ...systemdShims },
  })
})
after(() => stopAllSshd())

/** data type → a check on its parsed data, and the history table's minimum row count per read. */
const expectations: Record<string, { check: (data: any) => void; rows: number }> = {
  system_metrics: { check: (d) => assert.ok(d.memory.total_bytes > 0), rows: 1 },
  containers: {
    check: (d) => {
      assert.ok(d.containers.length >= 1)
      assert.ok(d.containers.every((c: any) => typeof c.name === "string" && c.name !== ""))
    },
    rows: 1,
  },
  docker_networks: { check: (d) => assert.ok(d.networks.length >= 1), rows: 1 },
  drive_health: { check: (d) => assert.ok(d.disks.length >= 1), rows: 1 },
  network_interfaces: { check: (d) => assert.ok(d.interfaces.length >= 1), rows: 1 },
  zfs: { check: (d) => assert.ok(d.pools.length >= 1), rows: 1 },
  systemd_services: { check: (d) => assert.ok(d.units.length >= 1), rows: 1 },
}

for (const backend of testBackends()) {
  describe(`every data type through the API on ${backend.name}`, () => {
    test("collect, then read back history, over one SSH connection", async () => {
      await withTestApp(backend, { ssh: { connectTimeoutMs: 5000, commandTimeoutMs: 20_000 } }, async (t) => {
        const logins = sshd.acceptedLogins()
        const created = await t.request("POST", "/api/devices", {
          name: "nas",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        assert.equal(created.status, 201)
        assert.deepEqual(created.body.probe, { ok: true })
        assert.equal(created.body.capabilities.tools.docker, true, "the probe on add sees the docker shim")
        const started = new Date(Date.now() - 1000).toISOString()
        for (const [type, expect] of Object.entries(expectations)) {
          const res = await t.request("GET", `/api/devices/nas/${type}`)
          assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.body).slice(0, 500)}`)
          assert.equal(res.body.data_type, type)
          assert.equal(res.body.cache, "miss")
          expect.check(res.body.data)
          const history = await t.request("GET", `/api/devices/nas/${type}/history?from=${started}`)
          assert.equal(history.status, 200, `${type} history`)
          assert.ok(history.body.count >= expect.rows, `${type}: ${history.body.count} history rows`)
          assert.ok(history.body.rows.every((r: any) => r.device_id === created.body.id && r.data !== undefined))
        }
        const snapshots = await t.request("GET", `/api/devices/nas/zfs/history?table=zfs_snapshots&from=${started}`)
        assert.equal(snapshots.status, 200)
        assert.ok(snapshots.body.count >= 1, "zfs snapshots land in their own table")
        assert.ok(snapshots.body.rows.every((r: any) => typeof r.snapshot === "string"))
        assert.equal((await t.request("GET", "/api/devices/nas/zfs/history?table=devices")).status, 400)
        assert.equal(sshd.acceptedLogins() - logins, 1, "all types share one connection")
        const audit = await t.request("GET", "/api/audit?device=nas&limit=100")
        // The device_add row is the add itself, which runs nothing on the host.
        const reads = audit.body.entries.filter((e: any) => e.data_type !== "device_add")
        assert.equal(reads.length, Object.keys(expectations).length + 1, "each type and the probe on add")
        assert.ok(reads.every((e: any) => e.ssh_command_count === 1), "one round trip per data type")
      })
    })
  })
}

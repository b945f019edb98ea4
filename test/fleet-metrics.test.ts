/**
 * /metrics/fleet: what a real sshd test host answered (through the pipeline, with tools it lacks
 * shimmed by real recorded outputs) comes out as Prometheus metrics, checked by a strict reader
 * and by `promtool check metrics`, on both stores. The values are compared with the API's own
 * answers, so a mislabelled or misconverted series fails.
 */
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends } from "./harness/db.ts"
import { type Exposition, parseExposition, sampleValue } from "./harness/prometheus.ts"
import { withSecureApp } from "./harness/security.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { driveHealthShims } from "./harness/shims/drives.ts"
import { systemdShims } from "./harness/shims/systemd.ts"
import { zfsShims } from "./harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({
    address: "127.0.0.141",
    shims: { docker: dockerShim(), ...driveHealthShims, ...zfsShims, ...systemdShims },
  })
})
after(() => stopAllSshd())

/** promtool is the scraper's own linter; CI installs it (Debian's prometheus package). */
const promtool = (text: string): string => {
  const found = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" })
  if (found.status !== 0) throw new Error("promtool is missing: apt-get install -y prometheus")
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" })
  return `${run.status}\n${run.stdout}${run.stderr}`
}

const valueOf = (e: Exposition, name: string, labels: Record<string, string>): number => {
  const v = sampleValue(e, name, labels)
  assert.ok(v !== undefined, `${name}${JSON.stringify(labels)} is missing`)
  return v
}

for (const backend of testBackends()) {
  describe(`fleet metrics (${backend.name})`, () => {
    test("the collected data of a real host as Prometheus metrics, equal to the API's answers", async () => {
      await withSecureApp(backend, {}, async (t) => {
        const reader = await t.run(
          Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).create("prom", "read")),
        )
        const writer = await t.run(
          Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).create("ops", "write")),
        )
        const added = await t.request("POST", "/api/devices", {
          token: writer.token,
          body: {
            name: "h1",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            private_key_path: sshd.privateKeyPath,
          },
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        const never = await t.request("POST", "/api/devices", {
          token: writer.token,
          body: { name: "never-read", host: "127.0.0.1", port: 1, username: "nobody", enabled: false },
        })
        assert.equal(never.status, 201, JSON.stringify(never.body))

        // Before any read: every device has its up/status series, and nothing else is invented.
        const empty = await t.request("GET", "/metrics/fleet", { token: reader.token })
        assert.equal(empty.status, 200)
        assert.match(empty.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/)
        const before = parseExposition(empty.body)
        assert.equal(valueOf(before, "infrastructor_device_enabled", { device: "never-read" }), 0)
        assert.equal(sampleValue(before, "infrastructor_cpu_usage_ratio", { device: "h1" }), undefined)

        const read = async (type: string) => {
          const r = await t.request("GET", `/api/devices/h1/${type}?force_refresh=true`, { token: reader.token })
          assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`)
          return r.body.data
        }
        const metrics = await read("system_metrics")
        for (const type of ["drive_health", "zfs", "containers", "systemd_services", "network_interfaces"]) {
          await read(type)
        }
        /** The rows the reads stored: what the exporter must show, and nothing older. */
        const stored = async (type: string) => {
          const r = await t.request("GET", `/api/devices/h1/${type}/history?limit=1000`, { token: reader.token })
          assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`)
          assert.ok(r.body.rows.length > 0, `${type} stored rows`)
          return r.body.rows as Array<Record<string, any>>
        }

        const scraped = await t.request("GET", "/metrics/fleet", { token: reader.token })
        assert.equal(scraped.status, 200)
        const text = scraped.body as string
        assert.equal(promtool(text).split("\n")[0], "0", promtool(text))
        const e = parseExposition(text)

        assert.equal(valueOf(e, "infrastructor_device_up", { device: "h1" }), 1)
        assert.equal(valueOf(e, "infrastructor_device_status", { device: "h1", status: "online" }), 1)
        assert.equal(valueOf(e, "infrastructor_device_status", { device: "h1", status: "offline" }), 0)
        assert.equal(valueOf(e, "infrastructor_memory_total_bytes", { device: "h1" }), metrics.memory.total_bytes)
        assert.ok(valueOf(e, "infrastructor_cpu_usage_ratio", { device: "h1" }) <= 1)
        const realMounts = metrics.disk.mounts.filter((m: { pseudo: boolean }) => !m.pseudo)
        assert.ok(realMounts.length > 0, "this machine has a real filesystem")
        const root = realMounts[0]
        assert.equal(
          valueOf(e, "infrastructor_filesystem_size_bytes", {
            device: "h1",
            mountpoint: root.mountpoint,
            fstype: root.type ?? "",
          }),
          root.size_bytes,
        )

        const drive = (await stored("drive_health")).find((d) => d["temperature_c"] !== null)
        assert.ok(drive !== undefined, "a recorded drive reports its temperature")
        const driveLabels = {
          device: "h1",
          drive: drive["device_path"],
          model: drive["model"] ?? "",
          serial: drive["serial"] ?? "",
        }
        assert.equal(valueOf(e, "infrastructor_drive_temperature_celsius", driveLabels), drive["temperature_c"])

        for (const pool of await stored("zfs")) {
          assert.equal(
            valueOf(e, "infrastructor_zpool_healthy", { device: "h1", pool: pool["pool"] }),
            pool["health"] === "ONLINE" ? 1 : 0,
          )
        }
        const containers = await stored("containers")
        assert.ok(containers.some((c) => c["state"] === "running") && containers.some((c) => c["state"] !== "running"))
        for (const ct of containers) {
          assert.equal(
            valueOf(e, "infrastructor_container_running", { device: "h1", container: ct["name"] }),
            ct["state"] === "running" ? 1 : 0,
          )
        }
        const units = await stored("systemd_services")
        const failed = units.filter((u) => u["active_state"] === "failed").length
        assert.equal(valueOf(e, "infrastructor_systemd_units", { device: "h1" }), units.length)
        assert.equal(valueOf(e, "infrastructor_systemd_failed_units", { device: "h1" }), failed)

        const nic = (await stored("network_interfaces"))[0]!
        assert.equal(
          valueOf(e, "infrastructor_network_receive_bytes_total", { device: "h1", interface: nic["interface"] }),
          Number(nic["rx_bytes"]),
        )

        for (const risk of ["LOW", "MEDIUM", "HIGH", "CRITICAL"]) {
          assert.equal(valueOf(e, "infrastructor_config_changes_total", { device: "h1", risk }), 0)
        }
        assert.ok(valueOf(e, "infrastructor_sample_timestamp_seconds", { device: "h1", data_type: "zfs" }) > 0)

        // The scrape was a store read: the host saw no new login for it.
        const logins = sshd.acceptedLogins()
        assert.equal((await t.request("GET", "/metrics/fleet", { token: reader.token })).status, 200)
        assert.equal(sshd.acceptedLogins(), logins)
      })
    })
  })
}

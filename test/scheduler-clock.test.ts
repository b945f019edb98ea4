/**
 * The scheduler against the TestClock: the real Scheduler, DeviceHealth and store, with a fake
 * Collector (swapped layer) so ten minutes of schedule run in a moment, deterministically.
 */
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Effect } from "effect"
import { testBackends } from "./harness/db.ts"
import { testSettings, waitFor, withClockedScheduler } from "./harness/scheduler.ts"
import { Scheduler } from "../src/scheduler/Scheduler.ts"
import { Store } from "../src/store/Store.ts"
import { nextRunAt, resolveCadence } from "../src/scheduler/cadence.ts"
import type { CadenceSetting } from "../src/scheduler/settings.ts"

const backend = testBackends()[0]!
const off: CadenceSetting = { kind: "off" }
const every = (seconds: number): CadenceSetting => ({ kind: "interval", ms: seconds * 1000 })
const dockerHost = { docker: true, systemctl: true, zpool: false, smartctl: false, lsblk: true, virsh: false }
const start = Scheduler.use((s) => s.start)
const stop = Scheduler.use((s) => s.stop({ drainTimeoutMs: 0 }))
const status = Scheduler.use((s) => Effect.sync(() => s.status()))

describe("scheduler on the test clock", () => {
  test("each supported type polls at its interval (registry ttl, global and per-device settings, cron), staggered", async () => {
    const settings = testSettings({
      cadence: { system_logs: every(120) },
      devices: {
        db: { cadence: { containers: every(60), system_metrics: { kind: "cron", expression: "*/2 * * * *" } } },
      },
      cronJitterMs: 0,
    })
    await withClockedScheduler(backend, settings, async (t) => {
      await t.addDevice("web", dockerHost)
      await t.addDevice("db", dockerHost)
      await t.run(start)
      await waitFor("jobs to start", async () => (await t.run(status)).devices.every((d) => d.jobs.length > 0))
      await t.advance(600_000, 5000)

      // Ten minutes: every type exactly 600 s / interval times (the grid has that many points in any 600 s).
      assert.equal(t.hosts.count("web", "containers"), 20)
      assert.equal(t.hosts.count("web", "system_metrics"), 2)
      assert.equal(t.hosts.count("web", "network_interfaces"), 5)
      assert.equal(t.hosts.count("web", "docker_networks"), 2)
      assert.equal(t.hosts.count("web", "systemd_services"), 1)
      assert.equal(t.hosts.count("web", "system_logs"), 5, "global override: every 120 s")
      for (const unsupported of ["zfs", "drive_health", "vm_status"]) {
        assert.equal(t.hosts.count("web", unsupported), 0, `${unsupported} is skipped: the probe found no tool`)
      }
      assert.equal(t.hosts.count("db", "containers"), 10, "per-device override: every 60 s")
      const cron = t.hosts.calls.filter((c) => c.device === "db" && c.dataType === "system_metrics").map((c) => c.at)
      assert.deepEqual(cron, [120_000, 240_000, 360_000, 480_000, 600_000], "cron */2 fires on even minutes")

      // Staggered: a device+type keeps one phase; different devices get different phases.
      const phase = (device: string, type: string, interval: number) =>
        new Set(t.hosts.calls.filter((c) => c.device === device && c.dataType === type).map((c) => c.at % interval))
      assert.equal(phase("web", "containers", 30_000).size, 1)
      assert.notDeepEqual([...phase("web", "network_interfaces", 120_000)], [
        ...phase("db", "network_interfaces", 120_000),
      ])
      const atOnce = new Set(t.hosts.calls.map((c) => c.at)).size
      assert.ok(atOnce > t.hosts.calls.length / 3, "polls are spread out, not all at the same instants")

      for (const c of t.hosts.calls) {
        assert.equal(c.options.method, "polling")
        assert.equal(c.options.forceRefresh, true, "every poll reads the host and stores a row")
        assert.equal(c.options.source, "scheduler:test-instance")
      }
      const web = (await t.run(status)).devices.find((d) => d.device === "web")!
      assert.equal(web.health?.status, "online")
      assert.deepEqual(web.jobs.map((j) => j.data_type).sort(), [
        "containers",
        "docker_networks",
        "network_interfaces",
        "system_logs",
        "system_metrics",
        "systemd_services",
      ])
      assert.ok(web.jobs.every((j) => j.next_run_at !== null && j.last_result === "ok"))
      await t.run(stop)
    })
  })

  test("added, disabled and removed devices are picked up without a restart", async () => {
    const settings = testSettings({
      cadence: Object.fromEntries(
        ["system_metrics", "docker_networks", "network_interfaces", "systemd_services", "system_logs"].map((
          k,
        ) => [k, off]),
      ),
      deviceRefreshMs: 60_000,
    })
    await withClockedScheduler(backend, settings, async (t) => {
      const a = await t.addDevice("a", dockerHost)
      await t.run(start)
      await waitFor("job for a", async () => (await t.run(status)).devices.some((d) => d.jobs.length > 0))
      await t.advance(60_000, 5000)
      assert.equal(t.hosts.count("a", "containers"), 2)

      // Added: found by the periodic re-read (every 60 s of clock time here).
      await t.addDevice("b", dockerHost)
      await t.advance(60_000, 5000)
      await waitFor(
        "job for b",
        async () => (await t.run(status)).devices.some((d) => d.device === "b" && d.jobs.length > 0),
      )
      const before = t.hosts.count("b")
      await t.advance(60_000, 5000)
      assert.equal(t.hosts.count("b", "containers") - before, 2)

      // Disabled: refresh() drops its jobs at once.
      await t.run(Store.use((s) => s.updateDevice("a", { enabled: false })))
      await t.run(Scheduler.use((s) => s.refresh))
      const aBefore = t.hosts.count("a")
      await t.advance(120_000, 5000)
      assert.equal(t.hosts.count("a"), aBefore, "a disabled device is not polled")
      assert.equal((await t.run(status)).devices.find((d) => d.device === "a")?.jobs.length, 0)

      // Capabilities changed (zfs appeared): the new type gets a job.
      await t.run(Store.use((s) => s.setDeviceCapabilities(a.id, { tools: { ...dockerHost, zpool: true } })))
      await t.run(Store.use((s) => s.updateDevice("a", { enabled: true })))
      await t.run(Scheduler.use((s) => s.refresh))
      await t.advance(600_000, 10_000)
      assert.equal(t.hosts.count("a", "zfs"), 1)

      // Removed.
      await t.run(Store.use((s) => s.removeDevice("b")))
      await t.run(Scheduler.use((s) => s.refresh))
      const bBefore = t.hosts.count("b")
      await t.advance(120_000, 5000)
      assert.equal(t.hosts.count("b"), bBefore)
      assert.equal((await t.run(status)).devices.some((d) => d.device === "b"), false)
      await t.run(stop)
    })
  })

  test("catch-up: a type with no fresh read is read within the window, then keeps to its slot", async () => {
    const settings = testSettings({
      catchUpMs: 60_000,
      cadence: { containers: off, docker_networks: off, network_interfaces: off, system_logs: off },
    })
    await withClockedScheduler(backend, settings, async (t) => {
      await t.addDevice("fresh", dockerHost)
      const known = await t.addDevice("known", dockerHost)
      // "known" had its systemd units read (by an API call) a moment ago: no catch-up for that one.
      await t.run(Store.use((s) =>
        s.insertAudit({
          time: new Date(0), // the test clock starts at 0
          deviceId: known.id,
          deviceName: "known",
          operationId: "earlier-read",
          dataType: "systemd_services",
          method: "api",
          source: "test",
          forceRefresh: false,
          cacheHit: false,
          durationMs: 10,
          sshCommandCount: 1,
          dataSizeBytes: 100,
          status: "success",
          errorMessage: null,
          recordsCreated: 1,
          freshnessThreshold: 600,
        })
      ))
      await t.run(start)
      await waitFor("jobs to start", async () => (await t.run(status)).devices.every((d) => d.jobs.length === 2))
      const slot = (device: string, type: string, ms: number) =>
        nextRunAt(resolveCadence(settings, device, type, ms / 1000)!, 0)!
      await t.advance(60_000, 1000)
      assert.equal(t.hosts.count("fresh", "system_metrics"), 1, "read within the window, not 300 s later")
      assert.equal(t.hosts.count("fresh", "systemd_services"), 1, "read within the window, not 600 s later")
      assert.equal(t.hosts.count("known", "system_metrics"), 1)
      assert.equal(
        t.hosts.count("known", "systemd_services"),
        slot("known", "systemd_services", 600_000) <= 60_000 ? 1 : 0,
        "a fresh read in the store: it waits for its slot",
      )
      await t.advance(1_200_000, 5000)
      for (const [type, ms] of [["system_metrics", 300_000], ["systemd_services", 600_000]] as const) {
        for (const device of ["fresh", "known"]) {
          const at = t.hosts.calls.filter((c) => c.device === device && c.dataType === type).map((c) => c.at)
          const gaps = at.slice(1).map((x, i) => x - at[i]!)
          assert.ok(gaps.every((g) => g >= ms / 2), `${device} ${type}: no back-to-back reads (${at})`)
          const onSlot = at.filter((x) => x % ms === slot(device, type, ms) % ms)
          assert.ok(at.length - onSlot.length <= 1, `${device} ${type}: one catch-up at most, then slots (${at})`)
          assert.ok(onSlot.length >= Math.floor(1_260_000 / ms) - 1, `${device} ${type}: slots kept (${at})`)
        }
      }
      await t.run(stop)
    })
  })

  test("global and per-device concurrency limits hold while everything is due at once", async () => {
    const settings = testSettings({
      cadence: {
        containers: every(30),
        system_logs: every(30),
        ...Object.fromEntries(
          ["system_metrics", "docker_networks", "network_interfaces", "systemd_services"].map((k) => [k, off]),
        ),
      },
      jitter: 0,
      maxConcurrent: 3,
      maxPerDevice: 1,
    })
    await withClockedScheduler(backend, settings, async (t) => {
      t.hosts.workMs = 4000
      for (const name of ["c1", "c2", "c3", "c4", "c5"]) await t.addDevice(name, dockerHost)
      await t.run(start)
      await waitFor("jobs", async () => (await t.run(status)).devices.filter((d) => d.jobs.length === 2).length === 5)
      await t.advance(120_000, 1000)
      assert.equal(t.hosts.maxRunning, 3, "the global limit is reached and never passed")
      assert.equal(t.hosts.maxPerDevice, 1, "one poll at a time per device")
      for (const name of ["c1", "c2", "c3", "c4", "c5"]) {
        assert.ok(t.hosts.count(name, "containers") >= 3, `${name} still gets its polls`)
        assert.ok(t.hosts.count(name, "system_logs") >= 3)
      }
      await t.run(stop)
    })
  })

  test("unreachable: offline, exponential backoff, one probe through the open breaker, back online", async () => {
    const settings = testSettings({
      cadence: {
        containers: every(30),
        system_logs: every(30),
        ...Object.fromEntries(
          ["system_metrics", "docker_networks", "network_interfaces", "systemd_services"].map((k) => [k, off]),
        ),
      },
      health: { offlineAfter: 2, backoffBaseMs: 60_000, backoffMaxMs: 240_000, breakerThreshold: 2 },
    })
    await withClockedScheduler(backend, settings, async (t) => {
      await t.addDevice("flaky", dockerHost)
      await t.run(start)
      await waitFor("jobs", async () => (await t.run(status)).devices.some((d) => d.jobs.length === 2))
      await t.advance(60_000, 5000)
      assert.equal(t.hosts.count("flaky"), 4)
      const online = await t.run(Store.use((s) => s.getDevice("flaky")))
      assert.equal(online.status, "online")
      assert.ok(online.lastSeen !== null)

      t.hosts.modes.set("flaky", "down")
      const downFrom = t.hosts.calls.length
      await t.advance(900_000, 5000)
      const attempts = t.hosts.calls.slice(downFrom).map((c) => c.at)
      // Without backoff: 60 polls in 15 min. With it: waits of 60, 60(open), 120, 240, 240 s ...
      assert.ok(attempts.length >= 4 && attempts.length <= 8, `attempts while down: ${attempts.length}`)
      const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!)
      assert.ok(gaps.every((g) => g >= 30_000), `no two attempts closer than the backoff: ${gaps}`)
      assert.ok(gaps.slice(-2).every((g) => g >= 240_000), `backoff reaches its cap: ${gaps}`)
      assert.ok(gaps.every((g) => g <= 240_000 + 30_000), `and stays at it: ${gaps}`)
      const offline = await t.run(Store.use((s) => s.getDevice("flaky")))
      assert.equal(offline.status, "offline")
      assert.equal(offline.lastSeen?.getTime(), online.lastSeen?.getTime() ?? -1, "last_seen stays at the last success")
      const view = (await t.run(status)).devices.find((d) => d.device === "flaky")!
      assert.equal(view.health?.breaker, "open")
      assert.ok(view.health!.consecutive_failures >= 3)
      assert.equal(view.health?.last_error?.code, "ssh_connect_refused")
      assert.ok(view.jobs.some((j) => j.skipped > 0 && j.last_skip === "backoff"))

      t.hosts.modes.set("flaky", "ok")
      const upFrom = t.hosts.calls.length
      await t.advance(300_000, 5000)
      const recovered = await t.run(Store.use((s) => s.getDevice("flaky")))
      assert.equal(recovered.status, "online", "the probe succeeded: online without a restart")
      assert.ok(t.hosts.calls.length - upFrom >= 6, "and polling resumed at the normal rate")
      const changes = t.events.filter((e) => e._tag === "DeviceStatusChanged").map((e) => (e as any).to)
      assert.deepEqual(changes, ["online", "degraded", "offline", "online"])
      await t.run(stop)
    })
  })

  test("a type that keeps failing while others work makes the device degraded, not offline", async () => {
    const settings = testSettings({
      cadence: Object.fromEntries(
        ["system_metrics", "docker_networks", "network_interfaces", "systemd_services", "system_logs"].map((
          k,
        ) => [k, off]),
      ),
      devices: { nas: { cadence: { zfs: every(60), containers: every(30) } } },
    })
    await withClockedScheduler(backend, settings, async (t) => {
      await t.addDevice("nas", { ...dockerHost, zpool: true })
      t.hosts.modes.set("nas", "zfs-broken")
      await t.run(start)
      await waitFor("jobs", async () => (await t.run(status)).devices.some((d) => d.jobs.length === 2))
      await t.advance(180_000, 5000)
      const view = (await t.run(status)).devices.find((d) => d.device === "nas")!
      assert.equal(view.health?.status, "degraded")
      assert.deepEqual(view.health?.failing_types, { zfs: "parse_error" })
      assert.equal(view.health?.breaker, "closed", "the host answers: no backoff")
      assert.equal(t.hosts.count("nas", "zfs"), 3)
      assert.equal((await t.run(Store.use((s) => s.getDevice("nas")))).status, "degraded")
      t.hosts.modes.set("nas", "ok")
      await t.advance(60_000, 5000)
      assert.equal((await t.run(Store.use((s) => s.getDevice("nas")))).status, "online")
      await t.run(stop)
    })
  })
})

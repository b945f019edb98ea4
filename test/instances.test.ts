/**
 * Several instances on one database: leases give every device exactly one polling instance,
 * a dead instance's devices are taken over within the lease TTL, and events fan out over
 * LISTEN/NOTIFY (PostgreSQL only). Each instance is a full runtime with its own instance id.
 */
import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { type Instance, sleep, sshdDeviceInput, startInstance, testSettings, waitFor } from "./harness/scheduler.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"
import { Events } from "../src/events/Events.ts"
import { Ownership } from "../src/instances/Ownership.ts"
import type { CadenceSetting, SchedulerSettings } from "../src/scheduler/settings.ts"
import { makeStoreLayer } from "../src/store/layer.ts"
import { Store } from "../src/store/Store.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.8" })
})
after(() => stopAllSshd())

const off: CadenceSetting = { kind: "off" }
const TTL = 3000
const settingsFor = (instanceId: string): SchedulerSettings =>
  testSettings({
    instanceId,
    ownership: "leases",
    leaseTtlMs: TTL,
    deviceRefreshMs: 300,
    cadence: {
      system_metrics: { kind: "interval", ms: 500 },
      network_interfaces: off,
      containers: off,
      docker_networks: off,
      drive_health: off,
      zfs: off,
      systemd_services: off,
      vm_status: off,
      system_logs: off,
    },
  })

const DEVICES = ["n1", "n2", "n3", "n4", "n5", "n6"]

const owned = async (i: Instance): Promise<Array<number>> => {
  const o = (await i.status()).ownership.owned
  return o === "all" ? [] : [...o]
}

interface Poll {
  readonly device: string
  readonly source: string
  readonly start: number
  readonly end: number
}

const polls = async (i: Instance): Promise<Array<Poll>> => {
  const rows = await i.run(Store.use((s) => s.queryAudit({ method: "polling", limit: 10_000 })))
  return rows.map((r) => {
    const end = new Date(r["time"] as string | Date).getTime()
    return { device: String(r["device_name"]), source: String(r["source"]), start: end - Number(r["duration_ms"]), end }
  })
}

/** No two instances ever poll one device at overlapping times. */
const assertNoOverlap = (all: ReadonlyArray<Poll>) => {
  for (const device of DEVICES) {
    const list = all.filter((p) => p.device === device).sort((a, b) => a.start - b.start)
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!
      const next = list[i]!
      if (prev.source === next.source) continue
      assert.ok(
        next.start >= prev.end - 5,
        `${device}: ${prev.source} polled until ${prev.end} but ${next.source} started at ${next.start}`,
      )
    }
  }
}

for (const backend of testBackends()) {
  describe(`instances on ${backend.name}`, () => {
    test("each device is polled by one instance; a dead one's devices are taken over within the TTL", async () => {
      const schema = uniqueSchema("instances")
      // b drops the schema when it ends, so it starts first and ends last.
      const b = await startInstance({ store: backend.layer(schema), settings: settingsFor("node-b") })
      let a: Instance | undefined
      let c: Instance | undefined
      try {
        for (const name of DEVICES) await b.run(Store.use((s) => s.createDevice(sshdDeviceInput(sshd, name))))
        a = await startInstance({ store: makeStoreLayer(backend.options(schema)), settings: settingsFor("node-a") })
        const instA = a

        // Balanced: both hold leases, together all devices, never the same one.
        await waitFor("both instances to hold leases", async () => {
          const [oa, ob] = [await owned(instA), await owned(b)]
          return oa.length > 0 && ob.length > 0 && oa.length + ob.length === DEVICES.length
        }, 20_000)
        const [oa, ob] = [await owned(instA), await owned(b)]
        assert.deepEqual([...oa, ...ob].sort(), [1, 2, 3, 4, 5, 6])
        assert.equal(new Set([...oa, ...ob]).size, 6, "no device owned twice")
        const leases = await b.run(
          Store.use((s) =>
            testQuery<{ device_id: number; owner: string }>(s, "SELECT device_id, owner FROM scheduler_leases")
          ),
        )
        for (const l of leases) assert.equal(l.owner, oa.includes(Number(l.device_id)) ? "node-a" : "node-b")

        const balancedAt = Date.now()
        await sleep(2500)
        const steady = (await polls(b)).filter((p) => p.start > balancedAt)
        const namesA = new Set(oa.map((id) => `n${id}`))
        for (const device of DEVICES) {
          const sources = new Set(steady.filter((p) => p.device === device).map((p) => p.source))
          assert.deepEqual(
            [...sources],
            [namesA.has(device) ? "scheduler:node-a" : "scheduler:node-b"],
            `${device} polled by its owner only`,
          )
        }

        // Kill a: its leases stay in the table until they expire; then b takes its devices.
        const killedAt = Date.now()
        await instA.dispose()
        await waitFor("b to own every device", async () => (await owned(b)).length === DEVICES.length, 4 * TTL)
        const takeover = Date.now() - killedAt
        assert.ok(takeover >= TTL / 2, `took over after ${takeover} ms: not before a's leases could expire`)
        assert.ok(takeover <= TTL + 3000, `took over after ${takeover} ms (lease TTL ${TTL} ms)`)
        await waitFor("b polling a's former devices", async () => {
          const recent = (await polls(b)).filter((p) => p.start > killedAt + takeover)
          return [...namesA].every((d) => recent.some((p) => p.device === d && p.source === "scheduler:node-b"))
        }, 10_000)

        // A graceful stop gives leases back at once: faster than the TTL.
        c = await startInstance({ store: makeStoreLayer(backend.options(schema)), settings: settingsFor("node-c") })
        const instC = c
        await waitFor("c to hold leases", async () => (await owned(instC)).length > 0, 20_000)
        const stoppedAt = Date.now()
        await instC.stop(2000)
        await waitFor("b to own every device again", async () => (await owned(b)).length === DEVICES.length, 4 * TTL)
        const handback = Date.now() - stoppedAt
        assert.ok(handback < TTL, `graceful handover took ${handback} ms, under the ${TTL} ms TTL`)
        const instances = await b.run(
          Store.use((s) => testQuery<{ instance_id: string }>(s, "SELECT instance_id FROM scheduler_instances")),
        )
        assert.ok(!instances.some((r) => r.instance_id === "node-c"), "a stopped instance leaves the cluster table")

        assertNoOverlap(await polls(b))
      } finally {
        await c?.dispose()
        await a?.dispose()
        await b.stop(1000)
        await b.dispose()
      }
    })

    if (backend.name === "postgres") {
      test("events fan out between instances over LISTEN/NOTIFY", async () => {
        const schema = uniqueSchema("fanout")
        const b = await startInstance({
          store: backend.layer(schema),
          settings: { ...settingsFor("node-b"), enabled: false },
        })
        let a: Instance | undefined
        try {
          a = await startInstance({
            store: makeStoreLayer(backend.options(schema)),
            settings: { ...settingsFor("node-a"), ownership: "single" },
          })
          const instA = a
          await waitFor(
            "fan-out on both",
            async () => (await instA.status()).fanout.running && (await b.status()).fanout.running,
          )
          assert.equal((await b.status()).running, false, "schedule disabled: b only serves and relays")

          await instA.run(
            Events.use((e) => e.publish({ _tag: "DeviceStatusChanged", device: "x", from: "online", to: "offline" })),
          )
          await waitFor(
            "a's event on b",
            () => b.events.some((e) => e._tag === "DeviceStatusChanged" && (e as any).device === "x"),
          )
          const seen = b.events.find((e) => e._tag === "DeviceStatusChanged" && (e as any).device === "x") as any
          assert.equal(seen.origin, "node-a")
          assert.equal(seen.to, "offline")

          // Real pipeline events travel too: a polls, b sees DataCollected.
          await instA.run(Store.use((s) => s.createDevice(sshdDeviceInput(sshd, "fan"))))
          await waitFor(
            "a's poll results on b",
            () =>
              b.events.some((e) =>
                e._tag === "DataCollected" && (e as any).device === "fan" && (e as any).origin === "node-a"
              ),
            15_000,
          )
          assert.ok(
            !b.events.some((e) => e._tag === "OperationCompleted" && "origin" in e),
            "internal telemetry stays local",
          )

          // b's events reach a; nothing echoes back or loops.
          await b.run(
            Events.use((e) => e.publish({ _tag: "DeviceStatusChanged", device: "y", from: "unknown", to: "online" })),
          )
          await waitFor(
            "b's event on a",
            () => instA.events.some((e) => e._tag === "DeviceStatusChanged" && (e as any).device === "y"),
          )
          await sleep(500)
          assert.equal(
            instA.events.filter((e) => (e as any).device === "x").length,
            1,
            "a's own event is not echoed back",
          )
          assert.equal(b.events.filter((e) => (e as any).device === "y").length, 1)
          assert.ok((await b.status()).fanout.received >= 2)
          assert.ok((await instA.status()).fanout.sent >= 2)
        } finally {
          await a?.dispose()
          await b.dispose()
        }
      })
    }

    test("ownership is exposed for watchers: owns() and change notifications", async () => {
      const schema = uniqueSchema("owns")
      const b = await startInstance({
        store: backend.layer(schema),
        settings: { ...settingsFor("node-b"), cadence: { ...settingsFor("x").cadence, system_metrics: off } },
      })
      try {
        const device = await b.run(Store.use((s) => s.createDevice({ name: "w1", host: "192.0.2.10" })))
        const changes: Array<unknown> = []
        await b.run(Ownership.use((o) => Effect.sync(() => o.onChange((c) => Effect.sync(() => void changes.push(c))))))
        await waitFor("lease on w1", () => b.run(Ownership.use((o) => Effect.sync(() => o.owns(device.id)))), 10_000)
        await waitFor("acquired notification", () => changes.length > 0)
        assert.deepEqual(changes[0], { acquired: [device.id], lost: [] })
        await b.run(Store.use((s) => s.updateDevice("w1", { enabled: false })))
        await waitFor(
          "lease given up for a disabled device",
          () => b.run(Ownership.use((o) => Effect.sync(() => !o.owns(device.id)))),
          10_000,
        )
        assert.deepEqual(changes.at(-1), { acquired: [], lost: [device.id] })
      } finally {
        await b.stop(1000)
        await b.dispose()
      }
    })
  })
}

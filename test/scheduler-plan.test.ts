import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { decodeEvents, encodeEvents, MAX_PAYLOAD_BYTES } from "../src/instances/wire.ts"
import { preferredOwner } from "../src/instances/rendezvous.ts"
import { cadenceKey, nextRunAt, resolveCadence } from "../src/scheduler/cadence.ts"
import { backoffMs, gate, initialHealth, observe } from "../src/pipeline/health-state.ts"
import { classify } from "../src/pipeline/DeviceHealth.ts"
import { pollableDataTypes } from "../src/collectors/index.ts"

const pollable = new Set(pollableDataTypes)
import { defaultSchedulerSettings, durationMs } from "../src/scheduler/settings.ts"
import { resolveConfig } from "../src/settings/load.ts"
import { ParseError, SshError, ValidationError } from "../src/domain/errors.ts"
import type { InfraEventWithMeta } from "../src/events/Events.ts"

const settings = defaultSchedulerSettings("test")
/** The scheduler settings a config document (and environment) resolve to. */
const parseSchedulerSettings = (file: Record<string, unknown>, env: Record<string, string>) =>
  resolveConfig(file, env).scheduler

describe("cadence", () => {
  test("registry ttl is the default interval; config overrides globally, then per device", () => {
    const s = parseSchedulerSettings(
      {
        schedule: {
          intervals: { containers: "10s", zfs: 0 },
          cron: { drive_health: "0 3 * * *" },
          devices: { nas: { intervals: { containers: "2m" }, disabled: ["vm_status"] } },
        },
      },
      {},
    )
    const web = resolveCadence(s, "web", "containers", 30)
    assert.equal(web?.kind, "interval")
    assert.equal(web?.kind === "interval" && web.ms, 10_000)
    const nas = resolveCadence(s, "nas", "containers", 30)
    assert.equal(nas?.kind === "interval" && nas.ms, 120_000)
    assert.equal(resolveCadence(s, "web", "zfs", 600), undefined, "0 turns a type off")
    assert.equal(resolveCadence(s, "nas", "vm_status", 60), undefined)
    const metrics = resolveCadence(s, "web", "system_metrics", 300)
    assert.equal(metrics?.kind === "interval" && metrics.ms, 300_000, "unset types use the registry ttl")
    assert.equal(resolveCadence(s, "web", "drive_health", 3600)?.kind, "cron")
    assert.equal(resolveCadence(settings, "web", "container_logs", 0), undefined, "ttl 0 is never polled")
  })

  test("interval runs sit on a per device+type grid inside the interval, strictly after now", () => {
    const offsets = new Set<number>()
    for (let i = 0; i < 50; i++) {
      const c = resolveCadence(settings, `host-${i}`, "containers", 30)
      assert.ok(c !== undefined && c.kind === "interval")
      assert.ok(c.offsetMs >= 0 && c.offsetMs < 30_000)
      offsets.add(Math.floor(c.offsetMs / 3000))
      const now = 1_700_000_000_123
      const next = nextRunAt(c, now)!
      assert.ok(next > now && next <= now + 30_000)
      assert.equal((next - c.offsetMs) % 30_000, 0)
      assert.equal(nextRunAt(c, next), next + 30_000, "exactly one interval later")
      // The same inputs give the same phase in every process/instance.
      assert.equal(cadenceKey(c), cadenceKey(resolveCadence(settings, `host-${i}`, "containers", 30)!))
    }
    assert.ok(offsets.size >= 7, `50 devices spread over at least 7 of 10 slices, got ${offsets.size}`)
    const none = resolveCadence({ ...settings, jitter: 0 }, "host-1", "containers", 30)
    assert.ok(none?.kind === "interval" && none.offsetMs === 0, "jitter 0 puts everyone on the same instant")
  })

  test("cron cadences use croner, delayed by a bounded per-device offset", () => {
    const s = parseSchedulerSettings({ schedule: { cron: { zfs: "*/5 * * * *" }, cron_jitter: "20s" } }, {})
    const c = resolveCadence(s, "nas", "zfs", 600)
    assert.ok(c?.kind === "cron")
    assert.ok(c.offsetMs >= 0 && c.offsetMs < 20_000)
    const now = Date.UTC(2026, 0, 1, 10, 2, 0)
    assert.equal(nextRunAt(c, now), Date.UTC(2026, 0, 1, 10, 5, 0) + c.offsetMs)
    // Inside the offset window after an instant, that (delayed) run is still ahead.
    const justAfter = Date.UTC(2026, 0, 1, 10, 5, 0) + Math.floor(c.offsetMs / 2)
    assert.equal(nextRunAt(c, justAfter), Date.UTC(2026, 0, 1, 10, 5, 0) + c.offsetMs)
  })
})

describe("schedule settings", () => {
  test("durations accept seconds, units and fractions", () => {
    assert.equal(durationMs(30), 30_000)
    assert.equal(durationMs("250ms"), 250)
    assert.equal(durationMs("1.5m"), 90_000)
    assert.equal(durationMs("2h"), 7_200_000)
  })

  test("the config file and environment feed the scheduler settings", () => {
    const config = resolveConfig(
      {
        instance_id: "node-a",
        schedule: {
          max_concurrent: 4,
          max_per_device: 1,
          jitter: 0.5,
          lease_ttl: "15s",
          drain_timeout: "3s",
          catch_up: "2m",
          health: { offline_after: 2, backoff_base: "1s", backoff_max: "1m", breaker_threshold: 4 },
        },
      },
      { INFRA_SCHEDULE: "false" },
    )
    const s = config.scheduler
    assert.equal(s.instanceId, "node-a")
    assert.equal(s.enabled, false)
    assert.equal(s.maxConcurrent, 4)
    assert.equal(s.maxPerDevice, 1)
    assert.equal(s.jitter, 0.5)
    assert.equal(s.leaseTtlMs, 15_000)
    assert.equal(s.drainTimeoutMs, 3000)
    assert.equal(s.catchUpMs, 120_000)
    assert.equal(parseSchedulerSettings({}, {}).catchUpMs, 60_000, "catch-up within a minute by default")
    assert.equal(parseSchedulerSettings({ schedule: { catch_up: 0 } }, {}).catchUpMs, 0)
    assert.deepEqual(s.health, { offlineAfter: 2, backoffBaseMs: 1000, backoffMaxMs: 60_000, breakerThreshold: 4 })
    assert.equal(parseSchedulerSettings({}, { INFRA_INSTANCE_ID: "from-env" }).instanceId, "from-env")
    const a = parseSchedulerSettings({}, {}).instanceId
    assert.match(a, /^[A-Za-z0-9][A-Za-z0-9._:-]+$/)
  })

  test("bad settings are typed errors naming the key", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ schedule: { intervals: { containrs: 30 } } }, /schedule\.intervals\.containrs: unknown data type/],
      [{ schedule: { intervals: { containers: "soon" } } }, /schedule\.intervals\.containers: expected a duration/],
      [{ schedule: { intervals: { containers: 0.001 } } }, /between/],
      [{ schedule: { cron: { zfs: "61 * * * *" } } }, /schedule\.cron\.zfs: invalid cron expression/],
      [{ schedule: { max_concurrent: 0 } }, /schedule\.max_concurrent/],
      [{ schedule: { jitter: 2 } }, /schedule\.jitter/],
      [{ schedule: { catch_up: "soon" } }, /schedule\.catch_up/],
      [{ schedule: { ownership: "maybe" } }, /schedule\.ownership/],
      [{ schedule: { devices: { nas: { disabled: "zfs" } } } }, /schedule\.devices\.nas\.disabled: expected a list/],
      [{ schedule: { health: { backoff_base: "1m", backoff_max: "1s" } } }, /backoff_max/],
      [{ instance_id: "has space" }, /instance_id/],
      [{ schedule: "often" }, /schedule: expected a mapping/],
    ]
    for (const [file, message] of bad) {
      assert.throws(
        () => parseSchedulerSettings(file, {}),
        (e: unknown) => e instanceof ValidationError && message.test(e.message),
      )
    }
  })
})

describe("device health state machine", () => {
  const h = { offlineAfter: 2, backoffBaseMs: 1000, backoffMaxMs: 8000, breakerThreshold: 3 }
  const down = (dataType = "containers") => ({
    kind: "unreachable" as const,
    dataType,
    code: "ssh_connect_refused",
    message: "x",
  })

  test("online, degraded by a failing type, offline after N transport failures, back online", () => {
    let s = initialHealth("unknown", null)
    s = observe(h, s, { kind: "success", dataType: "containers" }, 100)
    assert.equal(s.status, "online")
    assert.equal(s.lastSeenAt, 100)
    s = observe(h, s, { kind: "type-failed", dataType: "zfs", code: "parse_error", message: "bad" }, 200)
    assert.equal(s.status, "degraded")
    s = observe(h, s, { kind: "success", dataType: "containers" }, 300)
    assert.equal(s.status, "degraded", "zfs still fails while containers works")
    s = observe(h, s, { kind: "success", dataType: "zfs" }, 400)
    assert.equal(s.status, "online")
    s = observe(h, s, down(), 500)
    assert.equal(s.status, "degraded", "one transport failure is below offline_after")
    s = observe(h, s, down(), 600)
    assert.equal(s.status, "offline")
    assert.equal(s.lastSeenAt, 400, "last seen is the last success")
    s = observe(h, s, { kind: "success", dataType: "containers" }, 700)
    assert.equal(s.status, "online")
    assert.equal(s.consecutiveFailures, 0)
    assert.equal(s.retryAt, 0)
  })

  test("exponential backoff with a cap; the open breaker lets one probe through", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffMs(h, n)), [1000, 2000, 4000, 8000, 8000, 8000])
    let s = initialHealth("online", null)
    s = observe(h, s, down(), 0)
    assert.deepEqual(gate(s, 500, false), { allowed: false, reason: "backoff", until: 1000 })
    assert.deepEqual(gate(s, 1000, false), { allowed: true, probe: false }, "breaker still closed: everyone may try")
    s = observe(h, s, down(), 1000)
    s = observe(h, s, down(), 3000)
    assert.equal(s.breaker, "open")
    assert.equal(s.retryAt, 3000 + 4000)
    assert.equal(gate(s, 6999, false).allowed, false)
    assert.deepEqual(gate(s, 7000, false), { allowed: true, probe: true })
    assert.deepEqual(gate(s, 7000, true), { allowed: false, reason: "probe-in-flight", until: 7000 })
    s = observe(h, s, down(), 7000)
    assert.equal(s.retryAt, 7000 + 8000, "a failed probe waits longer, up to the cap")
    s = observe(h, s, { kind: "success", dataType: "system_metrics" }, 15_000)
    assert.equal(s.breaker, "closed")
    assert.deepEqual(gate(s, 15_000, false), { allowed: true, probe: false })
  })

  test("errors are classified by what they say about the host", () => {
    const ssh = (reason: SshError["reason"]) => new SshError({ device: "d", reason, message: "m" })
    assert.equal(classify("containers", { ok: false, error: ssh("connect_refused") }, pollable)?.kind, "unreachable")
    assert.equal(classify("containers", { ok: false, error: ssh("command_timeout") }, pollable)?.kind, "unreachable")
    const mismatch = classify("containers", { ok: false, error: ssh("host_key_mismatch") }, pollable)
    assert.ok(mismatch?.kind === "unreachable" && mismatch.status === "host_key_mismatch")
    assert.equal(classify("containers", { ok: false, error: ssh("output_too_large") }, pollable)?.kind, "type-failed")
    assert.equal(
      classify("zfs", { ok: false, error: new ParseError({ dataType: "zfs", message: "x" }) }, pollable)?.kind,
      "type-failed",
    )
    assert.equal(
      classify(
        "container_logs",
        { ok: false, error: new ParseError({ dataType: "container_logs", message: "x" }) },
        pollable,
      ),
      undefined,
      "a type the scheduler does not poll cannot hold a device degraded",
    )
    assert.equal(
      classify("zfs", { ok: false, error: new ValidationError({ message: "bad param" }) }, pollable),
      undefined,
    )
  })
})

describe("instances", () => {
  test("rendezvous hashing spreads devices and moves only the leaving instance's devices", () => {
    const three = ["a", "b", "c"]
    const counts = new Map<string, number>()
    const before = new Map<number, string>()
    for (let id = 1; id <= 300; id++) {
      const owner = preferredOwner(three, id)!
      before.set(id, owner)
      counts.set(owner, (counts.get(owner) ?? 0) + 1)
    }
    for (const n of counts.values()) assert.ok(n > 60 && n < 140, `balanced: ${[...counts.values()]}`)
    for (let id = 1; id <= 300; id++) {
      const after = preferredOwner(["a", "c"], id)!
      if (before.get(id) !== "b") assert.equal(after, before.get(id))
    }
    assert.equal(preferredOwner([], 1), undefined)
  })

  test("events are packed into NOTIFY payloads under 8000 bytes and survive the trip", () => {
    const meta = (i: number, message: string): InfraEventWithMeta => ({
      _tag: "CollectionFailed",
      device: `d${i}`,
      dataType: "containers",
      error: { code: "command_failed", message },
      id: i,
      time: new Date(0).toISOString(),
    })
    const events = Array.from({ length: 200 }, (_, i) => meta(i, "x".repeat(100)))
    const huge = meta(999, "é".repeat(20_000))
    const { payloads, dropped } = encodeEvents("node-a", [...events, huge])
    assert.equal(dropped, 0)
    assert.ok(payloads.length > 1)
    const back = payloads.flatMap((p) => {
      assert.ok(new TextEncoder().encode(p).length <= MAX_PAYLOAD_BYTES)
      const r = decodeEvents(p)
      assert.equal(r?.from, "node-a")
      return r?.events ?? []
    })
    assert.equal(back.length, 201)
    assert.deepEqual(back.slice(0, 200).map((e) => (e as any).device), events.map((e) => (e as any).device))
    assert.ok(back.every((e) => e.origin === "node-a" && !("id" in e) && !("time" in e)))
    assert.ok((back[200] as any).error.message.length < 300, "long strings are cut, the event still goes")
    assert.equal(decodeEvents("not json"), undefined)
    assert.equal(decodeEvents(JSON.stringify({ v: 2, i: "x", es: [] })), undefined)
    assert.deepEqual(decodeEvents(JSON.stringify({ v: 1, i: "x", es: [{ nope: 1 }, 3] }))?.events, [])
  })
})

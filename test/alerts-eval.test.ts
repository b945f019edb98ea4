/**
 * The alert engine's pure parts: rule evaluation over stored rows (thresholds with hysteresis,
 * the named predicates), the lifecycle transitions, scopes, silences, and the `alerts:` section
 * of the config file.
 */
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Result, Schema } from "effect"
import { builtinRules } from "../src/alerts/builtins.ts"
import { evaluate, isTypeFailure, pathValue, readsPrevious, type Source, subjectsOf } from "../src/alerts/evaluate.ts"
import { applyPatch, inScope, silenced, transition } from "../src/alerts/lifecycle.ts"
import { AlertRule, msOf } from "../src/alerts/model.ts"
import { alertSettingsFrom } from "../src/alerts/settings.ts"
import { decodeConfigDocument } from "../src/settings/schema.ts"

const builtin = (id: string): AlertRule => {
  const rule = builtinRules.find((r) => r.id === id)
  assert.ok(rule, id)
  return rule
}

const metricsRow = (data: unknown, columns: Record<string, unknown> = {}) => ({
  time: new Date(0),
  device_id: 1,
  ...columns,
  data: JSON.stringify(data),
})

const rows = (
  dataType: "drive_health" | "zfs" | "containers" | "systemd_services",
  current: Array<object>,
  previous: Array<object> = [],
): Source => ({
  kind: "rows",
  dataType,
  current: current.map((r) => ({ ...r, data: {} })),
  previous: previous.map((r) => ({ ...r, data: {} })),
})

const verdicts = (rule: AlertRule, source: Source) =>
  Object.fromEntries(evaluate(rule, source).observations.map((o) => [o.subject, o.verdict]))

describe("alert rules: evaluation", () => {
  test("every built-in decodes as a rule, with a unique id", () => {
    for (const r of builtinRules) assert.deepEqual(Schema.decodeUnknownSync(AlertRule)(r), r)
    assert.equal(new Set(builtinRules.map((r) => r.id)).size, builtinRules.length)
  })

  test("a threshold with hysteresis: fire above, hold in the band, clear below", () => {
    const rule = builtin("memory_high")
    const at = (pct: number) =>
      evaluate(rule, {
        kind: "rows",
        dataType: "system_metrics",
        current: [metricsRow({ memory: { used_percent: pct } })],
        previous: [],
      })
    assert.equal(at(95).observations[0]?.verdict, "fire")
    assert.equal(at(95).observations[0]?.value, 95)
    assert.equal(at(88).observations[0]?.verdict, "hold")
    assert.equal(at(85).observations[0]?.verdict, "clear")
    assert.equal(at(10).observations[0]?.verdict, "clear")
    assert.equal(at(95).complete, true)
  })

  test("disk usage per real mount; pseudo filesystems left out", () => {
    const data = {
      disk: {
        mounts: [
          { mountpoint: "/", filesystem: "/dev/sda1", used_percent: 97, pseudo: false },
          { mountpoint: "/srv", filesystem: "/dev/sdb1", used_percent: 87, pseudo: false },
          { mountpoint: "/run", filesystem: "tmpfs", used_percent: 99, pseudo: true },
        ],
      },
    }
    const source: Source = { kind: "rows", dataType: "system_metrics", current: [metricsRow(data)], previous: [] }
    assert.deepEqual(verdicts(builtin("disk_usage_warning"), source), { "/": "fire", "/srv": "fire" })
    assert.deepEqual(verdicts(builtin("disk_usage_critical"), source), { "/": "fire", "/srv": "clear" })
    const obs = evaluate(builtin("disk_usage_critical"), source).observations[0]
    assert.deepEqual(obs?.labels, { mount: "/", filesystem: "/dev/sda1" })
  })

  test("load per core is derived from load1 and the core count", () => {
    const data = { load: { load1: 9 }, cpu: { cores: [{}, {}, {}, {}] } }
    const [obs] = subjectsOf("system_metrics", [metricsRow(data)])
    assert.equal(obs?.record["load_per_core"], 2.25)
    const source: Source = { kind: "rows", dataType: "system_metrics", current: [metricsRow(data)], previous: [] }
    assert.equal(verdicts(builtin("load_per_core_high"), source)[""], "fire")
  })

  test("columns win over the parsed data; paths follow own properties only", () => {
    const [s] = subjectsOf("system_metrics", [metricsRow({ cpu_percent: 1 }, { cpu_percent: 50 })])
    assert.equal(s?.record["cpu_percent"], 50)
    assert.equal(pathValue({ a: { b: 1 } }, "a.b"), 1)
    assert.equal(pathValue({ a: {} }, "a.constructor"), undefined)
    assert.equal(pathValue({ a: [1] }, "a.length"), undefined)
  })

  test("drives: SMART failing, NVMe critical warning, sectors increased since the last read", () => {
    const now = [
      { device_path: "/dev/sda", status: "failing", smart_passed: false, reallocated_sectors: 8, pending_sectors: 0 },
      { device_path: "/dev/sdb", status: "passed", smart_passed: true, reallocated_sectors: 3, pending_sectors: 1 },
    ]
    const before = [
      { device_path: "/dev/sda", reallocated_sectors: 8, pending_sectors: 0 },
      { device_path: "/dev/sdb", reallocated_sectors: 3, pending_sectors: 0 },
    ]
    assert.deepEqual(verdicts(builtin("smart_failing"), rows("drive_health", now)), {
      "/dev/sda": "fire",
      "/dev/sdb": "clear",
    })
    assert.deepEqual(verdicts(builtin("drive_sectors_increased"), rows("drive_health", now, before)), {
      "/dev/sda": "clear",
      "/dev/sdb": "fire",
    })
    assert.ok(readsPrevious(builtin("drive_sectors_increased")) && !readsPrevious(builtin("smart_failing")))
    // No previous read: nothing to compare with, nothing fires.
    assert.deepEqual(verdicts(builtin("drive_sectors_increased"), rows("drive_health", now)), {
      "/dev/sda": "clear",
      "/dev/sdb": "clear",
    })
    const nvme: Source = {
      kind: "rows",
      dataType: "drive_health",
      current: [{ device_path: "/dev/nvme0", data: JSON.stringify({ nvme: { critical_warning: 4 } }) }],
      previous: [],
    }
    assert.equal(evaluate(builtin("nvme_critical_warning"), nvme).observations[0]?.value, 4)
    assert.equal(verdicts(builtin("nvme_critical_warning"), nvme)["/dev/nvme0"], "fire")
  })

  test("zfs: pool health and new errors", () => {
    const now = [{ pool: "tank", health: "DEGRADED", read_errors: 0, write_errors: 2, cksum_errors: "5" }]
    const before = [{ pool: "tank", health: "ONLINE", read_errors: 0, write_errors: 0, cksum_errors: "5" }]
    assert.equal(verdicts(builtin("zpool_not_online"), rows("zfs", now))["tank"], "fire")
    const inc = evaluate(builtin("zpool_errors_increased"), rows("zfs", now, before)).observations[0]
    assert.equal(inc?.verdict, "fire")
    assert.equal(inc?.value, 2)
    const scrub = (errors: number | null): Source => ({
      kind: "rows",
      dataType: "zfs",
      current: [{ pool: "tank", data: { status: { scan: { state: "finished", errors } } } }],
      previous: [],
    })
    assert.equal(verdicts(builtin("zpool_scrub_errors"), scrub(3))["tank"], "fire")
    assert.equal(verdicts(builtin("zpool_scrub_errors"), scrub(0))["tank"], "clear")
    assert.deepEqual(evaluate(builtin("zpool_scrub_errors"), scrub(null)).observations, [], "no scrub: nothing to say")
  })

  test("containers: exited with a non-zero code, unhealthy, restarting in a loop", () => {
    const now = [
      { name: "web", state: "running", health: "healthy", restart_count: 10, exit_code: 0 },
      { name: "job", state: "exited", health: null, restart_count: 0, exit_code: 0 },
      { name: "crash", state: "exited", health: null, restart_count: 0, exit_code: 137 },
      { name: "sick", state: "running", health: "unhealthy", restart_count: 0, exit_code: 0 },
    ]
    const before = [{ name: "web", restart_count: 6 }]
    assert.deepEqual(verdicts(builtin("container_exited"), rows("containers", now)), {
      web: "clear",
      job: "clear",
      crash: "fire",
      sick: "clear",
    })
    assert.equal(verdicts(builtin("container_unhealthy"), rows("containers", now))["sick"], "fire")
    assert.equal(verdicts(builtin("container_restarting"), rows("containers", now, before))["web"], "fire")
    assert.equal(verdicts(builtin("container_restarting"), rows("containers", now))["web"], "clear")
    const missing: AlertRule = {
      id: "must-run",
      name: "Named containers present",
      severity: "critical",
      scope: { all: true },
      condition: { kind: "predicate", predicate: "container_missing", names: ["web", "db"] },
    }
    assert.deepEqual(verdicts(missing, rows("containers", now)), { web: "clear", db: "fire" })
  })

  test("systemd: failed units", () => {
    const now = [{ unit: "a.service", active_state: "failed", sub_state: "failed" }, {
      unit: "b.service",
      active_state: "active",
    }]
    assert.deepEqual(verdicts(builtin("systemd_unit_failed"), rows("systemd_services", now)), {
      "a.service": "fire",
      "b.service": "clear",
    })
  })

  test("device status, failures in a row, config changes by risk", () => {
    assert.equal(verdicts(builtin("device_offline"), { kind: "status", status: "offline" })[""], "fire")
    assert.equal(verdicts(builtin("device_offline"), { kind: "status", status: "online" })[""], "clear")
    assert.equal(verdicts(builtin("host_key_mismatch"), { kind: "status", status: "host_key_mismatch" })[""], "fire")
    const failing = builtin("collection_failing")
    assert.equal(verdicts(failing, { kind: "failures", dataType: "zfs", count: 3 })["zfs"], "fire")
    assert.equal(verdicts(failing, { kind: "failures", dataType: "zfs", count: 1 })["zfs"], "hold")
    assert.equal(verdicts(failing, { kind: "failures", dataType: "zfs", count: 0 })["zfs"], "clear")
    // Only failures of the type itself count; an unreachable host is device_offline's.
    assert.ok(isTypeFailure("command_failed") && isTypeFailure("parse_error"))
    assert.ok(!isTypeFailure("ssh_connect_refused") && !isTypeFailure("bad_request"))
    const change = (risk: "LOW" | "HIGH" | "CRITICAL"): Source => ({
      kind: "config",
      change: {
        path: "/etc/nginx/nginx.conf",
        configType: "proxy_configs",
        changeType: "MODIFY",
        risk,
        snapshotId: 7,
        riskRule: "ssl_changed",
        diffSummary: { added: 1, removed: 1 },
      },
    })
    const rule = builtin("config_change_high_risk")
    assert.deepEqual(evaluate(rule, change("LOW")).observations, [])
    const [high] = evaluate(rule, change("CRITICAL")).observations
    assert.equal(high?.subject, "/etc/nginx/nginx.conf#7")
    assert.deepEqual(high?.details, {
      snapshot_id: 7,
      risk_rule: "ssl_changed",
      diff_summary: { added: 1, removed: 1 },
    })
    // A rule ignores sources it does not read.
    assert.deepEqual(evaluate(rule, { kind: "status", status: "offline" }).observations, [])
    assert.deepEqual(evaluate(builtin("memory_high"), rows("zfs", [{ pool: "x" }])).observations, [])
  })
})

describe("alert lifecycle", () => {
  const obs = (verdict: "fire" | "clear" | "hold") => ({
    subject: "",
    verdict,
    value: 1,
    threshold: 1,
    summary: "",
    labels: {},
  })

  test("pending until `for` has passed, then firing; firing until cleared or gone", () => {
    assert.deepEqual(transition(undefined, obs("fire"), 60_000, 0), { kind: "open", state: "pending" })
    assert.deepEqual(transition(undefined, obs("fire"), 0, 0), { kind: "open", state: "firing" })
    assert.deepEqual(transition(undefined, obs("hold"), 0, 0), { kind: "none" })
    const pending = { id: 1, state: "pending" as const, startedAt: 1000 }
    assert.deepEqual(transition(pending, obs("fire"), 60_000, 30_000), { kind: "update" })
    assert.deepEqual(transition(pending, obs("fire"), 60_000, 61_000), { kind: "fire" })
    assert.deepEqual(transition(pending, obs("hold"), 60_000, 61_000), { kind: "drop" })
    const firing = { id: 1, state: "firing" as const, startedAt: 0 }
    assert.deepEqual(transition(firing, obs("hold"), 0, 1), { kind: "update" })
    assert.deepEqual(transition(firing, obs("fire"), 0, 1), { kind: "update" })
    assert.deepEqual(transition(firing, obs("clear"), 0, 1), { kind: "resolve" })
    assert.deepEqual(transition(firing, undefined, 0, 1), { kind: "resolve" })
  })

  test("scopes and silences", () => {
    const web = { name: "web1", tags: ["prod", "web"] }
    assert.ok(inScope({ all: true }, web))
    assert.ok(inScope({ tag: "prod" }, web))
    assert.ok(!inScope({ tag: "lab" }, web))
    assert.ok(inScope({ devices: ["web1"] }, web))
    assert.ok(!inScope({ devices: ["web2"] }, web))
    const s = { id: 1, ruleId: "disk_usage_warning", device: null, tag: "prod", subject: null, until: 1000 }
    assert.ok(silenced([s], { ruleId: "disk_usage_warning", device: web, subject: "/" }, 999))
    assert.ok(!silenced([s], { ruleId: "disk_usage_warning", device: web, subject: "/" }, 1000), "expired")
    assert.ok(!silenced([s], { ruleId: "cpu_high", device: web, subject: "" }, 0), "other rule")
    assert.ok(!silenced([s], { ruleId: "disk_usage_warning", device: { name: "x", tags: [] }, subject: "/" }, 0))
  })

  test("overrides patch a built-in field by field", () => {
    const r = applyPatch(builtin("device_offline"), { for: "10s", enabled: undefined })
    assert.equal(r.for, "10s")
    assert.equal(r.name, "Device offline")
    assert.equal(msOf(r.for), 10_000)
    assert.equal(msOf("5m"), 300_000)
    assert.equal(msOf(30), 30_000)
  })
})

describe("alerts in the config file", () => {
  test("rules, built-in switches and the interval are accepted and resolved", () => {
    const doc = {
      alerts: {
        evaluation_interval: "5s",
        builtins: {
          cpu_high: false,
          device_offline: { for: "5m", severity: "warning" },
          disk_usage_warning: { threshold: 80, resolve_threshold: 75 },
        },
        rules: [{
          id: "root-full",
          name: "Root almost full",
          severity: "critical",
          scope: { tag: "prod" },
          condition: {
            kind: "threshold",
            data_type: "system_metrics",
            records: "mounts",
            metric: "used_percent",
            comparator: ">",
            threshold: 98,
          },
          for: "1m",
        }],
      },
    }
    const decoded = decodeConfigDocument(doc)
    assert.ok(Result.isSuccess(decoded), JSON.stringify(decoded))
    const settings = alertSettingsFrom(decoded.success.alerts)
    assert.equal(settings.tickMs, 5000)
    assert.equal(settings.builtins["cpu_high"], false)
    assert.equal(settings.rules[0]?.id, "root-full")
    const disk = settings.builtins["disk_usage_warning"]
    assert.ok(disk !== undefined && disk !== false)
    const tuned = applyPatch(builtin("disk_usage_warning"), disk)
    assert.deepEqual(
      tuned.condition.kind === "threshold" && [tuned.condition.threshold, tuned.condition.resolve_threshold],
      [80, 75],
    )
  })

  test("unknown keys, unknown built-ins and user code are refused", () => {
    const bad: Array<unknown> = [
      { alerts: { rulez: [] } },
      { alerts: { builtins: { no_such_rule: false } } },
      {
        alerts: {
          rules: [{
            id: "x",
            name: "x",
            severity: "warning",
            scope: { all: true },
            condition: { kind: "expression", code: "process.exit()" },
          }],
        },
      },
      {
        alerts: {
          rules: [{
            id: "x",
            name: "x",
            severity: "warning",
            scope: { all: true },
            condition: {
              kind: "threshold",
              data_type: "system_metrics",
              metric: "a[0]",
              comparator: ">",
              threshold: 1,
            },
          }],
        },
      },
    ]
    const rule = {
      id: "x",
      name: "x",
      severity: "warning",
      scope: { all: true },
      condition: { kind: "predicate", predicate: "systemd_unit_failed" },
    }
    bad.push({ alerts: { rules: [rule, rule] } }, { alerts: { rules: [{ ...rule, id: "cpu_high" }] } })
    for (const doc of bad) assert.ok(Result.isFailure(decodeConfigDocument(doc)), JSON.stringify(doc))
    assert.ok(Result.isSuccess(decodeConfigDocument({ alerts: { rules: [rule] } })))
  })
})

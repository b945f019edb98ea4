/**
 * Issue 10, defect 12: the whole configuration document is checked by one Schema. Unknown keys are
 * refused at every depth with their path and the nearest known key; wrong types name their path;
 * maps keyed by user names (devices, data types) keep working.
 */
import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, test } from "node:test"
import { loadConfig, resolveConfig, resolveOptions } from "../src/settings/load.ts"
import { ValidationError } from "../src/domain/errors.ts"

interface Problem {
  readonly path: string
  readonly problem: string
  readonly suggestion?: string
}

/** The ValidationError a document gets, with its listed problems. */
const refusal = (doc: Record<string, unknown>, env: Record<string, string> = {}) => {
  let caught: unknown
  try {
    resolveConfig(doc, env)
  } catch (e) {
    caught = e
  }
  assert.ok(caught instanceof ValidationError, `expected a ValidationError, got ${String(caught)}`)
  const details = caught.details as { problems?: ReadonlyArray<Problem> } | undefined
  return { message: caught.message, problems: details?.problems ?? [] }
}

const problemAt = (problems: ReadonlyArray<Problem>, at: string): Problem => {
  const p = problems.find((x) => x.path === at)
  assert.ok(p !== undefined, `no problem reported at ${at}; got ${problems.map((x) => x.path).join(", ")}`)
  return p
}

const dir = mkdtempSync(path.join(os.tmpdir(), "infra-config-schema-"))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Every key README.md "Configuration" (and the scheduler, watch, retention, mcp sections) documents. */
const everyKey = {
  host: "0.0.0.0",
  port: 9000,
  data_dir: "/var/lib/infra",
  database_url: "postgres://u@db/infra",
  log_level: "warn",
  local_device: false,
  ttl: { containers: 15, system_metrics: 60, zfs: 900 },
  ssh: {
    connect_timeout_ms: 5000,
    command_timeout_ms: 20_000,
    idle_timeout_ms: 60_000,
    shells_per_connection: 2,
    host_key_policy: "strict",
  },
  cache: { max_entries: 100, max_bytes: 1_048_576, stale_while_revalidate: 0.5 },
  devices: [
    { name: "nas", host: "nas.lan", username: "admin", private_key_path: "/k", tags: ["storage"] },
    { name: "pi", host: "pi", port: 2222, password: "pw", transport: "ssh" },
    { name: "self", transport: "local" },
  ],
  instance_id: "node-a",
  schedule: {
    enabled: true,
    intervals: { containers: "15s", zfs: 0, system_logs: "off" },
    cron: { drive_health: "0 3 * * *" },
    disabled: ["vm_status"],
    devices: { nas: { intervals: { system_metrics: 30 }, cron: {}, disabled: ["zfs"] } },
    jitter: 0.5,
    cron_jitter: "10s",
    catch_up: "1m",
    max_concurrent: 8,
    max_per_device: 2,
    device_refresh: "30s",
    drain_timeout: "5s",
    health: { offline_after: 2, backoff_base: "1s", backoff_max: "1m", breaker_threshold: 3 },
    ownership: "single",
    lease_ttl: "30s",
  },
  watch: {
    globs: { proxy_configs: ["/etc/nginx/conf.d/*.conf"], env_files: [] },
    devices: { nas: { globs: { docker_compose: ["/srv/*/compose.yaml"] }, enabled: false } },
    verify_interval_ms: 600_000,
    debounce_ms: 200,
    poll_interval_ms: 30_000,
    store_raw_secrets: false,
    max_file_bytes: 1_000_000,
  },
  retention: { system_logs: 7, drive_health: 0 },
  mcp: { allow_writes: true },
  http: { max_body_bytes: 2_000_000 },
}

describe("configuration schema: what is accepted", () => {
  test("a document using every documented key resolves as before", () => {
    const c = resolveConfig(everyKey, {})
    assert.equal(c.port, 9000)
    assert.equal(c.ssh.hostKeyPolicy, "strict")
    assert.equal(c.devices.length, 3)
    assert.equal(c.devices[1]?.port, 2222)
    assert.deepEqual(c.ttl, { containers: 15, system_metrics: 60, zfs: 900 })
    assert.equal(c.scheduler.instanceId, "node-a")
    assert.equal(c.watch.devices?.["nas"]?.enabled, false)
    assert.deepEqual(c.retention, { system_logs: 7, drive_health: 0 })
    assert.deepEqual(c.http, { maxBodyBytes: 2_000_000 })
  })

  test("maps keyed by user names take any device name", () => {
    const c = resolveConfig({
      watch: { devices: { "my.nas-1": { enabled: true }, web_02: { globs: { env_files: ["/srv/.env"] } } } },
      schedule: { devices: { "anything.at.all": { intervals: { containers: "1m" } } } },
    }, {})
    assert.deepEqual(Object.keys(c.watch.devices ?? {}).sort(), ["my.nas-1", "web_02"])
    assert.deepEqual(Object.keys(c.scheduler.devices), ["anything.at.all"])
  })

  test("empty sections (YAML `ssh:` with nothing under it) and an empty document stay defaults", () => {
    const c = resolveConfig({ ssh: null, cache: null, watch: null, schedule: null, http: null, devices: null }, {})
    assert.equal(c.ssh.connectTimeoutMs, 10_000)
    assert.deepEqual(c.http, { maxBodyBytes: 1_048_576 })
    assert.deepEqual(resolveConfig({}, {}).http, { maxBodyBytes: 1_048_576 })
  })

  test("http.max_body_bytes: file, then INFRA_MAX_BODY_BYTES wins; bad values are refused", () => {
    assert.equal(resolveConfig({ http: { max_body_bytes: 4096 } }, {}).http.maxBodyBytes, 4096)
    assert.equal(
      resolveConfig({ http: { max_body_bytes: 4096 } }, { INFRA_MAX_BODY_BYTES: "8192" }).http.maxBodyBytes,
      8192,
    )
    assert.match(refusal({}, { INFRA_MAX_BODY_BYTES: "lots" }).message, /INFRA_MAX_BODY_BYTES/)
    assert.match(refusal({}, { INFRA_MAX_BODY_BYTES: "1.5" }).message, /INFRA_MAX_BODY_BYTES/)
    const p = problemAt(refusal({ http: { max_body_bytes: 0 } }).problems, "http.max_body_bytes")
    assert.match(p.problem, /1/)
    problemAt(refusal({ http: { max_body_bytes: 10.5 } }).problems, "http.max_body_bytes")
  })
})

describe("configuration schema: unknown keys", () => {
  test("a top-level typo names the key and the nearest known one", () => {
    const r = refusal({ prot: 9000 })
    const p = problemAt(r.problems, "prot")
    assert.equal(p.suggestion, "port")
    assert.match(r.message, /prot/)
    assert.match(r.message, /did you mean `port`\?/)
  })

  test("typos at every depth are all reported at once, each with its path", () => {
    const r = refusal({
      ...everyKey,
      ssh: { conect_timeout_ms: 5000 },
      devices: [{ name: "a" }, { name: "b" }, { name: "c", prot: 22 }],
      schedule: {
        health: { ofline_after: 2 },
        devices: { nas: { intervalz: { zfs: 60 } } },
        intervals: { container: "1m" },
      },
      watch: { devices: { nas: { enabeld: true } }, globs: { proxy_config: [] } },
      mcp: { allow_write: true },
      http: { max_body_byte: 10 },
      ttl: { containerz: 10 },
      retention: { system_log: 7 },
    })
    const want: Record<string, string> = {
      "ssh.conect_timeout_ms": "connect_timeout_ms",
      "devices[2].prot": "port",
      "schedule.health.ofline_after": "offline_after",
      "schedule.devices.nas.intervalz": "intervals",
      "schedule.intervals.container": "containers",
      "watch.devices.nas.enabeld": "enabled",
      "watch.globs.proxy_config": "proxy_configs",
      "mcp.allow_write": "allow_writes",
      "http.max_body_byte": "max_body_bytes",
      "ttl.containerz": "containers",
      "retention.system_log": "system_logs",
    }
    for (const [at, suggestion] of Object.entries(want)) {
      assert.equal(problemAt(r.problems, at).suggestion, suggestion, at)
      assert.ok(r.message.includes(at), `message names ${at}`)
    }
    assert.equal(r.problems.length, Object.keys(want).length)
    assert.match(r.message, new RegExp(`${r.problems.length} problems`))
  })

  test("an unknown key far from every known one lists the known keys instead", () => {
    const p = problemAt(refusal({ ssh: { zzzzzzzz: 1 } }).problems, "ssh.zzzzzzzz")
    assert.equal(p.suggestion, undefined)
    assert.match(p.problem, /connect_timeout_ms/)
    assert.match(p.problem, /host_key_policy/)
  })

  test("a device name with dots is quoted in the path", () => {
    const r = refusal({ watch: { devices: { "my.nas": { globz: {} } } } })
    assert.equal(problemAt(r.problems, 'watch.devices["my.nas"].globz').suggestion, "globs")
  })
})

describe("configuration schema: wrong types", () => {
  test("strings, lists and objects where they do not belong are named with their path", () => {
    const r = refusal({
      port: "abc",
      local_device: "yes",
      ssh: { host_key_policy: "maybe", connect_timeout_ms: "5s" },
      devices: [{ name: "a", tags: "x,y" }, { name: "b", port: "22" }, "just-a-string"],
      watch: { store_raw_secrets: "no" },
      schedule: "often",
    })
    for (
      const at of [
        "port",
        "local_device",
        "ssh.host_key_policy",
        "ssh.connect_timeout_ms",
        "devices[0].tags",
        "devices[1].port",
        "devices[2]",
        "watch.store_raw_secrets",
        "schedule",
      ]
    ) problemAt(r.problems, at)
    assert.match(problemAt(r.problems, "port").problem, /number/)
    assert.match(problemAt(r.problems, "port").problem, /"abc"/)
    assert.match(problemAt(r.problems, "ssh.host_key_policy").problem, /tofu/)
    assert.match(r.message, /devices\[1\]\.port/)
  })

  test("a device without a name, and numbers out of range, are refused with their path", () => {
    const r = refusal({ devices: [{ host: "h" }], port: 70_000, ssh: { shells_per_connection: 0 } })
    assert.match(problemAt(r.problems, "devices[0].name").problem, /missing/i)
    problemAt(r.problems, "port")
    problemAt(r.problems, "ssh.shells_per_connection")
  })

  test("an unknown data type in a list of data types is named", () => {
    problemAt(refusal({ schedule: { disabled: ["containers", "containerz"] } }).problems, "schedule.disabled[1]")
  })
})

describe("loadConfig reads a YAML file through the same schema", () => {
  test("the file is named in the message, and a good file still loads", () => {
    const bad = path.join(dir, "bad.yaml")
    writeFileSync(bad, "prot: 9000\nssh:\n  conect_timeout_ms: 100\n")
    assert.throws(
      () => loadConfig(bad, {}),
      (e: unknown) =>
        e instanceof ValidationError && e.message.includes(bad) && /prot/.test(e.message) &&
        /ssh\.conect_timeout_ms/.test(e.message),
    )
    const good = path.join(dir, "good.yaml")
    writeFileSync(
      good,
      "port: 9001\nhttp: { max_body_bytes: 65536 }\nwatch:\n  devices:\n    nas: { enabled: false }\n",
    )
    const c = loadConfig(good, {})
    assert.equal(c.port, 9001)
    assert.equal(c.http.maxBodyBytes, 65536)
  })
})

describe("configuration schema: values the sections decode and check", () => {
  test("durations decode to milliseconds; bad ones name the key, the expected form and the range", () => {
    const s = resolveConfig({
      schedule: { intervals: { containers: "10s", zfs: 0, vm_status: false }, catch_up: "2m", lease_ttl: 20 },
    }, {}).scheduler
    assert.deepEqual(s.cadence["containers"], { kind: "interval", ms: 10_000 })
    assert.deepEqual(s.cadence["zfs"], { kind: "off" })
    assert.deepEqual(s.cadence["vm_status"], { kind: "off" })
    assert.equal(s.catchUpMs, 120_000)
    assert.equal(s.leaseTtlMs, 20_000)
    const r = refusal({ schedule: { catch_up: "soon", drain_timeout: "1h", intervals: { zfs: "often" } } })
    assert.match(problemAt(r.problems, "schedule.catch_up").problem, /expected a duration like 30, "30s"/)
    assert.match(problemAt(r.problems, "schedule.drain_timeout").problem, /between 0 s and 600 s, got 3600 s/)
    assert.match(problemAt(r.problems, "schedule.intervals.zfs").problem, /"off"/)
  })

  test("cron syntax, backoff order and instance ids are checked by the Schema, with the other problems", () => {
    const r = refusal({
      instance_id: "has space",
      schedule: { cron: { zfs: "61 * * * *" }, health: { backoff_base: "1m", backoff_max: "1s" } },
    })
    assert.match(problemAt(r.problems, "schedule.cron.zfs").problem, /invalid cron expression "61 \* \* \* \*"/)
    assert.match(problemAt(r.problems, "schedule.health.backoff_max").problem, /below backoff_base \(60 s\)/)
    assert.match(problemAt(r.problems, "instance_id").problem, /letters, digits/)
    assert.equal(r.problems.length, 3)
  })

  test("watch globs are absolute, retention days whole, protected tables named", () => {
    const r = refusal({
      watch: { globs: { proxy_configs: ["conf.d/*.conf"] }, debounce_ms: 1 },
      retention: { system_logs: 1.5, configuration_snapshots: 30, system_log: 3 },
    })
    assert.match(problemAt(r.problems, "watch.globs.proxy_configs[0]").problem, /absolute glob pattern/)
    assert.match(problemAt(r.problems, "watch.debounce_ms").problem, /≥ 10/)
    assert.match(problemAt(r.problems, "retention.system_logs").problem, /whole number of days/)
    assert.match(problemAt(r.problems, "retention.configuration_snapshots").problem, /kept forever/)
    assert.match(problemAt(r.problems, "retention.system_log").problem, /unknown table, did you mean `system_logs`/)
  })

  test("environment variables decode in one place; each bad one is named with what it expects", () => {
    const c = resolveConfig({ schedule: { enabled: true } }, {
      INFRA_PORT: "9100",
      INFRA_LOCAL_DEVICE: "0",
      INFRA_SCHEDULE: "false",
      INFRA_LEASE_TTL: "15s",
      INFRA_INSTANCE_ID: "node-b",
      INFRA_HOST: "",
    })
    assert.equal(c.port, 9100)
    assert.equal(c.localDevice, false)
    assert.equal(c.scheduler.enabled, false)
    assert.equal(c.scheduler.leaseTtlMs, 15_000)
    assert.equal(c.scheduler.instanceId, "node-b")
    assert.equal(c.host, "127.0.0.1", "an empty variable is as if unset")
    const r = refusal({ prot: 1 }, { INFRA_PORT: "abc", INFRA_SCHEDULE: "yes", INFRA_LOG_LEVEL: "loud" })
    assert.match(problemAt(r.problems, "INFRA_PORT").problem, /expected a number, got "abc"/)
    assert.match(problemAt(r.problems, "INFRA_SCHEDULE").problem, /true, false, 1 or 0/)
    problemAt(r.problems, "INFRA_LOG_LEVEL")
    problemAt(r.problems, "prot")
  })

  test("booleans in the document are true or false, never strings", () => {
    const r = refusal({ mcp: { allow_writes: "true" }, local_device: "1" })
    assert.match(problemAt(r.problems, "mcp.allow_writes").problem, /expected true or false, got "true"/)
    problemAt(r.problems, "local_device")
  })
})

describe("the library's camelCase options go through the same field schemas", () => {
  test("good options resolve over the defaults; typos and bad values are refused with their path", () => {
    const c = resolveOptions({
      dataDir: "/tmp/x",
      ssh: { connectTimeoutMs: 5000 } as never,
      retention: { system_logs: 3 },
    })
    assert.equal(c.ssh.connectTimeoutMs, 5000)
    assert.equal(c.ssh.commandTimeoutMs, 30_000)
    let caught: unknown
    try {
      resolveOptions({ dataDir: "/tmp/x", port: -1, ssh: { conectTimeoutMs: 5 } as never, retention: { x: 1 } })
    } catch (e) {
      caught = e
    }
    assert.ok(caught instanceof ValidationError)
    assert.match(caught.message, /invalid configuration in options/)
    assert.match(caught.message, /port: /)
    assert.match(caught.message, /ssh\.conectTimeoutMs: unknown key, did you mean `connectTimeoutMs`\?/)
    assert.match(caught.message, /retention\.x: unknown table/)
  })
})

import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { test } from "node:test"
import { loadMcpSettings } from "../src/settings/load.ts"
import { configFileUri, urisForEvent } from "../src/mcp/subscriptions.ts"
import { summariseMetrics } from "../src/app/metrics-summary.ts"
import { devicesFromSshConfig } from "../src/app/ssh-config-import.ts"
import { parseRelative, parseWhen } from "../src/app/when.ts"

test("metrics summary: stats per metric, counter rates, bounded bucket averages", () => {
  const t0 = Date.parse("2024-05-01T00:00:00Z")
  // 100 samples a minute apart; cpu climbs 0..99, rx grows 6000 bytes a minute (100 B/s), one counter reset.
  const rows = Array.from({ length: 100 }, (_, i) => ({
    time: new Date(t0 + i * 60_000),
    cpu_percent: i,
    mem_used_percent: "50",
    net_rx_bytes: i === 60 ? 0 : (i > 60 ? i - 60 : i) * 6000,
    load1: null,
  })).reverse() // newest first, as the store returns them
  const s = summariseMetrics(rows, 10)
  assert.equal(s.samples, 100)
  assert.equal(s.first, "2024-05-01T00:00:00.000Z")
  assert.deepEqual(s.metrics["cpu_percent"], { min: 0, avg: 49.5, max: 99, last: 99 })
  assert.deepEqual(s.metrics["mem_used_percent"], { min: 50, avg: 50, max: 50, last: 50 })
  assert.equal(s.metrics["load1"], undefined, "all-null columns are left out")
  // 99 deltas minus the reset: all exactly 100 B/s.
  assert.deepEqual(s.metrics["net_rx_bytes_per_sec"], { min: 100, avg: 100, max: 100, last: 100 })
  assert.equal(s.points.length, 10)
  assert.deepEqual(s.points.map((p) => p["samples"]), Array(10).fill(10))
  assert.equal(s.points[0]!["cpu_percent"], 4.5)
  assert.equal(s.points[9]!["cpu_percent"], 94.5)
  assert.ok(s.points.every((p, i) => i === 0 || String(p["time"]) > String(s.points[i - 1]!["time"])))
  const few = summariseMetrics(rows.slice(0, 3), 48)
  assert.equal(few.points.length, 3, "never more points than samples")
  assert.deepEqual(summariseMetrics([], 10), { samples: 0, first: null, last: null, metrics: {}, points: [] })
})

test("relative times", () => {
  assert.equal(parseRelative("90m"), 90 * 60_000)
  assert.equal(parseRelative("7d"), 7 * 86_400_000)
  assert.equal(parseRelative("soon"), undefined)
  const now = Date.parse("2024-05-01T12:00:00Z")
  assert.equal(parseWhen("from", "6h", now)?.toISOString(), "2024-05-01T06:00:00.000Z")
  assert.equal(parseWhen("from", "2024-04-30T00:00:00Z", now)?.toISOString(), "2024-04-30T00:00:00.000Z")
  assert.equal(parseWhen("from", undefined, now), undefined)
  assert.throws(() => parseWhen("from", "yesterday-ish", now), /from must be an ISO 8601 time/)
})

test("ssh config import: literal aliases become devices, wildcards are skipped", () => {
  const text = [
    "User everyone",
    "Host *",
    "  Port 2200",
    "Host db-? !db-9",
    "  User dba",
    "Host web-1 web-2",
    "  HostName %h.example.net",
    "  IdentityFile ~/.ssh/id_web",
    "Host bastion",
    "  HostName 192.0.2.1",
    "  Port 22",
    "Match host foo",
    "  User nobody",
  ].join("\n")
  const { inputs, skipped } = devicesFromSshConfig(text)
  assert.deepEqual(skipped.map((s) => s.host).sort(), ["!db-9", "*", "db-?"])
  assert.deepEqual(
    inputs.map((i) => [i.input.name, i.input.host, i.input.port, i.input.username, i.input.privateKeyPath]),
    [
      ["web-1", "web-1.example.net", 2200, "everyone", path.join(os.homedir(), ".ssh/id_web")],
      ["web-2", "web-2.example.net", 2200, "everyone", path.join(os.homedir(), ".ssh/id_web")],
      // First value wins, as in OpenSSH: `Host *` came first with Port 2200.
      ["bastion", "192.0.2.1", 2200, "everyone", null],
    ],
  )
  assert.deepEqual(devicesFromSshConfig(text, ["bastion"]).inputs.map((i) => i.input.name), ["bastion"])
  assert.deepEqual(devicesFromSshConfig("Host x\n  Port nope\n").inputs[0]?.problems, ['line 2: bad Port "nope"'])
})

test("MCP write setting: flag over env over config file, off by default", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-mcp-settings-"))
  try {
    const file = path.join(dir, "infrastructor.yaml")
    writeFileSync(file, "mcp:\n  allow_writes: true\n")
    assert.deepEqual(loadMcpSettings(file, undefined, {}), { allowWrites: true })
    assert.deepEqual(loadMcpSettings(file, undefined, { INFRA_MCP_ALLOW_WRITES: "0" }), { allowWrites: false })
    assert.deepEqual(loadMcpSettings(undefined, true, { INFRA_MCP_ALLOW_WRITES: "0" }), { allowWrites: true })
    assert.deepEqual(loadMcpSettings(undefined, undefined, { INFRA_CONFIG: file }), { allowWrites: true })
    writeFileSync(file, "port: 1\n")
    assert.deepEqual(loadMcpSettings(file, undefined, {}), { allowWrites: false })
    writeFileSync(file, "mcp:\n  allow_writes: maybe\n")
    assert.throws(() => loadMcpSettings(file, undefined, {}), /mcp\.allow_writes: expected true or false/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("events map to the resource URIs they make stale", () => {
  const meta = { id: 1, time: "2024-05-01T00:00:00Z" }
  assert.deepEqual(
    urisForEvent({ ...meta, _tag: "DeviceStatusChanged", device: "nas", from: "unknown", to: "online" }),
    [
      "infra://devices",
      "infra://devices/nas",
    ],
  )
  assert.deepEqual(
    urisForEvent({
      ...meta,
      _tag: "ConfigurationChanged",
      device: "nas",
      path: "/etc/nginx/nginx.conf",
      configType: "proxy_configs",
      changeType: "MODIFY",
      risk: "HIGH",
      snapshotId: 7,
      detectionSource: "watch",
    }),
    ["config://changes", "config://nas/etc/nginx/nginx.conf", "config://proxy-configs"],
  )
  assert.deepEqual(
    urisForEvent({
      ...meta,
      _tag: "DataCollected",
      device: "nas",
      dataType: "containers",
      collectedAt: "",
      cache: "miss",
      recordsCreated: 1,
    }),
    [],
  )
  assert.equal(configFileUri("nas", "relative/x.yml"), "config://nas/relative/x.yml")
})

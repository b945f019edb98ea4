/**
 * Process faults (issue 7): a real `infrastructor serve` process, polling a real sshd host while a
 * client forces refreshes, is SIGKILLed in the middle of its writes and started again on the same
 * data, with no repair step in between.
 * - PGlite on disk (the default store): every row the API showed before a kill is still there
 *   after the restart, and polling writes again. Two kills in a row.
 * - PostgreSQL behind a TCP proxy that is cut: writes go to the write buffer and its spill file;
 *   SIGKILL; the database returns; the next start replays the file: every write the dead process
 *   had spilled lands (what a SIGKILL may lose is only what was not yet in the file; SECURITY.md).
 */
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import postgres from "postgres"
import { decodeLine } from "../src/store/spill.ts"
import { spawnCli } from "./harness/cli.ts"
import { waitFor } from "./harness/scheduler.ts"
import { networkShims } from "./harness/shims/network.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"
import { startTcpProxy } from "./harness/tcp-proxy.ts"

let sshd: SshdHandle
const dirs: Array<string> = []
before(async () => {
  sshd = await startSshd({ address: "127.0.0.41", shims: networkShims })
})
after(() => {
  stopAllSshd()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** inotifywait processes of the test host's user (the config watcher's remote side). */
const hostWatchers = (): number => {
  const r = spawnSync("pgrep", ["-c", "-u", sshd.user, "-x", "inotifywait"], { encoding: "utf8" })
  return Number(r.stdout.trim() || "0")
}

const writeConfig = (dir: string): string => {
  const file = path.join(dir, "infrastructor.yaml")
  const device = (name: string) =>
    `  - { name: ${name}, host: ${sshd.host}, port: ${sshd.port}, username: ${sshd.user}, private_key_path: ${sshd.privateKeyPath} }`
  writeFileSync(
    file,
    [
      "local_device: false",
      "instance_id: kill-test",
      "devices:",
      device("k1"),
      device("k2"),
      "schedule:",
      "  intervals: { system_metrics: 0, network_interfaces: 150ms, containers: 0, docker_networks: 0, drive_health: 0, zfs: 0, systemd_services: 0, vm_status: 0, system_logs: 0 }",
      "",
    ].join("\n"),
  )
  return file
}

interface Served {
  readonly url: string
  readonly exited: Promise<unknown>
  readonly kill: () => Promise<void>
  readonly log: () => string
}

const serve = async (configPath: string, env: Record<string, string>): Promise<Served> => {
  const child = spawnCli(["serve", "--config", configPath], {
    INFRA_PORT: "0",
    INFRA_LOG_LEVEL: "info",
    ...env,
  })
  let out = ""
  let err = ""
  child.stdout.on("data", (d) => (out += String(d)))
  child.stderr.on("data", (d) => (err += String(d)))
  const exited = new Promise((resolve) => child.on("exit", resolve))
  const log = () => `${out}\n${err}`.slice(-3000)
  const kill = async () => {
    child.kill("SIGKILL")
    await exited
  }
  try {
    await waitFor("serve to listen", () => /listening on (http:\/\/\S+)/.test(out), 90_000)
  } catch (e) {
    await kill()
    throw new Error(`${(e as Error).message}\n${log()}`)
  }
  return { url: /listening on (http:\/\/\S+)/.exec(out)![1]!, exited, kill, log }
}

const getJson = async (url: string): Promise<any> => {
  const res = await fetch(url)
  const body = await res.json()
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

const auditIds = async (url: string): Promise<Set<string>> =>
  new Set(
    ((await getJson(`${url}/api/audit?limit=10000`)).entries as Array<{ operation_id: string }>).map((e) =>
      e.operation_id
    ),
  )

const historyTimes = async (url: string, device: string): Promise<Set<string>> =>
  new Set(
    ((await getJson(`${url}/api/devices/${device}/network_interfaces/history?limit=10000`)).rows as Array<
      { time: string }
    >).map((r) => new Date(r.time).toISOString()),
  )

/** Forced refreshes in a loop: writes from the API on top of the scheduler's, until stopped. */
const keepWriting = (url: string) => {
  let running = true
  const loop = (async () => {
    while (running) {
      const ok = await fetch(`${url}/api/devices/k2/network_interfaces?force_refresh=true`)
        .then((r) => r.arrayBuffer().then(() => true))
        .catch(() => false)
      // Once the server is dead a fetch can fail without any I/O: without a real pause this loop
      // would spin on microtasks and starve the timers and the child's exit event.
      if (!ok) await sleep(20)
    }
  })()
  return async () => {
    running = false
    await loop
  }
}

describe("SIGKILL during writes", () => {
  test("PGlite on disk: every committed row survives, the restart needs no repair, writes go on", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "infra-kill-"))
    dirs.push(dir)
    const configPath = writeConfig(dir)
    const env = { INFRA_DATA_DIR: path.join(dir, "data"), DATABASE_URL: "" }
    let seen = new Set<string>()
    let seenTimes = new Set<string>()
    for (let round = 0; round < 2; round++) {
      const s = await serve(configPath, env)
      try {
        const before = (await auditIds(s.url)).size
        for (const id of seen) assert.ok((await auditIds(s.url)).has(id), `round ${round}: audit row ${id} kept`)
        const times = await historyTimes(s.url, "k1")
        for (const t of seenTimes) assert.ok(times.has(t), `round ${round}: k1 row at ${t} kept`)
        const stop = keepWriting(s.url)
        try {
          await waitFor("writes after the start", async () => (await auditIds(s.url)).size >= before + 20, 30_000)
          seen = await auditIds(s.url)
          seenTimes = await historyTimes(s.url, "k1")
          // Kill a random moment later, with the scheduler and the client writing.
          await sleep(Math.floor(Math.random() * 150))
          await s.kill()
        } finally {
          await stop()
        }
      } finally {
        await s.kill()
      }
    }
    const last = await serve(configPath, env)
    try {
      const ids = await auditIds(last.url)
      const missing = [...seen].filter((id) => !ids.has(id))
      assert.deepEqual(missing, [], "every audit row the API had shown is still there")
      const times = await historyTimes(last.url, "k1")
      assert.deepEqual([...seenTimes].filter((t) => !times.has(t)), [], "every k1 row is still there")
      await waitFor("polling writes again", async () => (await historyTimes(last.url, "k1")).size > times.size, 30_000)
      await waitFor("the config watcher running on the host", () => hostWatchers() > 0, 30_000)
    } finally {
      await last.kill()
    }
    // Nothing of ours stays on the host once the process that started it is gone.
    await waitFor("no watcher left behind on the host", () => hostWatchers() === 0, 15_000)
  })

  const databaseUrl = process.env["TEST_DATABASE_URL"]
  test("PostgreSQL cut off: what was spilled to the file lands after SIGKILL and restart", {
    skip: databaseUrl === undefined ? "TEST_DATABASE_URL is not set" : false,
  }, async () => {
    const admin = postgres(databaseUrl!, { max: 1, onnotice: () => undefined })
    const dbName = `infra_kill_${process.pid}_${Date.now()}`
    await admin.unsafe(`CREATE DATABASE ${dbName}`)
    const target = new URL(databaseUrl!)
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    const direct = new URL(databaseUrl!)
    direct.pathname = `/${dbName}`
    const viaProxy = new URL(direct)
    viaProxy.host = `${proxy.host}:${proxy.port}`
    const db = postgres(direct.toString(), { max: 1, onnotice: () => undefined })
    const dir = mkdtempSync(path.join(os.tmpdir(), "infra-kill-pg-"))
    dirs.push(dir)
    const configPath = writeConfig(dir)
    const env = { INFRA_DATA_DIR: path.join(dir, "data"), DATABASE_URL: viaProxy.toString() }
    const spillFile = path.join(dir, "data", "write-buffer.jsonl")
    try {
      const s = await serve(configPath, env)
      let spilled: Array<any> = []
      try {
        await waitFor("polls stored", async () => (await auditIds(s.url)).size >= 5, 30_000)
        await proxy.cut()
        // The scheduler goes on polling; after the buffer's spill delay its writes go to the file.
        await waitFor(
          "writes spilled to the file",
          () => existsSync(spillFile) && readFileSync(spillFile, "utf8").split("\n").length > 15,
          30_000,
        )
        await s.kill()
      } finally {
        await s.kill()
      }
      // A line cut by the kill is skipped on replay; every whole line must land.
      const lines = readFileSync(spillFile, "utf8").split("\n").filter((l) => l.endsWith("}"))
      spilled = lines.flatMap((l) => {
        try {
          return [decodeLine(l)]
        } catch {
          return []
        }
      })
      const spilledAudits = spilled.filter((w) => w.kind === "audit").map((w) => w.entry.operationId as string)
      const spilledRows = spilled.filter((w) => w.kind === "rows" && w.table === "network_interfaces")
      assert.ok(spilledAudits.length >= 5 && spilledRows.length >= 5, `${spilled.length} writes in the file`)

      await proxy.restore()
      const again = await serve(configPath, env)
      try {
        await waitFor("the spill file replayed", () => !existsSync(spillFile), 30_000)
        const stored = new Set((await db`SELECT operation_id FROM data_collection_audit`).map((r) => r.operation_id))
        assert.deepEqual(spilledAudits.filter((id) => !stored.has(id)), [], "every spilled audit row landed")
        const rows = await db`SELECT device_id, time FROM network_interfaces`
        const have = new Set(rows.map((r) => `${r.device_id}@${new Date(r.time).toISOString()}`))
        const lost = spilledRows.flatMap((w) => w.rows as Array<any>)
          .map((r) => `${r.device_id}@${new Date(r.time).toISOString()}`)
          .filter((k) => !have.has(k))
        assert.deepEqual(lost, [], "every spilled network_interfaces row landed")
      } finally {
        await again.kill()
      }
    } finally {
      await proxy.close()
      await db.end()
      await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
      await admin.end()
    }
  })
})

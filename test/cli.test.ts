import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, test } from "node:test"
import { runCli, spawnCli } from "./harness/cli.ts"

const dataDir = mkdtempSync(path.join(os.tmpdir(), "infra-cli-"))
const env = { INFRA_DATA_DIR: dataDir, INFRA_LOG_LEVEL: "info", DATABASE_URL: "", INFRA_CONFIG: "" }
after(() => rmSync(dataDir, { recursive: true, force: true }))

test("device add, list, collect, rm through the CLI on embedded PGlite", () => {
  const add = runCli([
    "device",
    "add",
    "web-1",
    "--host",
    "127.0.0.9",
    "--port",
    "2222",
    "--user",
    "ops",
    "--tags",
    "a,b",
  ], env)
  assert.equal(add.code, 0, add.stderr)
  const added = JSON.parse(add.stdout)
  assert.equal(added.name, "web-1")
  assert.deepEqual(added.tags, ["a", "b"])

  const dup = runCli(["device", "add", "web-1", "--host", "x"], env)
  assert.equal(dup.code, 1)
  assert.match(dup.stderr, /web-1/)

  const list = runCli(["device", "list", "--json"], env)
  assert.equal(list.code, 0, list.stderr)
  const names = JSON.parse(list.stdout).map((d: { name: string }) => d.name).sort()
  assert.deepEqual(names, ["localhost", "web-1"])

  const collect = runCli(["collect", "localhost", "system_metrics", "--fresh", "--json"], env)
  assert.equal(collect.code, 0, collect.stderr)
  const result = JSON.parse(collect.stdout)
  assert.equal(result.data_type, "system_metrics")
  assert.equal(result.cache, "refresh")
  assert.ok(result.data.memory.total_bytes > 0)

  const missing = runCli(["collect", "nope", "system_metrics"], env)
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /device 'nope' not found/)

  assert.equal(runCli(["device", "rm", "web-1"], env).code, 0)
  assert.equal(runCli(["bogus"], env).code, 2)
})

test("serve answers /health and exits cleanly on SIGTERM", async () => {
  const child = spawnCli(["serve"], { ...env, INFRA_PORT: "0" })
  let out = ""
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000)
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)))
  })
  const health: any = await (await fetch(`${url}/health`)).json()
  assert.equal(health.status, "ok")
  assert.equal(health.backend, "pglite")
  const devices: any = await (await fetch(`${url}/api/devices`)).json()
  assert.ok(
    devices.devices.some((d: { name: string; transport: string }) => d.name === "localhost" && d.transport === "local"),
  )
  let err = ""
  child.stderr.on("data", (b: Buffer) => void (err += b.toString()))
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    child.removeAllListeners("exit")
    child.on("exit", (c, s) => resolve([c, s]))
    child.kill("SIGTERM")
  })
  assert.match(err, /scheduler stopped/, "SIGTERM drains the scheduler before exit")
  // Deno reports a child it signalled as killed by that signal even when it exited 0 itself.
  if ("Deno" in globalThis) assert.ok(code === 0 || signal === "SIGTERM", `exit ${code} ${signal}`)
  else assert.equal(code, 0)
})

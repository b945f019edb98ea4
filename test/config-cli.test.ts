/**
 * Issue 10, defect 12, through the real CLI: `prot: 9000` used to start the service on 8080.
 * Now `serve --config FILE` exits 1 before opening anything, naming the key and `port`.
 */
import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, test } from "node:test"
import { spawnCli } from "./harness/cli.ts"

const dir = mkdtempSync(path.join(os.tmpdir(), "infra-config-cli-"))
after(() => rmSync(dir, { recursive: true, force: true }))

const env = {
  INFRA_DATA_DIR: path.join(dir, "data"),
  INFRA_LOG_LEVEL: "error",
  INFRA_LOCAL_DEVICE: "false",
  INFRA_PORT: "0",
  DATABASE_URL: "",
  INFRA_CONFIG: "",
}

/** Runs the CLI until it exits; a process still up after `ms` (i.e. serving) is killed and reported. */
const runUntilExit = (args: ReadonlyArray<string>, ms: number) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; killed: boolean }>((resolve) => {
    const child = spawnCli(args, env)
    let stdout = ""
    let stderr = ""
    let killed = false
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()))
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()))
    const timer = setTimeout(() => {
      killed = true
      child.kill("SIGKILL")
    }, ms)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, killed })
    })
  })

test("serve --config with `prot: 9000` exits 1 naming prot and port, and never listens", async () => {
  const file = path.join(dir, "infrastructor.yaml")
  writeFileSync(file, "prot: 9000\n")
  const r = await runUntilExit(["serve", "--config", file], 30_000)
  assert.equal(r.killed, false, `serve kept running: ${r.stdout}`)
  assert.doesNotMatch(r.stdout, /listening/)
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /prot/)
  assert.match(r.stderr, /did you mean `port`\?/)
  assert.ok(r.stderr.includes(file), "names the file")
})

test("a nested typo and a wrong type are both reported, one line each", async () => {
  const file = path.join(dir, "nested.yaml")
  writeFileSync(file, "ssh:\n  conect_timeout_ms: 100\ndevices:\n  - { name: a, host: a, port: twenty-two }\n")
  const r = await runUntilExit(["device", "list"], 30_000)
  assert.equal(r.code, 0, `without --config nothing is wrong: ${r.stderr}`)
  const bad = await runUntilExit(["device", "list", "--config", file], 30_000)
  assert.equal(bad.code, 1, bad.stderr)
  assert.match(bad.stderr, /2 problems/)
  assert.match(bad.stderr, /\n\s+ssh\.conect_timeout_ms: .*did you mean `connect_timeout_ms`\?/)
  assert.match(bad.stderr, /\n\s+devices\[0\]\.port: .*"twenty-two"/)
})

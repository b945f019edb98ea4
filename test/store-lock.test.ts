/**
 * One process per PGlite data directory (issue 10, defect 8). Two processes on one directory
 * corrupt it (a lost add_device; an api_tokens index that no longer finds its row), so the
 * directory is locked:
 * - a second process fails at once with a StoreError naming the holder's pid and the remedies;
 * - a lock left by a process that died (SIGKILL) is taken over, also when its pid now belongs
 *   to another process;
 * - stores within one process share the directory, and the lock goes with the last of them;
 * - the real CLI: `token create` while `serve` holds the directory exits 1 with that message and
 *   leaves the database intact.
 */
import assert from "node:assert/strict"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import { after, describe, test } from "node:test"
import { Effect, Exit, Layer, Scope } from "effect"
import { StoreError } from "../src/domain/errors.ts"
import { makeStoreLayer, openSqlClient } from "../src/store/layer.ts"
import { Store } from "../src/store/Store.ts"
import { runCli, spawnCli } from "./harness/cli.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const isDeno = "Deno" in globalThis
const holderScript = path.join(here, "harness", `store-lock-holder.${isDeno ? "ts" : "js"}`)
/** The lock file inside the data directory (SECURITY.md names it). */
const lockFile = (dir: string) => path.join(dir, "infrastructor.lock")

const dirs: Array<string> = []
const tempDir = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.push(d)
  return d
}
const children: Array<ChildProcess> = []
after(() => {
  for (const c of children) c.kill("SIGKILL")
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A child process that opens dataDir and holds it until killed. */
const startHolder = async (dataDir: string) => {
  const args = isDeno ? ["run", "-A", holderScript, dataDir] : [holderScript, dataDir]
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
  children.push(child)
  let out = ""
  let err = ""
  child.stdout!.on("data", (d) => (out += String(d)))
  child.stderr!.on("data", (d) => (err += String(d)))
  const exited = new Promise((resolve) => child.on("exit", resolve))
  const deadline = Date.now() + 90_000
  while (!/^(ready|failed)/m.test(out)) {
    if (Date.now() > deadline) throw new Error(`holder did not start\n${out}\n${err}`)
    await sleep(20)
  }
  assert.match(out, /^ready /m, `${out}\n${err}`)
  const kill = async () => {
    child.kill("SIGKILL")
    await exited
  }
  return { pid: child.pid!, kill }
}

/** Opens a client on dataDir (PGlite), runs a query, closes it. Returns the failure, if any. */
const tryOpen = async (dataDir: string): Promise<StoreError | undefined> => {
  const exit = await Effect.runPromiseExit(
    Effect.acquireUseRelease(
      openSqlClient({ dataDir }),
      (client) => Effect.promise(() => client.query("SELECT 1 AS one")),
      (client) => Effect.promise(() => client.close()),
    ),
  )
  if (Exit.isSuccess(exit)) return undefined
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  assert.ok(error?._tag === "Fail", `expected a typed failure: ${String(exit.cause)}`)
  assert.ok(error.error instanceof StoreError)
  return error.error
}

const assertHeldMessage = (message: string, pid: number) => {
  assert.match(message, new RegExp(`\\bpid ${pid}\\b`), "names the holder's pid")
  assert.match(message, /stop/i, "remedy: stop the running process")
  assert.match(message, /API/, "remedy: use the running server's API")
  assert.match(message, /DATABASE_URL/, "remedy: PostgreSQL for several processes")
}

describe("PGlite data directory lock", () => {
  test("a second process fails at once, naming the holder; after a SIGKILL of the holder the next open succeeds", {
    timeout: 180_000,
  }, async () => {
    const dataDir = path.join(tempDir("infra-lock-"), "data")
    const holder = await startHolder(dataDir)
    try {
      const started = Date.now()
      const error = await tryOpen(dataDir)
      const took = Date.now() - started
      assert.ok(error !== undefined, "a second process could open a data directory in use")
      assert.equal(error.unavailable, false, "not an outage: retrying cannot help (no 503 loop)")
      assertHeldMessage(error.message, holder.pid)
      assert.ok(took < 2000, `failed at once, not after opening the database (${took} ms)`)
    } finally {
      await holder.kill()
    }
    assert.ok(existsSync(lockFile(dataDir)), "SIGKILL leaves the lock behind")
    assert.equal(await tryOpen(dataDir), undefined, "a dead holder's lock is taken over")
    assert.equal(existsSync(lockFile(dataDir)), false, "released with the last client")
  })

  test("a lock naming a live process that is not the holder (pid reused) is taken over", {
    timeout: 180_000,
  }, async () => {
    const dataDir = path.join(tempDir("infra-lock-reuse-"), "data")
    const holder = await startHolder(dataDir)
    await holder.kill()
    // A live process now has the pid the lock names (here: made so by editing the lock).
    const other = spawn("sleep", ["60"], { stdio: "ignore" })
    children.push(other)
    try {
      const lock = JSON.parse(readFileSync(lockFile(dataDir), "utf8")) as Record<string, unknown>
      writeFileSync(lockFile(dataDir), JSON.stringify({ ...lock, pid: other.pid }))
      assert.equal(await tryOpen(dataDir), undefined)
    } finally {
      other.kill("SIGKILL")
    }
  })

  test("stores in one process share the directory; the lock goes with the last of them", {
    timeout: 180_000,
  }, async () => {
    const dataDir = path.join(tempDir("infra-lock-shared-"), "data")
    const scopes = [Effect.runSync(Scope.make()), Effect.runSync(Scope.make())]
    const build = (scope: Scope.Closeable) =>
      Effect.runPromise(Scope.provide(Layer.build(makeStoreLayer({ dataDir })), scope))
    // Opened together: the second waits for the first's open instead of seeing a "held" lock.
    const [a, b] = await Promise.all(scopes.map(build))
    const devices = (context: typeof a) =>
      Effect.runPromise(Effect.provideContext(Store.use((s) => s.listDevices()), context!))
    await devices(a!)
    await devices(b!)
    await Effect.runPromise(Scope.close(scopes[0]!, Exit.void))
    await devices(b!)
    assert.ok(existsSync(lockFile(dataDir)), "held while a client is open")
    await Effect.runPromise(Scope.close(scopes[1]!, Exit.void))
    assert.equal(existsSync(lockFile(dataDir)), false)
    const holder = await startHolder(dataDir) // another process may open it now
    await holder.kill()
  })

  test("CLI: token create while serve holds the directory exits 1 with the message; the database stays intact", {
    timeout: 300_000,
  }, async () => {
    const dataDir = path.join(tempDir("infra-lock-cli-"), "data")
    const env = {
      INFRA_DATA_DIR: dataDir,
      DATABASE_URL: "",
      INFRA_CONFIG: "",
      INFRA_LOCAL_DEVICE: "false",
      INFRA_LOG_LEVEL: "error",
    }
    const serve = async () => {
      const child = spawnCli(["serve"], { ...env, INFRA_PORT: "0" })
      children.push(child)
      let out = ""
      child.stdout.on("data", (d) => (out += String(d)))
      child.stderr.on("data", (d) => (out += String(d)))
      const exited = new Promise((resolve) => child.on("exit", resolve))
      const deadline = Date.now() + 90_000
      while (!/listening on (http:\/\/\S+)/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start\n${out}`)
        await sleep(20)
      }
      const url = /listening on (http:\/\/\S+)/.exec(out)![1]!
      const stop = async () => {
        child.kill("SIGTERM")
        await exited
      }
      return { url, pid: child.pid!, stop }
    }

    const first = await serve()
    try {
      const refused = runCli(["token", "create", "--name", "while-serving", "--scope", "read"], env)
      assert.equal(refused.code, 1, `token create succeeded beside serve:\n${refused.stdout}${refused.stderr}`)
      assertHeldMessage(refused.stderr, first.pid)
      assert.equal(refused.stdout, "", "no token was printed")
      const health = await fetch(`${first.url}/health`)
      assert.equal(health.status, 200, "serve is unaffected")
      await health.arrayBuffer()
    } finally {
      await first.stop()
    }

    const created = runCli(["token", "create", "--name", "after", "--scope", "read", "--json"], env)
    assert.equal(created.code, 0, created.stderr)
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string }
    const listed = runCli(["token", "list", "--json"], env)
    assert.equal(listed.code, 0, listed.stderr)
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ id: string }>).map((t) => t.id), [id])

    // The token is found through the api_tokens index again (the corruption made every route 401).
    const second = await serve()
    try {
      const withToken = await fetch(`${second.url}/api/devices`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(withToken.status, 200, await withToken.text())
      const without = await fetch(`${second.url}/api/devices`)
      await without.arrayBuffer()
      assert.equal(without.status, 401)
    } finally {
      await second.stop()
    }
  })
})

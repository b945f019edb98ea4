/**
 * Helpers for the config watching/history tests: the real service graph with watch settings, and a
 * writable directory under the sshd harness user's home that the test host can watch.
 */
import { execFileSync } from "node:child_process"
import { chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import path from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { makeCacheLayer } from "../../src/cache/CacheLive.ts"
import type { StoreError } from "../../src/domain/errors.ts"
import { makeHttpApp } from "../../src/http/app.ts"
import { composeServices } from "../../src/layers.ts"
import { allActions, allDataTypes } from "../../src/collectors/index.ts"
import { Registry } from "../../src/pipeline/Registry.ts"
import type { HostKeys } from "../../src/ssh/HostKeys.ts"
import { makeSshLayer } from "../../src/ssh/SshLive.ts"
import type { Store } from "../../src/store/Store.ts"
import type { WatchSettings } from "../../src/configs/watch/settings.ts"
import { jsonRequester, type TestApp } from "./app.ts"
import { type TestBackend, uniqueSchema } from "./db.ts"
import { TEST_USER } from "./sshd.ts"

export interface WatchAppOptions {
  /** A store kept by the caller (see withSharedStore), so a second app sees the first one's history. */
  readonly store?: Layer.Layer<Store | HostKeys, StoreError> | undefined
}

export const withWatchApp = async <A>(
  backend: TestBackend,
  watch: WatchSettings,
  body: (t: TestApp) => Promise<A>,
  options: WatchAppOptions = {},
): Promise<A> => {
  const layer = composeServices({
    store: options.store ?? backend.layer(uniqueSchema("cfg")),
    ssh: makeSshLayer({ sshDir: "/nonexistent", connectTimeoutMs: 5000, commandTimeoutMs: 30_000 }),
    cache: makeCacheLayer({}),
    registry: Registry.make(allDataTypes, {}, allActions),
    watch,
  }).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  try {
    const app = await runtime.runPromise(makeHttpApp)
    const request = jsonRequester(app)
    return await body({ app, runtime, request })
  } finally {
    await runtime.dispose()
  }
}

/** The sshd harness creates its user on first start; a host dir made before that needs it too. */
const ensureUser = (): void => {
  try {
    execFileSync("id", [TEST_USER], { stdio: "ignore" })
  } catch {
    try {
      execFileSync("useradd", ["-m", "-s", "/bin/sh", TEST_USER], { stdio: "pipe" })
    } catch {
      // Another test file may have created it meanwhile; if not, this throws.
      execFileSync("id", [TEST_USER], { stdio: "ignore" })
    }
  }
}

/**
 * One test schema for several apps in a row: a service restarted with other watch settings keeps
 * its history. The schema is dropped when `body` ends.
 */
export const withSharedStore = async <A>(
  backend: TestBackend,
  body: (store: Layer.Layer<Store | HostKeys>) => Promise<A>,
): Promise<A> => {
  const runtime = ManagedRuntime.make(backend.layer(uniqueSchema("cfgshared")))
  try {
    const context = await runtime.runPromise(Effect.context<Store | HostKeys>())
    return await body(Layer.succeedContext(context))
  } finally {
    await runtime.dispose()
  }
}

const ids = (): { uid: number; gid: number } => {
  ensureUser()
  const uid = Number(execFileSync("id", ["-u", TEST_USER], { encoding: "utf8" }).trim())
  const gid = Number(execFileSync("id", ["-g", TEST_USER], { encoding: "utf8" }).trim())
  return { uid, gid }
}

export interface HostDir {
  readonly root: string
  /** Write a file (creating parent dirs) owned by the harness user, as the host would have it. */
  readonly put: (rel: string, content: string | Uint8Array) => string
  /** Make (or replace) a symlink at `rel` pointing to `target`, owned by the harness user. */
  readonly link: (rel: string, target: string) => string
  readonly remove: () => void
}

/** A fresh directory in the harness user's home (created by root, handed to the user). */
export const hostDir = (prefix: string): HostDir => {
  const { uid, gid } = ids()
  const home = path.join("/home", TEST_USER)
  mkdirSync(home, { recursive: true })
  const root = mkdtempSync(path.join(home, `${prefix}-`))
  chownSync(root, uid, gid)
  const parents = (file: string) => {
    let dir = path.dirname(file)
    const created: Array<string> = []
    while (dir.startsWith(root) && dir !== root) {
      created.unshift(dir)
      dir = path.dirname(dir)
    }
    for (const d of created) {
      mkdirSync(d, { recursive: true })
      chownSync(d, uid, gid)
    }
  }
  const put = (rel: string, content: string | Uint8Array) => {
    const file = path.join(root, rel)
    parents(file)
    writeFileSync(file, content)
    chownSync(file, uid, gid)
    return file
  }
  const link = (rel: string, target: string) => {
    const file = path.join(root, rel)
    parents(file)
    rmSync(file, { force: true, recursive: true })
    symlinkSync(target, file)
    lchownSync(file, uid, gid)
    return file
  }
  return { root, put, link, remove: () => rmSync(root, { recursive: true, force: true }) }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll `check` until it returns a value (not undefined) or the deadline passes. */
export const waitFor = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs = 15_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`)
}

import { mkdirSync, realpathSync } from "node:fs"
import path from "node:path"
import { PGlite, type PGliteOptions, type Transaction } from "@electric-sql/pglite"
import { embedded } from "../domain/embedded.ts"
import { type DirLock, lockDataDir } from "./dir-lock.ts"
import { quoteIdent, type SqlClient, type SqlResult } from "./SqlClient.ts"

/**
 * PGlite is one single-connection Postgres per data dir, and its first init costs seconds.
 * So instances are shared process-wide (ref-counted per data dir), and every client of a shared
 * instance goes through one queue so it can switch search_path (schema) without interleaving.
 * Other processes are kept out of an on-disk data dir by a lock file (dir-lock.ts), taken before
 * PGlite opens it and released after the last client closed it.
 */
interface SharedPglite {
  readonly key: string
  readonly db: PGlite
  readonly lock: DirLock | undefined
  refs: number
  /** Tail of the operation queue. */
  tail: Promise<unknown>
  /** search_path currently set on the session; null = server default. */
  searchPath: string | null
}

const MEMORY = "memory://"
const instances = new Map<string, Promise<SharedPglite>>()

/** The real path, so two spellings of one directory (a symlink, `..`) share one instance and one lock. */
const keyOf = (dataDir: string | undefined): string => {
  if (dataDir === undefined || dataDir === "" || dataDir === MEMORY) return MEMORY
  const resolved = path.resolve(dataDir)
  mkdirSync(resolved, { recursive: true })
  return realpathSync(resolved)
}

/** Instances still closing: a new open of the same dir waits, so one process never has two on it. */
const closing = new Map<string, Promise<void>>()

// In the single binary PGlite's WASM modules and file-system bundle are SEA assets (embedded());
// otherwise PGlite loads its own files from node_modules.

interface WasmCompiler {
  readonly compile: (bytes: ArrayBuffer) => Promise<NonNullable<PGliteOptions["pgliteWasmModule"]>>
}

let embeddedAssets: Promise<PGliteOptions> | undefined

/** PGlite options that hand it the embedded WASM and data; none when running from source or dist/. */
const assetOptions = (): Promise<PGliteOptions> => {
  if (!embedded()) return Promise.resolve({})
  embeddedAssets ??= (async () => {
    const sea = process.getBuiltinModule("node:sea")
    // The WebAssembly global is not in this project's type libraries (ES2023 + @types/node).
    const wasm = (globalThis as unknown as { WebAssembly: WasmCompiler }).WebAssembly
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
      wasm.compile(sea.getAsset("pglite.wasm")),
      wasm.compile(sea.getAsset("initdb.wasm")),
    ])
    return { pgliteWasmModule, initdbWasmModule, fsBundle: sea.getAssetAsBlob("pglite.data") }
  })()
  return embeddedAssets
}

const openShared = async (key: string): Promise<SharedPglite> => {
  await closing.get(key)
  const assets = await assetOptions()
  if (key === MEMORY) {
    return { key, db: await PGlite.create(assets), lock: undefined, refs: 0, tail: Promise.resolve(), searchPath: null }
  }
  const lock = await lockDataDir(key)
  try {
    const db = await PGlite.create(key, assets)
    return { key, db, lock, refs: 0, tail: Promise.resolve(), searchPath: null }
  } catch (e) {
    lock.release()
    throw e
  }
}

const acquire = (dataDir: string | undefined): Promise<SharedPglite> => {
  const key = keyOf(dataDir)
  let pending = instances.get(key)
  if (pending === undefined) {
    pending = openShared(key)
    instances.set(key, pending)
    // A failed open must not poison later attempts.
    pending.catch(() => instances.delete(key))
  }
  return pending.then((shared) => {
    shared.refs += 1
    return shared
  })
}

const release = async (shared: SharedPglite): Promise<void> => {
  shared.refs -= 1
  if (shared.refs > 0) return
  instances.delete(shared.key)
  const closed = (async () => {
    await shared.tail.catch(() => undefined)
    try {
      await shared.db.close()
    } finally {
      shared.lock?.release()
    }
  })()
  const settled = closed.catch(() => undefined)
  closing.set(shared.key, settled)
  void settled.then(() => {
    if (closing.get(shared.key) === settled) closing.delete(shared.key)
  })
  await closed
}

/**
 * Holds a reference to the instance for dataDir without opening a client (the test harness keeps
 * one in-memory instance across tests). Returns the matching release.
 */
export const retainPglite = async (dataDir?: string): Promise<() => Promise<void>> => {
  const shared = await acquire(dataDir)
  let released = false
  return async () => {
    if (released) return
    released = true
    await release(shared)
  }
}

const enqueue = <A>(shared: SharedPglite, op: () => Promise<A>): Promise<A> => {
  const run = shared.tail.then(op, op)
  shared.tail = run.catch(() => undefined)
  return run
}

type Queryable = Pick<Transaction, "query" | "exec">

const runQuery = async (q: Queryable, text: string, params: ReadonlyArray<unknown>): Promise<SqlResult> => {
  const result = await q.query<Record<string, unknown>>(text, [...params])
  return { rows: result.rows, count: Math.max(result.affectedRows ?? 0, result.rows.length) }
}

/** A client bound to an open transaction: already inside the queue. */
const txClient = (tx: Transaction): SqlClient => {
  const self: SqlClient = {
    backend: "pglite",
    query: (text, params = []) => runQuery(tx, text, params),
    exec: async (text) => {
      await tx.exec(text)
    },
    transaction: (fn) => fn(self),
    close: () => Promise.resolve(),
  }
  return self
}

/** Opens (or joins) the PGlite instance for dataDir; schema, if given, is created and used as search_path. */
export const openPglite = async (
  options: { dataDir?: string | undefined; schema?: string | undefined },
): Promise<SqlClient> => {
  const shared = await acquire(options.dataDir)
  const schema = options.schema ?? null
  let closed = false

  const session = <A>(op: (db: PGlite) => Promise<A>): Promise<A> =>
    enqueue(shared, async () => {
      if (closed) throw new Error("PGlite is closed for this store")
      if (shared.searchPath !== schema) {
        await shared.db.exec(schema === null ? "RESET search_path" : `SET search_path TO ${quoteIdent(schema)}`)
        shared.searchPath = schema
      }
      return op(shared.db)
    })

  try {
    if (schema !== null) {
      await enqueue(shared, () => shared.db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`))
    }
  } catch (e) {
    await release(shared)
    throw e
  }

  return {
    backend: "pglite",
    query: (text, params = []) => session((db) => runQuery(db, text, params)),
    exec: (text) => session(async (db) => void (await db.exec(text))),
    transaction: (fn) => session((db) => db.transaction((tx) => fn(txClient(tx)))),
    close: async () => {
      if (closed) return
      closed = true
      await release(shared)
    },
  }
}

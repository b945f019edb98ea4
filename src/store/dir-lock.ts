import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  readlinkSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs"
import os from "node:os"
import path from "node:path"
import process from "node:process"
import { clearInterval, setInterval, setTimeout } from "node:timers"
import { StoreError } from "../domain/errors.ts"

/**
 * One process per PGlite data directory: PGlite is a single-process Postgres, and two processes
 * writing one directory corrupt it (lost rows, an index that no longer finds its row). Node 20
 * has no flock, so the lock is a file created exclusively, naming its holder:
 *
 * - pid plus the process start time (/proc/<pid>/stat), so a pid reused by another process after
 *   the holder died (a SIGKILL, a container restart where the new process is pid 1 again) is
 *   seen as stale and taken over;
 * - host, boot id and pid namespace: the pid can only be checked from the same ones. A holder we
 *   cannot check (another container or host on a shared volume) refreshes the file's mtime every
 *   HEARTBEAT_MS; its lock is stale once that stops for STALE_AFTER_MS.
 *
 * Within one process the PGlite instance is shared (pglite.ts), so this is taken once per
 * directory and released when its last client closes, or when the process exits.
 */

export const lockFileName = "infrastructor.lock"
const HEARTBEAT_MS = 10_000
const STALE_AFTER_MS = 3 * HEARTBEAT_MS
/** A takeover marker older than this was left by a process that died in the middle of one. */
const TAKEOVER_STALE_MS = 5_000

interface Holder {
  readonly pid: number
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null where there is no /proc. */
  readonly start: string | null
  readonly host: string
  readonly boot: string | null
  readonly pidns: string | null
  readonly command: string
  readonly since: string
  /** Tells this lock from an earlier one of the same process. */
  readonly nonce: string
}

const readOr = <A>(read: () => A, fallback: A): A => {
  try {
    return read()
  } catch {
    return fallback
  }
}

const startTimeOf = (pid: number): string | null =>
  readOr(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null
  }, null)

const bootId = (): string | null => readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), null)
const pidNamespace = (): string | null => readOr(() => readlinkSync("/proc/self/ns/pid"), null)

const me = (): Holder => ({
  pid: process.pid,
  start: startTimeOf(process.pid),
  host: os.hostname(),
  boot: bootId(),
  pidns: pidNamespace(),
  command: process.argv.map((a) => path.basename(a)).join(" ").slice(0, 200),
  since: new Date().toISOString(),
  nonce: Math.random().toString(36).slice(2, 10),
})

const parseHolder = (text: string): Holder | undefined =>
  readOr(() => {
    const h = JSON.parse(text) as Partial<Holder>
    return typeof h.pid === "number" && Number.isInteger(h.pid) && h.pid > 0 && typeof h.host === "string"
      ? {
        pid: h.pid,
        start: typeof h.start === "string" ? h.start : null,
        host: h.host,
        boot: typeof h.boot === "string" ? h.boot : null,
        pidns: typeof h.pidns === "string" ? h.pidns : null,
        command: typeof h.command === "string" ? h.command : "?",
        since: typeof h.since === "string" ? h.since : "?",
        nonce: typeof h.nonce === "string" ? h.nonce : "",
      }
      : undefined
  }, undefined)

const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: unknown }).code === "EPERM" // alive, owned by someone else
  }
}

/** Whether the holder still runs. Unknowable from here → whether its heartbeat is recent. */
const holderAlive = (holder: Holder, self: Holder, lockMtimeMs: number): boolean => {
  const sameHost = holder.host === self.host
  if (sameHost && holder.boot !== null && self.boot !== null && holder.boot !== self.boot) return false // rebooted
  const checkable = sameHost && holder.boot === self.boot && holder.pidns === self.pidns
  if (!checkable) return Date.now() - lockMtimeMs < STALE_AFTER_MS
  // Our own pid: this process does not hold it (pglite.ts would not ask again), so it is a leftover.
  if (holder.pid === self.pid) return false
  if (holder.start !== null) return startTimeOf(holder.pid) === holder.start
  return processExists(holder.pid)
}

const heldError = (dir: string, holder: Holder, self: Holder) =>
  new StoreError({
    op: "open",
    unavailable: false,
    message: `the data directory ${dir} is in use by another process: pid ${holder.pid}` +
      `${holder.host === self.host ? "" : ` on ${holder.host}`} (${holder.command}), since ${holder.since}. ` +
      "The embedded database (PGlite) allows one process per data directory; a second one corrupts it. " +
      "Stop that process first; or do this through the running server's API (REST or MCP on /mcp) " +
      "instead of a second process; or use PostgreSQL (DATABASE_URL=postgres://...) to run several processes " +
      "on one database.",
  })

const lockFailure = (dir: string, e: unknown) =>
  new StoreError({
    op: "open",
    unavailable: false,
    message: `cannot lock the data directory ${dir}: ${e instanceof Error ? e.message : String(e)}`,
  })

const code = (e: unknown): unknown => (e as { code?: unknown }).code

/**
 * Create `file` with `text` only if it does not exist; the content is complete the moment the
 * name appears (written aside, then hard-linked), so a reader never sees half a lock.
 */
const createExclusive = (file: string, text: string): boolean => {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`
  writeFileSync(aside, text, { mode: 0o600 })
  try {
    linkSync(aside, file)
    return true
  } catch (e) {
    if (code(e) === "EEXIST") return false
    if (code(e) !== "EPERM" && code(e) !== "ENOTSUP" && code(e) !== "EOPNOTSUPP") throw e
    // No hard links on this filesystem: an exclusive create (a reader may see it empty for a moment).
    let fd: number
    try {
      fd = openSync(file, "wx", 0o600)
    } catch (e2) {
      if (code(e2) === "EEXIST") return false
      throw e2
    }
    try {
      writeSync(fd, text)
    } finally {
      closeSync(fd)
    }
    return true
  } finally {
    readOr(() => unlinkSync(aside), undefined)
  }
}

const readText = (file: string): string | undefined => readOr(() => readFileSync(file, "utf8"), undefined)

/**
 * Remove a stale lock, unless it changed since it was read. The check-and-remove runs under a
 * takeover marker (created exclusively), so two processes taking over at once cannot remove a
 * lock the other has just taken.
 */
const removeStale = (file: string, staleText: string) => {
  const marker = `${file}.takeover`
  let fd: number
  try {
    fd = openSync(marker, "wx", 0o600)
  } catch (e) {
    if (code(e) !== "EEXIST") throw e
    const age = readOr(() => Date.now() - statSync(marker).mtimeMs, 0)
    if (age > TAKEOVER_STALE_MS) readOr(() => unlinkSync(marker), undefined)
    return
  }
  try {
    if (readText(file) === staleText) unlinkSync(file)
  } finally {
    closeSync(fd)
    readOr(() => unlinkSync(marker), undefined)
  }
}

export interface DirLock {
  readonly release: () => void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Lock dir for this process, or fail with a StoreError naming the holder and what to do. */
export const lockDataDir = async (dir: string): Promise<DirLock> => {
  const file = path.join(dir, lockFileName)
  const self = me()
  const text = JSON.stringify(self)
  for (let attempt = 0; attempt < 50; attempt++) {
    let created: boolean
    try {
      created = createExclusive(file, text)
    } catch (e) {
      throw lockFailure(dir, e)
    }
    if (created) return held(file, text)
    const current = readText(file)
    if (current === undefined) continue // released just now
    const holder = parseHolder(current)
    const mtime = readOr(() => statSync(file).mtimeMs, Date.now())
    if (holder === undefined) {
      // Being written (no hard links) or garbage: garbage that stays is stale.
      if (Date.now() - mtime < 2000) {
        await sleep(50)
        continue
      }
    } else if (holderAlive(holder, self, mtime)) {
      throw heldError(dir, holder, self)
    }
    try {
      removeStale(file, current)
    } catch (e) {
      throw lockFailure(dir, e)
    }
    await sleep(attempt === 0 ? 0 : 20)
  }
  throw lockFailure(dir, new Error("another process keeps taking the lock; try again"))
}

const held = (file: string, text: string): DirLock => {
  const ours = () => readText(file) === text
  // For holders in another container or host, which cannot check our pid.
  const heartbeat = setInterval(() => {
    if (ours()) readOr(() => utimesSync(file, new Date(), new Date()), undefined)
  }, HEARTBEAT_MS)
  heartbeat.unref()
  let released = false
  const release = () => {
    if (released) return
    released = true
    clearInterval(heartbeat)
    process.off("exit", release)
    if (ours()) readOr(() => unlinkSync(file), undefined)
  }
  // process.exit() skips the async close: leave no lock behind (a SIGKILL does; it is taken over).
  process.on("exit", release)
  return { release }
}

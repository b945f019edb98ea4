import { Buffer } from "node:buffer"
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs"
import path from "node:path"

/**
 * An append-only JSON-lines file of writes waiting for the database, read back in order.
 * Appends are synchronous and whole lines, so a crash can leave at most one partial last line,
 * which is skipped on the next start. The file is removed once everything in it was consumed.
 *
 * Beside it, `<file>.done` records how far the writes were delivered (checkpointed at most once
 * a second while replaying, and on shutdown), so a restart resumes there instead of writing the
 * whole file again. It names the file's inode, so it never applies to a newer file.
 */

const READ_CHUNK = 4 * 1024 * 1024
const CHECKPOINT_EVERY_MS = 1000

/** JSON with Dates and bigints kept (rows carry `time` as a Date, counters may be bigint). */
export const encodeLine = (value: unknown): string =>
  JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key]
    if (raw instanceof Date) return { $date: raw.toISOString() }
    if (typeof raw === "bigint") return { $bigint: raw.toString() }
    return v
  })

export const decodeLine = (line: string): unknown =>
  JSON.parse(line, (_key, v: unknown) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v)
      const o = v as Record<string, unknown>
      if (keys.length === 1 && typeof o["$date"] === "string") return new Date(o["$date"])
      if (keys.length === 1 && typeof o["$bigint"] === "string") return BigInt(o["$bigint"])
    }
    return v
  })

export interface SpillRead<A> {
  readonly item: A
  /** Byte offset just past this item's line: pass it to `consumed` once the item is written. */
  readonly end: number
}

export interface SpillFile<A> {
  readonly path: string
  /** Items appended and not yet read back. */
  readonly pending: () => number
  readonly append: (items: ReadonlyArray<A>) => void
  /** The next items in order (up to ~4 MB of lines); [] when everything was read. */
  readonly read: () => Array<SpillRead<A>>
  /** Everything up to `end` reached the database: a restart resumes after it. */
  readonly consumed: (end: number) => void
  /** Persist the consumed position now (shutdown). */
  readonly checkpoint: () => void
  /** Delete the file when every appended item was read back. */
  readonly removeIfDone: () => void
  /** Size in bytes of the file now (0 when absent). */
  readonly size: () => number
}

interface Checkpoint {
  readonly ino: number
  readonly offset: number
}

const readCheckpoint = (file: string): Checkpoint | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<Checkpoint>
    return typeof parsed.ino === "number" && typeof parsed.offset === "number" && parsed.offset >= 0
      ? { ino: parsed.ino, offset: parsed.offset }
      : undefined
  } catch {
    return undefined
  }
}

const unlinkIfExists = (file: string) => {
  try {
    unlinkSync(file)
  } catch (e) {
    if ((e as { code?: unknown }).code !== "ENOENT") throw e
  }
}

export const openSpillFile = <A>(
  file: string,
  options: { readonly onCorrupt?: (line: string, error: unknown) => void } = {},
): SpillFile<A> => {
  mkdirSync(path.dirname(file), { recursive: true })
  const checkpointFile = `${file}.done`
  let offset = 0
  let pending = 0
  let done = 0
  let savedDone = 0
  let savedAt = 0

  const size = () => (existsSync(file) ? statSync(file).size : 0)

  if (existsSync(file)) {
    const stat = statSync(file)
    const resume = readCheckpoint(checkpointFile)
    if (resume !== undefined && resume.ino === stat.ino && resume.offset <= stat.size) offset = resume.offset
    done = offset
    savedDone = offset
    // Left by an earlier run: count its lines, and end a partial last line (a crash mid-append) so
    // it is read as one corrupt line instead of being glued to the next append.
    const fd = openSync(file, "r")
    try {
      const buffer = Buffer.alloc(READ_CHUNK)
      let position = offset
      let last = 10
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, position)
        if (n === 0) break
        for (let i = 0; i < n; i++) if (buffer[i] === 10) pending++
        last = buffer[n - 1] ?? 10
        position += n
      }
      if (position > offset && last !== 10) {
        appendFileSync(file, "\n")
        pending++
      }
    } finally {
      closeSync(fd)
    }
  } else {
    unlinkIfExists(checkpointFile) // its file is gone: it must not apply to the next one
  }

  const append = (items: ReadonlyArray<A>) => {
    if (items.length === 0) return
    appendFileSync(file, items.map((item) => `${encodeLine(item)}\n`).join(""))
    pending += items.length
  }

  const read = (): Array<SpillRead<A>> => {
    const out: Array<SpillRead<A>> = []
    if (!existsSync(file)) return out
    const fd = openSync(file, "r")
    try {
      // Whole lines only (a UTF-8 character is never cut); a line longer than the chunk grows it.
      let buffer = Buffer.alloc(READ_CHUNK)
      let n = 0
      let last = -1
      for (;;) {
        n = readSync(fd, buffer, 0, buffer.length, offset)
        last = buffer.subarray(0, n).lastIndexOf(10)
        if (last >= 0 || n < buffer.length) break
        buffer = Buffer.alloc(buffer.length * 2)
      }
      if (last < 0) return out
      const base = offset
      offset += last + 1
      for (let start = 0; start <= last;) {
        const newline = buffer.indexOf(10, start)
        const line = buffer.toString("utf8", start, newline)
        start = newline + 1
        pending = Math.max(0, pending - 1)
        if (line === "") continue
        try {
          out.push({ item: decodeLine(line) as A, end: base + start })
        } catch (e) {
          options.onCorrupt?.(line.slice(0, 200), e)
        }
      }
    } finally {
      closeSync(fd)
    }
    return out
  }

  const save = () => {
    if (done === savedDone || !existsSync(file)) return
    const temp = `${checkpointFile}.tmp`
    writeFileSync(temp, JSON.stringify({ ino: statSync(file).ino, offset: done }))
    renameSync(temp, checkpointFile)
    savedDone = done
    savedAt = Date.now()
  }

  const consumed = (end: number) => {
    done = Math.max(done, end)
    if (Date.now() - savedAt >= CHECKPOINT_EVERY_MS) save()
  }

  const removeIfDone = () => {
    if (offset >= size()) {
      // The checkpoint first: a crash in between replays the file again (a duplicate), never skips.
      unlinkIfExists(checkpointFile)
      unlinkIfExists(file)
      offset = 0
      pending = 0
      done = 0
      savedDone = 0
    }
  }

  return { path: file, pending: () => pending, append, read, consumed, checkpoint: save, removeIfDone, size }
}

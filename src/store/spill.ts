import { Buffer } from "node:buffer"
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync, unlinkSync } from "node:fs"
import path from "node:path"

/**
 * An append-only JSON-lines file of writes waiting for the database, read back in order.
 * Appends are synchronous and whole lines, so a crash can leave at most one partial last line,
 * which is skipped on the next start. The file is removed once everything in it was consumed.
 */

const READ_CHUNK = 4 * 1024 * 1024

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

export interface SpillFile<A> {
  readonly path: string
  /** Items appended and not yet read back. */
  readonly pending: () => number
  readonly append: (items: ReadonlyArray<A>) => void
  /** The next items in order (up to ~4 MB of lines); [] when everything was read. */
  readonly read: () => Array<A>
  /** Delete the file when every appended item was read back. */
  readonly removeIfDone: () => void
  /** Size in bytes of the file now (0 when absent). */
  readonly size: () => number
}

export const openSpillFile = <A>(
  file: string,
  options: { readonly onCorrupt?: (line: string, error: unknown) => void } = {},
): SpillFile<A> => {
  mkdirSync(path.dirname(file), { recursive: true })
  let offset = 0
  let pending = 0

  const size = () => (existsSync(file) ? statSync(file).size : 0)

  // Left by an earlier run: count its lines, and end a partial last line (a crash mid-append) so
  // it is read as one corrupt line instead of being glued to the next append.
  if (existsSync(file)) {
    const fd = openSync(file, "r")
    try {
      const buffer = Buffer.alloc(READ_CHUNK)
      let position = 0
      let last = 10
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, position)
        if (n === 0) break
        for (let i = 0; i < n; i++) if (buffer[i] === 10) pending++
        last = buffer[n - 1] ?? 10
        position += n
      }
      if (position > 0 && last !== 10) {
        appendFileSync(file, "\n")
        pending++
      }
    } finally {
      closeSync(fd)
    }
  }

  const append = (items: ReadonlyArray<A>) => {
    if (items.length === 0) return
    appendFileSync(file, items.map((item) => `${encodeLine(item)}\n`).join(""))
    pending += items.length
  }

  const read = (): Array<A> => {
    const out: Array<A> = []
    if (!existsSync(file)) return out
    const fd = openSync(file, "r")
    try {
      // Whole lines only (a UTF-8 character is never cut); a line longer than the chunk grows it.
      let buffer = Buffer.alloc(READ_CHUNK)
      let n = 0
      let end = -1
      for (;;) {
        n = readSync(fd, buffer, 0, buffer.length, offset)
        end = buffer.subarray(0, n).lastIndexOf(10)
        if (end >= 0 || n < buffer.length) break
        buffer = Buffer.alloc(buffer.length * 2)
      }
      if (end < 0) return out
      offset += end + 1
      for (const line of buffer.subarray(0, end).toString("utf8").split("\n")) {
        pending = Math.max(0, pending - 1)
        if (line === "") continue
        try {
          out.push(decodeLine(line) as A)
        } catch (e) {
          options.onCorrupt?.(line.slice(0, 200), e)
        }
      }
    } finally {
      closeSync(fd)
    }
    return out
  }

  const removeIfDone = () => {
    if (offset >= size()) {
      if (existsSync(file)) unlinkSync(file)
      offset = 0
      pending = 0
    }
  }

  return { path: file, pending: () => pending, append, read, removeIfDone, size }
}

import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { emptyEntry, FACILITY_NAMES, type LogEntry, logFail, priorityFromName } from "./common.ts"
import { isoFromMillis } from "../../shared/time.ts"

/** Kernel ring-buffer entry before it is placed in time (boot time and boot id come later). */
export interface DmesgLine {
  /** Seconds since boot, when printk timestamps are on. */
  readonly seconds: number | null
  readonly priority: number | null
  readonly facility: number | null
  readonly message: string
}

// Optional raw "<prival>" (dmesg -r), optional "[ seconds]", then the message.
const DMESG_LINE = /^(?:<(\d{1,3})>)?(?:\[\s*(\d+\.\d+)\] ?)?(.*)$/

/**
 * Plain `dmesg` text, with or without printk timestamps (old kernels print none; one buffer can
 * mix both). Blank lines are skipped. Fails only on data that cannot be kernel log text (NUL bytes).
 */
export const parseDmesgText = (text: string): Result.Result<Array<DmesgLine>, ParseError> => {
  const out: Array<DmesgLine> = []
  const lines = text.replace(/\r/g, "").split("\n")
  for (const [i, line] of lines.entries()) {
    if (line.includes("\u0000")) {
      return logFail("dmesg: NUL byte in output (binary data, not log text)", `line ${i + 1}`)
    }
    if (line.trim() === "") continue
    const m = DMESG_LINE.exec(line) as RegExpExecArray
    const prival = m[1] === undefined ? null : Number(m[1])
    out.push({
      seconds: m[2] === undefined ? null : Number(m[2]),
      priority: prival === null ? null : prival & 7,
      facility: prival === null ? null : prival >> 3,
      message: (m[3] as string).trimEnd(),
    })
  }
  return Result.succeed(out)
}

const facilityOf = (v: unknown): number | null => {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v
  if (typeof v === "string") {
    const i = FACILITY_NAMES.indexOf(v.trim().toLowerCase())
    return i < 0 ? null : i
  }
  return null
}

/**
 * `dmesg --json` (util-linux ≥ 2.38): {"dmesg": [{"pri": n, "time": s, "msg": "..."}]}. Without
 * --decode, "pri" is the raw syslog prival (facility << 3 | level); with it, "fac" and "pri"
 * come separately (numbers or names).
 */
export const parseDmesgJson = (text: string): Result.Result<Array<DmesgLine>, ParseError> => {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    return logFail(`dmesg --json: invalid JSON: ${e instanceof Error ? e.message : String(e)}`, "dmesg")
  }
  const list = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>)["dmesg"] : undefined
  if (!Array.isArray(list)) return logFail('dmesg --json: no top-level "dmesg" array', "dmesg")
  const out: Array<DmesgLine> = []
  for (const [i, raw] of (list as ReadonlyArray<unknown>).entries()) {
    const at = `dmesg[${i}]`
    if (typeof raw !== "object" || raw === null) return logFail("dmesg --json: entry is not an object", at)
    const e = raw as Record<string, unknown>
    if (typeof e["msg"] !== "string") return logFail('dmesg --json: entry has no string "msg"', at)
    const time = e["time"]
    if (time !== undefined && (typeof time !== "number" || !Number.isFinite(time))) {
      return logFail('dmesg --json: "time" is not a number', at)
    }
    const pri = e["pri"]
    let priority: number | null = null
    let facility: number | null = null
    if ("fac" in e) {
      facility = facilityOf(e["fac"])
      priority = typeof pri === "number" ? pri & 7 : typeof pri === "string" ? priorityFromName(pri) : null
    } else if (typeof pri === "number" && Number.isInteger(pri) && pri >= 0) {
      priority = pri & 7
      facility = pri >> 3
    } else if (pri !== undefined) {
      return logFail('dmesg --json: "pri" is not a non-negative integer', at)
    }
    out.push({ seconds: typeof time === "number" ? time : null, priority, facility, message: e["msg"] as string })
  }
  return Result.succeed(out)
}

/** Either dmesg format: JSON when the output is a JSON document, text otherwise. */
export const parseDmesg = (text: string): Result.Result<Array<DmesgLine>, ParseError> =>
  text.trimStart().startsWith("{") ? parseDmesgJson(text) : parseDmesgText(text)

/** Boot identity used to place kernel lines in time and to build dmesg cursors. */
export interface BootInfo {
  readonly boot_id: string | null
  /** Boot time, seconds since the epoch (/proc/stat btime). */
  readonly btime: number | null
}

/** `dmesg;b=<boot id>;t=<seconds>;n=<k>`: k counts earlier lines with the same timestamp. */
export const dmesgCursor = (bootId: string, seconds: number, n: number): string =>
  `dmesg;b=${bootId};t=${seconds.toFixed(6)};n=${n}`

export const parseDmesgCursor = (
  cursor: string,
): { readonly bootId: string; readonly seconds: number; readonly n: number } | null => {
  const m = /^dmesg;b=([0-9a-f-]+);t=(\d+\.\d+);n=(\d+)$/.exec(cursor)
  return m === null ? null : { bootId: m[1] as string, seconds: Number(m[2]), n: Number(m[3]) }
}

/**
 * Dmesg lines to entries. Absolute time is boot time + seconds since boot (approximate: the
 * monotonic clock does not count suspend). Lines without a timestamp get neither time nor cursor.
 */
export const dmesgEntries = (lines: ReadonlyArray<DmesgLine>, boot: BootInfo): Array<LogEntry> => {
  const sameStamp = new Map<number, number>()
  return lines.map((l): LogEntry => {
    let cursor: string | null = null
    if (l.seconds !== null && boot.boot_id !== null) {
      const n = sameStamp.get(l.seconds) ?? 0
      sameStamp.set(l.seconds, n + 1)
      cursor = dmesgCursor(boot.boot_id, l.seconds, n)
    }
    return {
      ...emptyEntry("dmesg"),
      cursor,
      time: l.seconds !== null && boot.btime !== null
        ? isoFromMillis(Math.round((boot.btime + l.seconds) * 1000))
        : null,
      monotonic_seconds: l.seconds,
      priority: l.priority,
      facility: l.facility,
      unit: "kernel",
      identifier: "kernel",
      message: l.message,
      boot_id: boot.boot_id,
      transport: "kernel",
    }
  })
}

/** Entries strictly after a dmesg cursor; every entry when the cursor is from another boot or absent. */
export const dmesgAfterCursor = (entries: ReadonlyArray<LogEntry>, after: string | null): Array<LogEntry> => {
  const c = after === null ? null : parseDmesgCursor(after)
  if (c === null) return [...entries]
  return entries.filter((e) => {
    if (e.boot_id !== c.bootId) return true
    const mine = e.cursor === null ? null : parseDmesgCursor(e.cursor)
    if (mine === null) return false // untimed lines of the same boot cannot be placed after the cursor
    return mine.seconds > c.seconds || (mine.seconds === c.seconds && mine.n > c.n)
  })
}

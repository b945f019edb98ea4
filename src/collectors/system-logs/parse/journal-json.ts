import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { emptyEntry, type LogEntry, logFail } from "./common.ts"
import { isoFromMillis } from "../../shared/time.ts"

/**
 * Top-level JSON objects in a stream: `journalctl -o json` (one per line), `-o json-pretty`
 * (multi-line objects) and `-o json-seq` (RS-prefixed) all fit. Strings are tracked so braces
 * inside messages do not count. Anything but whitespace between objects is an error.
 */
export const splitJsonObjects = (
  text: string,
): Result.Result<Array<{ readonly json: string; readonly line: number }>, ParseError> => {
  const out: Array<{ json: string; line: number }> = []
  let depth = 0
  let inString = false
  let escaped = false
  let start = -1
  let line = 1
  let startLine = 1
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === "\n") line++
    if (inString) {
      if (escaped) escaped = false
      else if (c === "\\") escaped = true
      else if (c === '"') inString = false
      continue
    }
    if (depth === 0) {
      if (c === "{") {
        depth = 1
        start = i
        startLine = line
      } else if (!/[\s\u001e]/.test(c)) {
        return logFail(`expected a JSON object, found ${JSON.stringify(text.slice(i, i + 40))}`, `line ${line}`)
      }
      continue
    }
    if (c === '"') inString = true
    else if (c === "{" || c === "[") depth++
    else if (c === "}" || c === "]") {
      depth--
      if (depth === 0) out.push({ json: text.slice(start, i + 1), line: startLine })
    }
  }
  if (depth !== 0 || inString) return logFail("unterminated JSON object (output cut short?)", `line ${startLine}`)
  return Result.succeed(out)
}

const utf8 = new TextDecoder("utf-8")

const isByteArray = (v: ReadonlyArray<unknown>): v is ReadonlyArray<number> =>
  v.every((b) => typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255)

/**
 * A journald field value as journalctl prints it: a string; null (value too large or
 * unprintable); an array of byte values (binary / non-UTF-8 data, decoded lossily); or, for a
 * field that occurs more than once in the entry, an array of those. Multiple values are kept
 * in order.
 */
export const decodeJournalValue = (value: unknown): Result.Result<ReadonlyArray<string | null>, string> => {
  if (value === null) return Result.succeed([null])
  if (typeof value === "string") return Result.succeed([value])
  if (typeof value === "number") return Result.succeed([String(value)])
  if (Array.isArray(value)) {
    if (isByteArray(value)) return Result.succeed([utf8.decode(Uint8Array.from(value))])
    const out: Array<string | null> = []
    for (const v of value as ReadonlyArray<unknown>) {
      if (v === null || typeof v === "string") out.push(v)
      else if (Array.isArray(v) && isByteArray(v)) out.push(utf8.decode(Uint8Array.from(v)))
      else return Result.fail(`unexpected value inside a multi-valued field: ${JSON.stringify(v).slice(0, 60)}`)
    }
    return Result.succeed(out)
  }
  return Result.fail(`unexpected ${typeof value} value`)
}

const toInt = (s: string | null | undefined): number | null => (s != null && /^\d+$/.test(s) ? Number(s) : null)

/** One parsed journald record (object) to an entry; `at` names where it came from. */
export const journalEntryFromRecord = (record: unknown, at: string): Result.Result<LogEntry, ParseError> => {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return logFail("journal entry is not a JSON object", at)
  }
  const fields = new Map<string, ReadonlyArray<string | null>>()
  for (const [key, value] of Object.entries(record)) {
    const decoded = decodeJournalValue(value)
    if (Result.isFailure(decoded)) return logFail(`field ${key}: ${decoded.failure}`, at)
    fields.set(key, decoded.success)
  }
  const first = (key: string): string | null => fields.get(key)?.find((v) => v !== null) ?? null
  const cursor = first("__CURSOR")
  if (cursor === null) return logFail("journal entry has no __CURSOR", at)
  const realtime = toInt(first("__REALTIME_TIMESTAMP"))
  const monotonic = toInt(first("__MONOTONIC_TIMESTAMP"))
  const priority = toInt(first("PRIORITY"))
  const messages = fields.get("MESSAGE")?.filter((v): v is string => v !== null) ?? []
  const identifier = first("SYSLOG_IDENTIFIER")
  return Result.succeed({
    ...emptyEntry("journal"),
    cursor,
    // µs since the epoch fits a double exactly until the year 2255.
    time: realtime === null ? null : isoFromMillis(Math.floor(realtime / 1000)),
    monotonic_seconds: monotonic === null ? null : monotonic / 1e6,
    priority: priority !== null && priority <= 7 ? priority : null,
    facility: toInt(first("SYSLOG_FACILITY")),
    unit: first("_SYSTEMD_UNIT") ?? first("_SYSTEMD_USER_UNIT") ?? identifier,
    identifier,
    hostname: first("_HOSTNAME"),
    pid: toInt(first("_PID")) ?? toInt(first("SYSLOG_PID")),
    message: messages.length === 0 ? null : messages.join("\n"),
    boot_id: first("_BOOT_ID"),
    transport: first("_TRANSPORT"),
  })
}

/** `journalctl -o json` / `-o json-pretty` output to entries, in output order. */
export const parseJournalJson = (text: string): Result.Result<Array<LogEntry>, ParseError> =>
  Result.gen(function* () {
    const objects = yield* splitJsonObjects(text)
    const entries: Array<LogEntry> = []
    for (const [i, o] of objects.entries()) {
      const at = `entry ${i + 1} (line ${o.line})`
      let record: unknown
      try {
        record = JSON.parse(o.json)
      } catch (e) {
        return yield* logFail(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`, at)
      }
      entries.push(yield* journalEntryFromRecord(record, at))
    }
    return entries
  })

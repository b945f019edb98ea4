import { Result, Schema } from "effect"
import { ParseError, ValidationError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { type BootInfo, dmesgAfterCursor, dmesgEntries, parseDmesg } from "./parse/dmesg.ts"
import { type LogEntry, logFail, priorityFromName, SYSTEM_LOGS } from "./parse/common.ts"
import { parseJournalJson } from "./parse/journal-json.ts"
import { inSection, type Section, splitSections } from "../shared/sections.ts"

export type { LogEntry } from "./parse/common.ts"
export { dmesgCursor, parseDmesg, parseDmesgJson, parseDmesgText } from "./parse/dmesg.ts"
export { decodeJournalValue, parseJournalJson, splitJsonObjects } from "./parse/journal-json.ts"
export { parseJournalShort } from "./parse/journal-text.ts"

export const LOG_SECTIONS = { journal: "journal", dmesg: "dmesg", boot: "boot" } as const

export const DEFAULT_LOG_LIMIT = 1000
export const MAX_LOG_LIMIT = 10000

export interface LogParams {
  /** Read strictly after this cursor (journald __CURSOR or a synthetic dmesg cursor). */
  readonly after_cursor: string | null
  readonly unit: string | null
  /** 0 (emerg) .. 7 (debug): this level and more severe. */
  readonly priority: number | null
  readonly limit: number
  readonly since: string | null
}

const CURSOR = /^[A-Za-z0-9=;._-]{1,512}$/
// Unit names and journalctl -u globs; "\" appears in systemd-escaped names (\x2d).
const UNIT = /^[A-Za-z0-9:_.@\\*?[\]-]{1,256}$/
// Dates, times, relative ("-1h", "5 min ago"), "today", "@epoch".
const SINCE = /^[0-9A-Za-z :.+@-]{1,64}$/

const text = (params: Params, key: string): string | null => {
  const v = params[key]
  if (v === undefined || v === "") return null
  return String(v)
}

/** Query-string params to typed ones; everything else is refused with the reason. */
export const validateLogParams = (params: Params): Result.Result<LogParams, ValidationError> => {
  const bad = (message: string, value: unknown) =>
    Result.fail(new ValidationError({ message: `system_logs: ${message}`, details: { value } }))
  const cursor = text(params, "after_cursor")
  if (cursor !== null && !CURSOR.test(cursor)) return bad("after_cursor is not a journal cursor", cursor)
  const unit = text(params, "unit")
  if (unit !== null && !UNIT.test(unit)) return bad("unit is not a systemd unit name or pattern", unit)
  const since = text(params, "since")
  if (since !== null && !SINCE.test(since)) return bad("since is not a journalctl time specification", since)
  const p = text(params, "priority")
  let priority: number | null = null
  if (p !== null) {
    priority = /^[0-7]$/.test(p) ? Number(p) : priorityFromName(p)
    if (priority === null) return bad("priority must be 0-7 or emerg|alert|crit|err|warning|notice|info|debug", p)
  }
  const l = text(params, "limit")
  let limit = DEFAULT_LOG_LIMIT
  if (l !== null) {
    if (!/^\d+$/.test(l) || Number(l) < 1 || Number(l) > MAX_LOG_LIMIT) {
      return bad(`limit must be an integer from 1 to ${MAX_LOG_LIMIT}`, l)
    }
    limit = Number(l)
  }
  return Result.succeed({ after_cursor: cursor, unit, priority, limit, since })
}

/** Journal cursors go to journalctl; a synthetic dmesg cursor only means something to the dmesg fallback. */
export const isDmesgCursor = (cursor: string): boolean => cursor.startsWith("dmesg;")

const Str = Schema.NullOr(Schema.String)
const Num = Schema.NullOr(Schema.Finite)

export const LogEntrySchema = Schema.Struct({
  source: Schema.Literals(["journal", "dmesg", "journal-text"]),
  cursor: Str,
  time: Str,
  time_text: Str,
  monotonic_seconds: Num,
  priority: Num,
  facility: Num,
  unit: Str,
  identifier: Str,
  hostname: Str,
  pid: Num,
  message: Str,
  boot_id: Str,
  transport: Str,
})

const ToolStatus = Schema.Struct({
  status: Schema.Literals(["ok", "missing", "failed", "skipped"]),
  exit_code: Num,
})

export const SystemLogsSchema = Schema.Struct({
  /** Where the entries came from: journald, the kernel ring buffer (no journalctl), or nowhere. */
  source: Schema.Literals(["journal", "dmesg", "none"]),
  journal: ToolStatus,
  dmesg: ToolStatus,
  boot_id: Str,
  entries: Schema.Array(LogEntrySchema),
  /** Cursor to pass as after_cursor next time (last entry's, else the one given). */
  next_cursor: Str,
  /** The limit was reached reading after a cursor: more entries are waiting. */
  more: Schema.Boolean,
})
export type SystemLogs = typeof SystemLogsSchema.Type

const statusOf = (s: Section | undefined) =>
  s === undefined ? { status: "skipped" as const, exit_code: null } : {
    status: s.exitCode === 0 ? ("ok" as const) : s.exitCode === 127 ? ("missing" as const) : ("failed" as const),
    exit_code: s.exitCode ?? null,
  }

/** "boot" section: /proc boot_id (dashes dropped, as journald writes _BOOT_ID) and /proc/stat btime. */
export const parseBootInfo = (body: string): BootInfo => {
  const [id, btime] = body.split("\n").map((l) => l.trim())
  return {
    boot_id: id !== undefined && /^[0-9a-f-]{32,36}$/.test(id) ? id.replace(/-/g, "") : null,
    btime: btime !== undefined && /^\d+$/.test(btime) ? Number(btime) : null,
  }
}

/** Newest `limit` entries, or (reading after a cursor) the oldest `limit` after it, so nothing is skipped. */
const window = (entries: ReadonlyArray<LogEntry>, limit: number, afterCursor: boolean) =>
  afterCursor
    ? { entries: entries.slice(0, limit), more: entries.length > limit }
    : { entries: entries.slice(Math.max(0, entries.length - limit)), more: false }

/** Parse the system_logs script output (journal JSON, or the dmesg fallback). */
export const parseSystemLogs = (result: CommandResult, params: Params = {}): Result.Result<SystemLogs, ParseError> =>
  Result.gen(function* () {
    const p = yield* Result.mapError(
      validateLogParams(params),
      (e) => new ParseError({ dataType: SYSTEM_LOGS, message: e.message, at: "params" }),
    )
    if (result.truncated) yield* logFail(`output truncated after ${result.bytes} bytes: lower 'limit'`, "stdout")
    const sections = splitSections(result.stdout)
    const journal = sections.get(LOG_SECTIONS.journal)
    if (journal === undefined) {
      return yield* logFail("section 'journal' missing from command output", LOG_SECTIONS.journal)
    }
    const boot = parseBootInfo(sections.get(LOG_SECTIONS.boot)?.body ?? "")
    const dmesg = sections.get(LOG_SECTIONS.dmesg)
    const base = { journal: statusOf(journal), dmesg: statusOf(dmesg), boot_id: boot.boot_id }
    let value: SystemLogs

    if (journal.exitCode === 0) {
      const all = yield* Result.mapError(parseJournalJson(journal.body), inSection(LOG_SECTIONS.journal))
      const after = p.after_cursor !== null && !isDmesgCursor(p.after_cursor) ? p.after_cursor : null
      const fresh = all.filter((e) => e.cursor !== after)
      const w = window(fresh, p.limit, after !== null)
      value = {
        ...base,
        source: "journal",
        entries: w.entries,
        next_cursor: w.entries[w.entries.length - 1]?.cursor ?? after,
        more: after !== null && fresh.length >= p.limit,
      }
    } else if (journal.exitCode === 127) {
      if (dmesg === undefined) return yield* logFail("journalctl missing but no 'dmesg' section", LOG_SECTIONS.dmesg)
      let entries: Array<LogEntry> = []
      if (dmesg.exitCode === 0) {
        const lines = yield* Result.mapError(parseDmesg(dmesg.body), inSection(LOG_SECTIONS.dmesg))
        entries = dmesgAfterCursor(dmesgEntries(lines, boot), p.after_cursor)
      }
      const w = window(entries, p.limit, p.after_cursor !== null)
      value = {
        ...base,
        source: dmesg.exitCode === 0 ? "dmesg" : "none",
        entries: w.entries,
        next_cursor: [...w.entries].reverse().find((e) => e.cursor !== null)?.cursor ?? p.after_cursor,
        more: w.more,
      }
    } else {
      // journalctl exists but refused (bad unit pattern, unreadable journal): an error, not "no logs".
      return yield* logFail(`journalctl exited with code ${journal.exitCode}`, LOG_SECTIONS.journal)
    }
    return yield* Result.mapError(
      Schema.decodeUnknownResult(SystemLogsSchema)(value),
      (e) =>
        new ParseError({ dataType: SYSTEM_LOGS, message: `system_logs failed validation: ${e.message}`, at: "schema" }),
    )
  })

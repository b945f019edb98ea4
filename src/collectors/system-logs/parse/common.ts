import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export const SYSTEM_LOGS = "system_logs"

export const logFail = <A = never>(message: string, at?: string): Result.Result<A, ParseError> =>
  Result.fail(new ParseError({ dataType: SYSTEM_LOGS, message, at }))

/** syslog(3) level names as journalctl -p accepts them ("error" is journalctl's alias of "err"). */
export const PRIORITY_NAMES: ReadonlyArray<string> = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
]

export const priorityFromName = (name: string): number | null => {
  const n = name.trim().toLowerCase()
  if (n === "error") return 3
  if (n === "warn") return 4
  const i = PRIORITY_NAMES.indexOf(n)
  return i < 0 ? null : i
}

/** syslog facility names in code order (facility = prival >> 3). */
export const FACILITY_NAMES: ReadonlyArray<string> = [
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "clock",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
]

/** One log entry, whatever produced it. */
export interface LogEntry {
  readonly source: "journal" | "dmesg" | "journal-text"
  /** journald __CURSOR; for dmesg a synthetic `dmesg;b=<boot>;t=<sec>;n=<k>` when boot and timestamp are known. */
  readonly cursor: string | null
  /** ISO 8601; null when the source gives no absolute time (no year, no timestamp). */
  readonly time: string | null
  /** The timestamp as printed, for text sources whose time cannot be made absolute. */
  readonly time_text: string | null
  /** Seconds since boot (journald __MONOTONIC_TIMESTAMP, dmesg's [seconds]). */
  readonly monotonic_seconds: number | null
  readonly priority: number | null
  readonly facility: number | null
  /** _SYSTEMD_UNIT (or user unit), else SYSLOG_IDENTIFIER. */
  readonly unit: string | null
  readonly identifier: string | null
  readonly hostname: string | null
  readonly pid: number | null
  readonly message: string | null
  readonly boot_id: string | null
  readonly transport: string | null
}

export const emptyEntry = (source: LogEntry["source"]): LogEntry => ({
  source,
  cursor: null,
  time: null,
  time_text: null,
  monotonic_seconds: null,
  priority: null,
  facility: null,
  unit: null,
  identifier: null,
  hostname: null,
  pid: null,
  message: null,
  boot_id: null,
  transport: null,
})

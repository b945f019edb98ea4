import { AS_ROOT_PRELUDE } from "../shared/as-root.ts"
import { Effect, Result } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { section } from "../shared/sections.ts"
import {
  isDmesgCursor,
  LOG_SECTIONS as S,
  type LogParams,
  parseSystemLogs,
  type SystemLogs,
  SystemLogsSchema,
  validateLogParams,
} from "./parse-system-logs.ts"
import { shCommand } from "../../domain/quote.ts"
import type { StoreShape } from "../../store/Store.ts"
import { type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"

/** Arguments after `journalctl`; every value passes through shq via shCommand. */
const journalArgs = (p: LogParams, afterCursor: string | null): string => {
  const args: Array<string> = ["-o", "json", "--no-pager", "-q"]
  if (p.unit !== null) args.push("-u", p.unit)
  if (p.priority !== null) args.push("-p", String(p.priority))
  if (p.since !== null) args.push(`--since=${p.since}`)
  if (afterCursor !== null) args.push(`--after-cursor=${afterCursor}`)
  else args.push("-n", String(p.limit))
  return shCommand(...args)
}

/**
 * One round trip, POSIX sh, in a subshell (the shell channel may be reused). Without a cursor:
 * the newest `limit` entries (-n). After a cursor: the OLDEST `limit` entries after it (piped
 * through head), so a busy host never leaves a gap between two reads; `more` in the result says
 * whether to read again. As non-root, journalctl/dmesg go through `sudo -n` when that works
 * (otherwise a non-root user only sees its own journal). No journalctl → the kernel ring buffer
 * (`dmesg --json`, else plain `dmesg`), read whole and windowed by the parser.
 */
export const systemLogsScript = (params: Params): string => {
  const checked = validateLogParams(params)
  if (Result.isFailure(checked)) throw checked.failure
  const p = checked.success
  const cursor = p.after_cursor !== null && !isDmesgCursor(p.after_cursor) ? p.after_cursor : null
  const journal = cursor === null
    ? `if j=$(command -v journalctl); then _asroot "$j" ${journalArgs(p, null)}; else (exit 127); fi`
    : `( j=$(command -v journalctl) || exit 127; _asroot "$j" ${journalArgs(p, cursor)} | head -n ${p.limit} )`
  return [
    "(",
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export LC_ALL=C',
    ...AS_ROOT_PRELUDE,
    section(S.journal, journal),
    "if ! command -v journalctl >/dev/null 2>&1; then",
    section(S.dmesg, 'if d=$(command -v dmesg); then _asroot "$d" --json || _asroot "$d"; else (exit 127); fi'),
    "fi",
    section(S.boot, "cat /proc/sys/kernel/random/boot_id; awk '/^btime /{ print $2 }' /proc/stat"),
    ")",
  ].join("\n")
}

/** The cursor to pass as params.after_cursor for the next read, or null (first read). */
export const latestCursor = (store: StoreShape, deviceId: number): Effect.Effect<string | null, StoreError> =>
  store.latestLogCursor(deviceId)

/**
 * Rows carry the entry's own `time` (ISO 8601) when it is known: the pipeline must let it win
 * over collection time. Entries without a time omit the key and get collection time.
 * Re-reads cannot duplicate: (device_id, cursor) is unique; insert with
 * ON CONFLICT (device_id, cursor) WHERE cursor IS NOT NULL DO NOTHING.
 */
export const systemLogsRows = (s: SystemLogs) =>
  s.entries.map((e) => ({
    ...(e.time === null ? {} : { time: e.time }),
    cursor: e.cursor,
    unit: e.unit,
    priority: e.priority,
    message: e.message,
    data: e,
  }))

export const systemLogs: DataTypeSpec<SystemLogs> = {
  name: "system_logs",
  pollable: true,
  params: params({
    unit: "systemd unit name or glob, e.g. nginx.service, docker*",
    priority: "most verbose priority: 0-7 or emerg|alert|crit|err|warning|notice|info|debug",
    since: "journalctl time: '2024-05-01 10:00', '-1h', 'today'",
    limit: "at most this many entries, 1-10000 (default 200)",
    after_cursor: "only entries after this journal cursor",
  }),
  description:
    "System log entries from journald (JSON, read incrementally by cursor; filters: unit, priority 0-7 or name, since, " +
    "limit ≤ 10000), falling back to the kernel ring buffer (dmesg) where journalctl is missing.",
  output: SystemLogsSchema,
  table: "system_logs",
  ttlSeconds: 60,
  timeout: "30 seconds",
  retry: transportRetry,
  // 10000 verbose journal entries can reach ~20 MB of JSON.
  maxOutputBytes: 32 * 1024 * 1024,
  insertMode: "skip-duplicates",
  // The unfiltered stream is read incrementally from the newest stored cursor. Filtered reads
  // (unit, priority, since) are views: they read the newest entries and drop what is stored.
  prepare: (store, device, params) => {
    const filtered = ["unit", "priority", "since", "after_cursor"].some((k) =>
      params[k] !== undefined && params[k] !== ""
    )
    if (filtered) return Effect.succeed(params)
    return Effect.map(
      latestCursor(store, device.id),
      (cursor) => (cursor === null ? params : { ...params, after_cursor: cursor }),
    )
  },
  script: systemLogsScript,
  parse: (result, params) => parseSystemLogs(result, params),
  toRows: systemLogsRows,
}

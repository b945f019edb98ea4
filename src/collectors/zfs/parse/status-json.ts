import type { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { bad, guard } from "./fail.ts"
import type { ZfsPoolStatus, ZfsScan, ZfsVdev, ZfsVdevGroup } from "./model.ts"
import { epochToIso, parseSize } from "./units.ts"
import { groupKind, interiorType, sumErrors } from "./vdev.ts"

type Json = Record<string, unknown>
const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** GUIDs exceed 2^53: keep long integers as strings so JSON.parse does not round them. */
const quoteBigIntegers = (text: string): string => text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"')

/** Values are numbers with --json-int, strings otherwise ("62.6G" without -p, "123" with -p). */
const num = (u: unknown, at: string): number | null => {
  if (typeof u === "number") return Number.isFinite(u) ? u : null
  if (typeof u === "string") return parseSize(u, at)
  return u === undefined || u === null ? null : bad(`expected a number, got ${typeof u}`, at)
}

const str = (u: unknown): string | null =>
  typeof u === "string" ? u : typeof u === "number" || typeof u === "bigint" ? String(u) : null

/** Fields shown as columns of their own; everything else scalar goes to `extra` (path, guid, -c columns…). */
const CORE_KEYS = new Set(["name", "vdev_type", "state", "read_errors", "write_errors", "checksum_errors", "vdevs"])

const vdevFrom = (key: string, u: unknown, at: string, fallbackState: string | null, isRoot: boolean): ZfsVdev => {
  if (!isRecord(u)) return bad(`vdev '${key}' is not an object`, at)
  const name = str(u["name"]) ?? key
  const here = `${at}/${name}`
  const declared = str(u["vdev_type"])
  const extra: Record<string, string> = {}
  for (const [k, v] of Object.entries(u)) {
    const s = str(v)
    if (!CORE_KEYS.has(k) && s !== null) extra[k] = s
  }
  const children = u["vdevs"]
  if (children !== undefined && !isRecord(children)) return bad(`'vdevs' of '${name}' is not an object`, here)
  return {
    name,
    type: isRoot ? "root" : (interiorType(name) ?? declared ?? "disk"),
    state: str(u["state"]) ?? fallbackState,
    read_errors: num(u["read_errors"], `${here}.read_errors`),
    write_errors: num(u["write_errors"], `${here}.write_errors`),
    cksum_errors: num(u["checksum_errors"], `${here}.checksum_errors`),
    note: null,
    extra,
    children: Object.entries(children ?? {}).map(([k, v]) => vdevFrom(k, v, here, null, false)),
  }
}

const SCAN_STATE: Readonly<Record<string, ZfsScan["state"]>> = {
  NONE: "none",
  SCANNING: "in_progress",
  FINISHED: "finished",
  CANCELED: "canceled",
}
const SCAN_FUNCTION: Readonly<Record<string, ZfsScan["function"]>> = {
  SCRUB: "scrub",
  RESILVER: "resilver",
  ERRORSCRUB: "error_scrub",
}

const scanFrom = (u: unknown, at: string): ZfsScan | null => {
  if (u === undefined) return null
  if (!isRecord(u)) return bad("scan_stats is not an object", at)
  const rawState = str(u["state"]) ?? "NONE"
  const paused = (num(u["pass_scrub_pause"] ?? u["scrub_pause"], at) ?? 0) > 0
  let state = SCAN_STATE[rawState] ?? "unknown"
  if (state === "in_progress" && paused) state = "paused"
  const toExamine = num(u["to_examine"], `${at}.to_examine`)
  const examined = num(u["examined"], `${at}.examined`)
  const issued = num(u["issued"], `${at}.issued`)
  const start = num(u["start_time"], `${at}.start_time`)
  const end = num(u["end_time"], `${at}.end_time`)
  const done = issued ?? examined
  const running = state === "in_progress" || state === "paused"
  return {
    function: SCAN_FUNCTION[str(u["function"]) ?? ""] ?? null,
    state,
    started_at: start === null ? null : epochToIso(start),
    ended_at: end === null || running ? null : epochToIso(end),
    duration_seconds: start !== null && end !== null && end >= start && !running ? end - start : null,
    percent_done: running && done !== null && toExamine !== null && toExamine > 0
      ? Math.min(100, (done / toExamine) * 100)
      : null,
    eta: null,
    scanned_bytes: examined,
    issued_bytes: issued,
    total_bytes: toExamine,
    repaired_bytes: num(u["processed"], `${at}.processed`),
    errors: num(u["errors"], `${at}.errors`),
    text: "",
  }
}

/** The vdev tree under `vdevs`: normally one root named after the pool. */
const rootFrom = (name: string, u: unknown, state: string | null, at: string): ZfsVdev | null => {
  if (u === undefined) return null
  if (!isRecord(u)) return bad("'vdevs' is not an object", at)
  const entries = Object.entries(u)
  const [only] = entries
  if (entries.length === 1 && only !== undefined) return vdevFrom(only[0], only[1], at, state, true)
  // --json-flat-vdevs or an unexpected layout: hang everything under a synthetic root.
  return {
    name,
    type: "root",
    state,
    read_errors: null,
    write_errors: null,
    cksum_errors: null,
    note: null,
    extra: {},
    children: entries.map(([k, v]) => vdevFrom(k, v, at, null, false)),
  }
}

const poolFrom = (key: string, u: unknown): ZfsPoolStatus => {
  const at = `pools.${key}`
  if (!isRecord(u)) return bad(`pool '${key}' is not an object`, at)
  const name = str(u["name"]) ?? key
  const state = str(u["state"])
  const root = rootFrom(name, u["vdevs"], state, `${at}.vdevs`)
  const groups: Array<ZfsVdevGroup> = []
  for (const [k, v] of Object.entries(u)) {
    const kind = k === "vdevs" ? undefined : groupKind(k)
    if (kind === undefined) continue
    if (!isRecord(v)) return bad(`'${k}' is not an object`, `${at}.${k}`)
    groups.push({ kind, vdevs: Object.entries(v).map(([vk, vv]) => vdevFrom(vk, vv, `${at}.${k}`, null, false)) })
  }
  const errorCount = num(u["error_count"], `${at}.error_count`)
  return {
    name,
    state,
    status: str(u["status"]),
    action: str(u["action"]),
    see: str(u["moreinfo"] ?? u["msgid"]),
    scan: scanFrom(u["scan_stats"], `${at}.scan_stats`),
    root,
    groups,
    errors_text: null,
    data_errors: errorCount,
    totals: sumErrors(root, groups),
  }
}

const STATUS_COMMAND = "zpool status"

/**
 * Every OpenZFS JSON output names its command. `zpool list -j` has a `pools` object too and
 * `zfs list -j` has none (which would read as "no pools"), so anything else is refused.
 */
const checkCommand = (doc: Json): void => {
  const version = doc["output_version"]
  const command = isRecord(version) ? version["command"] : undefined
  if (typeof command !== "string") {
    return bad(
      `not 'zpool status -j' output: no output_version.command (expected '${STATUS_COMMAND}')`,
      "output_version",
    )
  }
  if (command !== STATUS_COMMAND) {
    const got = command.slice(0, 60)
    return bad(
      `not 'zpool status -j' output: output_version.command is '${got}', expected '${STATUS_COMMAND}'`,
      "output_version.command",
    )
  }
}

/** `zpool status -j` (OpenZFS ≥ 2.3), with or without --json-int / -p. */
export const parseZpoolStatusJson = (text: string): Result.Result<Array<ZfsPoolStatus>, ParseError> =>
  guard("status_json", () => {
    let doc: unknown
    try {
      doc = JSON.parse(quoteBigIntegers(text))
    } catch (e) {
      return bad(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`, "status_json")
    }
    if (!isRecord(doc)) return bad("zpool status JSON is not an object", "status_json")
    checkCommand(doc)
    const pools = doc["pools"]
    // With no pools zpool may omit "pools".
    if (pools === undefined) return []
    if (!isRecord(pools)) return bad("'pools' is not an object", "pools")
    return Object.entries(pools).map(([k, v]) => poolFrom(k, v))
  })

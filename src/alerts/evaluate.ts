/**
 * Rule evaluation, pure: a rule and what is known about one device (its status, a data type's
 * newest stored rows, a failure count, a config change) → one observation per subject.
 */
import type { AlertDataType, AlertRule, Comparator, Condition, PredicateName, ThresholdCondition } from "./model.ts"
import { jsonColumn } from "../domain/json.ts"

/** A stored row: its columns, `data` the parsed record (jsonb, possibly still a string). */
export type StoredRow = Readonly<Record<string, unknown>>

export interface ConfigChange {
  readonly path: string
  readonly configType: string
  readonly changeType: string
  readonly risk: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"
  readonly snapshotId: number
  /** The stored change event's analysis (rule that set the risk, diff summary), when found. */
  readonly riskRule?: string | null | undefined
  readonly diffSummary?: unknown
}

/** What one evaluation looks at. */
export type Source =
  | { readonly kind: "status"; readonly status: string }
  | { readonly kind: "failures"; readonly dataType: string; readonly count: number }
  | { readonly kind: "config"; readonly change: ConfigChange }
  | {
    readonly kind: "rows"
    readonly dataType: AlertDataType
    /** The newest collection's rows. */
    readonly current: ReadonlyArray<StoredRow>
    /** The collection before it (for "increased" predicates); empty when there is none. */
    readonly previous: ReadonlyArray<StoredRow>
  }

/** fire: the condition holds; clear: a firing alert may resolve; hold: in the hysteresis band. */
export type Verdict = "fire" | "clear" | "hold"

export interface Observation {
  readonly subject: string
  readonly verdict: Verdict
  readonly value: number | null
  readonly threshold: number | null
  readonly summary: string
  readonly labels: Readonly<Record<string, string>>
  readonly details?: unknown
}

export interface Evaluation {
  readonly observations: ReadonlyArray<Observation>
  /** Every subject of the rule was seen: open alerts of subjects not observed resolve. */
  readonly complete: boolean
}

export type RuleSource = "status" | "failures" | "config" | AlertDataType

const predicateSource: Record<PredicateName, RuleSource> = {
  device_offline: "status",
  host_key_mismatch: "status",
  collection_failing: "failures",
  config_change_risk: "config",
  smart_failing: "drive_health",
  sectors_increased: "drive_health",
  nvme_critical_warning: "drive_health",
  zpool_not_online: "zfs",
  zpool_errors_increased: "zfs",
  container_exited: "containers",
  container_unhealthy: "containers",
  container_restarting: "containers",
  container_missing: "containers",
  systemd_unit_failed: "systemd_services",
}

/** Which source a rule is evaluated on. */
export const sourceOf = (condition: Condition): RuleSource =>
  condition.kind === "threshold" ? condition.data_type : predicateSource[condition.predicate]

/**
 * A failed collection counts towards collection_failing only when the host answered and the type
 * itself failed (as DeviceHealth classifies it): an unreachable host is device_offline's business,
 * and errors about the request (bad params, unknown type) say nothing about the host.
 */
export const isTypeFailure = (code: string): boolean =>
  code === "parse_error" || code === "command_failed" || code === "ssh_output_too_large"

/** Rules that compare the newest read with the one before it. */
export const readsPrevious = (rule: AlertRule): boolean =>
  rule.condition.kind === "predicate" &&
  ["sectors_increased", "zpool_errors_increased", "container_restarting"].includes(rule.condition.predicate)

/** Predicates about an event: each one is its own alert, resolved by acknowledging it. */
export const isEventRule = (rule: AlertRule): boolean => sourceOf(rule.condition) === "config"

const num = (v: unknown): number | null => {
  if (typeof v === "number") return Number.isFinite(v) ? v : null
  if (typeof v === "bigint") return Number(v)
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v)
  return null
}

const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v))

/** The row as one record: the parsed data with the row's columns over it. */
const recordOf = (row: StoredRow): Record<string, unknown> => {
  const data = jsonColumn(row["data"])
  const { data: _data, ...columns } = row
  return { ...(typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {}), ...columns }
}

/** A dot path's value; only own properties of plain objects are followed. */
export const pathValue = (record: unknown, path: string): unknown => {
  let at: unknown = record
  for (const key of path.split(".")) {
    if (typeof at !== "object" || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}

export const compare = (value: number, comparator: Comparator, threshold: number): boolean => {
  switch (comparator) {
    case ">":
      return value > threshold
    case ">=":
      return value >= threshold
    case "<":
      return value < threshold
    case "<=":
      return value <= threshold
    case "==":
      return value === threshold
    case "!=":
      return value !== threshold
  }
}

interface Subject {
  readonly subject: string
  readonly labels: Record<string, string>
  readonly record: Record<string, unknown>
}

const keyColumn: Record<AlertDataType, string> = {
  system_metrics: "",
  drive_health: "device_path",
  zfs: "pool",
  containers: "name",
  systemd_services: "unit",
}
const labelName: Record<AlertDataType, string> = {
  system_metrics: "mount",
  drive_health: "drive",
  zfs: "pool",
  containers: "container",
  systemd_services: "unit",
}

/** The records a rule looks at in a data type's rows. */
export const subjectsOf = (
  dataType: AlertDataType,
  rows: ReadonlyArray<StoredRow>,
  records: "host" | "mounts" = "host",
): Array<Subject> => {
  if (dataType === "system_metrics") {
    const row = rows[0]
    if (row === undefined) return []
    const record = recordOf(row)
    if (records === "mounts") {
      const mounts = pathValue(record, "disk.mounts")
      return (Array.isArray(mounts) ? mounts : [])
        .filter((m): m is Record<string, unknown> => typeof m === "object" && m !== null && m["pseudo"] !== true)
        .map((m) => ({
          subject: str(m["mountpoint"]),
          labels: { mount: str(m["mountpoint"]), filesystem: str(m["filesystem"]) },
          record: m,
        }))
    }
    const cores = pathValue(record, "cpu.cores")
    const load1 = num(pathValue(record, "load.load1")) ?? num(record["load1"])
    const coreCount = Array.isArray(cores) && cores.length > 0 ? cores.length : null
    const derived = load1 !== null && coreCount !== null ? { load_per_core: load1 / coreCount } : {}
    return [{ subject: "", labels: {}, record: { ...record, ...derived } }]
  }
  const key = keyColumn[dataType]
  return rows.map((row) => {
    const record = recordOf(row)
    const subject = str(record[key])
    return { subject, labels: { [labelName[dataType]]: subject }, record }
  })
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2))

const evaluateThreshold = (c: ThresholdCondition, rows: ReadonlyArray<StoredRow>): Array<Observation> =>
  subjectsOf(c.data_type, rows, c.records).flatMap((s) => {
    const value = num(pathValue(s.record, c.metric))
    if (value === null) return []
    const fires = compare(value, c.comparator, c.threshold)
    const holdsStill = compare(value, c.comparator, c.resolve_threshold ?? c.threshold)
    const where = s.subject === "" ? "" : ` on ${s.subject}`
    return [{
      subject: s.subject,
      verdict: fires ? "fire" : holdsStill ? "hold" : "clear",
      value,
      threshold: c.threshold,
      summary: `${c.metric}${where} is ${fmt(value)} (${c.comparator} ${fmt(c.threshold)})`,
      labels: s.labels,
    }]
  })

const verdictOf = (b: boolean): Verdict => (b ? "fire" : "clear")

/** By subject: the previous collection's records, for the "increased" predicates. */
const previousBy = (dataType: AlertDataType, rows: ReadonlyArray<StoredRow>) =>
  new Map(subjectsOf(dataType, rows).map((s) => [s.subject, s.record]))

const increase = (now: Record<string, unknown>, before: Record<string, unknown> | undefined, keys: Array<string>) => {
  if (before === undefined) return 0
  let total = 0
  for (const k of keys) {
    const a = num(now[k])
    const b = num(before[k])
    if (a !== null && b !== null && a > b) total += a - b
  }
  return total
}

const rowPredicate = (
  predicate: PredicateName,
  count: number | undefined,
  dataType: AlertDataType,
  current: ReadonlyArray<StoredRow>,
  previous: ReadonlyArray<StoredRow>,
): Array<Observation> => {
  const before = previousBy(dataType, previous)
  return subjectsOf(dataType, current).map((s): Observation => {
    const r = s.record
    const base = { subject: s.subject, labels: s.labels, threshold: null }
    switch (predicate) {
      case "smart_failing": {
        const failing = r["status"] === "failing" || r["smart_passed"] === false
        return {
          ...base,
          verdict: verdictOf(failing),
          value: null,
          summary: `${s.subject}: SMART status ${str(r["status"])}`,
        }
      }
      case "nvme_critical_warning": {
        const w = num(pathValue(r, "nvme.critical_warning"))
        return {
          ...base,
          verdict: verdictOf(w !== null && w !== 0),
          value: w,
          summary: `${s.subject}: NVMe critical warning ${w}`,
        }
      }
      case "sectors_increased": {
        const up = increase(r, before.get(s.subject), ["reallocated_sectors", "pending_sectors"])
        return {
          ...base,
          verdict: verdictOf(up > 0),
          value: up,
          summary:
            `${s.subject}: ${up} more reallocated/pending sectors (now ${num(r["reallocated_sectors"]) ?? "?"} ` +
            `reallocated, ${num(r["pending_sectors"]) ?? "?"} pending)`,
        }
      }
      case "zpool_not_online": {
        const health = str(r["health"])
        return {
          ...base,
          labels: { ...s.labels, health },
          verdict: verdictOf(health !== "ONLINE"),
          value: null,
          summary: `pool ${s.subject} is ${health || "of unknown health"}`,
        }
      }
      case "zpool_errors_increased": {
        const up = increase(r, before.get(s.subject), ["read_errors", "write_errors", "cksum_errors"])
        return {
          ...base,
          verdict: verdictOf(up > 0),
          value: up,
          summary: `pool ${s.subject}: ${up} new read/write/checksum errors`,
        }
      }
      case "container_exited": {
        const code = num(r["exit_code"])
        const exited = (r["state"] === "exited" && code !== null && code !== 0) || r["state"] === "dead"
        return {
          ...base,
          verdict: verdictOf(exited),
          value: code,
          summary: `container ${s.subject} ${str(r["state"])} (exit code ${code ?? "?"})`,
        }
      }
      case "container_unhealthy":
        return {
          ...base,
          verdict: verdictOf(r["health"] === "unhealthy"),
          value: null,
          summary: `container ${s.subject} is unhealthy`,
        }
      case "container_restarting": {
        const up = increase(r, before.get(s.subject), ["restart_count"])
        const looping = r["state"] === "restarting" || up >= (count ?? 3)
        return {
          ...base,
          verdict: verdictOf(looping),
          value: up,
          summary: `container ${s.subject}: ${up} restarts since the last read (${str(r["state"])})`,
        }
      }
      case "systemd_unit_failed":
        return {
          ...base,
          verdict: verdictOf(r["active_state"] === "failed"),
          value: null,
          summary: `unit ${s.subject} is ${str(r["active_state"])} (${str(r["sub_state"])})`,
        }
      default:
        return { ...base, verdict: "hold", value: null, summary: "" }
    }
  })
}

/** One observation per named container: firing while the newest read does not list it. */
const missingContainers = (names: ReadonlyArray<string>, current: ReadonlyArray<StoredRow>): Array<Observation> => {
  const present = new Set(current.map((r) => str(r["name"])))
  return [...new Set(names)].map((name) => ({
    subject: name,
    verdict: verdictOf(!present.has(name)),
    value: null,
    threshold: null,
    summary: present.has(name) ? `container ${name} is present` : `container ${name} is missing`,
    labels: { container: name },
  }))
}

const riskRank = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 } as const

/** Observations of `rule` on `source`; none when the rule does not read that source. */
export const evaluate = (rule: AlertRule, source: Source): Evaluation => {
  const c = rule.condition
  const wants = sourceOf(c)
  switch (source.kind) {
    case "status": {
      if (wants !== "status" || c.kind !== "predicate") return { observations: [], complete: false }
      const want = c.predicate === "device_offline" ? "offline" : "host_key_mismatch"
      return {
        complete: true,
        observations: [{
          subject: "",
          verdict: verdictOf(source.status === want),
          value: null,
          threshold: null,
          summary: `device is ${source.status}`,
          labels: { status: source.status },
        }],
      }
    }
    case "failures": {
      if (wants !== "failures" || c.kind !== "predicate") return { observations: [], complete: false }
      const limit = c.count ?? 3
      return {
        complete: false,
        observations: [{
          subject: source.dataType,
          verdict: source.count >= limit ? "fire" : source.count === 0 ? "clear" : "hold",
          value: source.count,
          threshold: limit,
          summary: `${source.dataType} failed ${source.count} times in a row`,
          labels: { data_type: source.dataType },
        }],
      }
    }
    case "config": {
      if (wants !== "config" || c.kind !== "predicate") return { observations: [], complete: false }
      const ch = source.change
      if (riskRank[ch.risk] < riskRank[c.min_risk ?? "HIGH"]) return { observations: [], complete: false }
      return {
        complete: false,
        observations: [{
          subject: `${ch.path}#${ch.snapshotId}`,
          verdict: "fire",
          value: null,
          threshold: null,
          summary: `${ch.changeType} of ${ch.path}: risk ${ch.risk}${ch.riskRule ? ` (${ch.riskRule})` : ""}`,
          labels: { path: ch.path, config_type: ch.configType, risk: ch.risk, change_type: ch.changeType },
          details: {
            snapshot_id: ch.snapshotId,
            risk_rule: ch.riskRule ?? null,
            diff_summary: ch.diffSummary ?? null,
          },
        }],
      }
    }
    case "rows": {
      if (wants !== source.dataType) return { observations: [], complete: false }
      const observations = c.kind === "threshold"
        ? evaluateThreshold(c, source.current)
        : c.predicate === "container_missing"
        ? missingContainers(c.names ?? [], source.current)
        : rowPredicate(c.predicate, c.count, source.dataType, source.current, source.previous)
      return { observations, complete: true }
    }
  }
}

/**
 * Alert rules as data: a typed condition (a metric path compared with a threshold, or one of a
 * fixed set of named predicates), a scope, a severity and durations. No user code is ever run.
 */
import { Schema } from "effect"
import { durationMs } from "../scheduler/settings.ts"

export const Severity = Schema.Literals(["info", "warning", "critical"])
export type Severity = typeof Severity.Type

export const AlertState = Schema.Literals(["pending", "firing", "resolved"])
export type AlertState = typeof AlertState.Type

const durationPattern = /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)?\s*$/

/** 0, 30 (seconds), "30s", "5m", "1h", "2d": kept as given, read with `msOf`. */
export const RuleDuration = Schema.Union([Schema.Finite, Schema.String]).check(
  Schema.makeFilter((v) =>
    (typeof v === "number" ? v >= 0 : durationPattern.test(v)) ||
    `expected a duration like 0, 30, "30s", "5m" or "1h", got ${JSON.stringify(v)}`
  ),
).annotate({ description: 'seconds, or a string with a unit: "30s", "5m", "1h"' })
export type RuleDuration = typeof RuleDuration.Type

export const msOf = (d: RuleDuration | undefined): number => (d === undefined ? 0 : durationMs(d))

/** The data types whose stored rows a threshold condition may read. */
export const AlertDataType = Schema.Literals([
  "system_metrics",
  "drive_health",
  "zfs",
  "containers",
  "systemd_services",
])
export type AlertDataType = typeof AlertDataType.Type

/**
 * The records of a data type a condition looks at: system_metrics has one per device ("host") and
 * one per real mount ("mounts"); the others one per row of the newest collection.
 */
export const RecordSet = Schema.Literals(["host", "mounts"])

export const Comparator = Schema.Literals([">", ">=", "<", "<=", "==", "!="])
export type Comparator = typeof Comparator.Type

/** A dot path into a record (`memory.used_percent`, `nvme.critical_warning`): letters, digits, `_`. */
export const MetricPath = Schema.String.check(
  Schema.makeFilter((v: string) =>
    /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*){0,7}$/.test(v) ||
    `expected a dot path like memory.used_percent, got ${JSON.stringify(v)}`
  ),
)

export const ThresholdCondition = Schema.Struct({
  kind: Schema.Literal("threshold"),
  data_type: AlertDataType,
  records: Schema.optional(RecordSet).annotate({ description: 'system_metrics only: "host" (default) or "mounts"' }),
  metric: MetricPath,
  comparator: Comparator,
  threshold: Schema.Finite,
  resolve_threshold: Schema.optional(Schema.Finite).annotate({
    description: "hysteresis: a firing alert resolves only once the value is past this (default: the threshold)",
  }),
})
export type ThresholdCondition = typeof ThresholdCondition.Type

/** The fixed predicates, each over one source (the device's status, an event, or a data type's rows). */
export const PredicateName = Schema.Literals([
  "device_offline",
  "host_key_mismatch",
  "collection_failing",
  "smart_failing",
  "sectors_increased",
  "nvme_critical_warning",
  "zpool_not_online",
  "zpool_errors_increased",
  "container_exited",
  "container_unhealthy",
  "container_restarting",
  "container_missing",
  "systemd_unit_failed",
  "config_change_risk",
])
export type PredicateName = typeof PredicateName.Type

export const PredicateCondition = Schema.Struct({
  kind: Schema.Literal("predicate"),
  predicate: PredicateName,
  /** collection_failing: consecutive failures; container_restarting: restarts between two reads. */
  count: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  /** config_change_risk: the lowest risk that fires (default HIGH). */
  min_risk: Schema.optional(Schema.Literals(["LOW", "MEDIUM", "HIGH", "CRITICAL"])),
  /** container_missing: the containers that must exist. */
  names: Schema.optional(
    Schema.Array(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256))).check(
      Schema.isMinLength(1),
      Schema.isMaxLength(1000),
    ),
  ),
})
export type PredicateCondition = typeof PredicateCondition.Type

export const Condition = Schema.Union([ThresholdCondition, PredicateCondition])
export type Condition = typeof Condition.Type

export const Scope = Schema.Union([
  Schema.Struct({ all: Schema.Literal(true) }),
  Schema.Struct({ tag: Schema.String.check(Schema.isMinLength(1)) }),
  Schema.Struct({ devices: Schema.Array(Schema.String.check(Schema.isMinLength(1))).check(Schema.isMinLength(1)) }),
]).annotate({ description: "{ all: true }, { tag: name } or { devices: [names] }" })
export type Scope = typeof Scope.Type

export const RuleId = Schema.String.check(
  Schema.makeFilter((v: string) =>
    /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(v) || `expected an id of a-z, 0-9, _ . - (at most 64), got ${JSON.stringify(v)}`
  ),
)

const ruleFields = {
  name: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  severity: Severity,
  scope: Scope,
  condition: Condition,
  for: Schema.optional(RuleDuration),
  repeat_interval: Schema.optional(RuleDuration).annotate({ description: "reminders while firing (0: none)" }),
  enabled: Schema.optional(Schema.Boolean),
}

/** A complete rule, as stored and listed. */
export const AlertRule = Schema.Struct({ id: RuleId, ...ruleFields }).annotate({ identifier: "AlertRule" })
export type AlertRule = typeof AlertRule.Type

/** POST /api/alerts/rules. */
export const RuleCreate = AlertRule.annotate({ identifier: "AlertRuleCreate" })

/**
 * PATCH /api/alerts/rules/:id: any subset of the fields. For a built-in, a partial override
 * (e.g. `{ enabled: false }` or `{ for: "10m" }`).
 */
export const RulePatch = Schema.Struct({
  name: Schema.optional(ruleFields.name),
  severity: Schema.optional(Severity),
  scope: Schema.optional(Scope),
  condition: Schema.optional(Condition),
  for: Schema.optional(RuleDuration),
  repeat_interval: Schema.optional(RuleDuration),
  enabled: Schema.optional(Schema.Boolean),
  threshold: Schema.optional(Schema.Finite).annotate({ description: "a threshold rule's threshold" }),
  resolve_threshold: Schema.optional(Schema.Finite).annotate({ description: "a threshold rule's resolve threshold" }),
}).annotate({ identifier: "AlertRulePatch" })
export type RulePatch = typeof RulePatch.Type

export const SilenceCreate = Schema.Struct({
  rule_id: Schema.optional(Schema.String),
  device: Schema.optional(Schema.String),
  tag: Schema.optional(Schema.String),
  subject: Schema.optional(Schema.String),
  until: Schema.String.annotate({ description: "ISO 8601, unix seconds, or a duration from now (2h, 1d)" }),
  reason: Schema.optional(Schema.String.check(Schema.isMaxLength(1000))),
}).annotate({ identifier: "AlertSilenceCreate" })
export type SilenceCreate = typeof SilenceCreate.Type

export const AcknowledgeBody = Schema.Struct({
  by: Schema.optional(Schema.String.check(Schema.isMaxLength(200))),
}).annotate({ identifier: "AlertAcknowledge" })

export const decodeRule = Schema.decodeUnknownSync(AlertRule)

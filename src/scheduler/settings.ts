import { Cron } from "croner"
import { Schema, SchemaGetter } from "effect"
import os from "node:os"
import { defaultHealthSettings, type HealthSettings } from "../pipeline/health-state.ts"
import { pollableDataTypes } from "../collectors/index.ts"

/** How a data type is polled: every N ms (phase-shifted per device), on a cron expression, or not at all. */
export type CadenceSetting =
  | { readonly kind: "interval"; readonly ms: number }
  | { readonly kind: "cron"; readonly expression: string }
  | { readonly kind: "off" }

export interface DeviceScheduleSettings {
  readonly cadence: Readonly<Record<string, CadenceSetting>>
}

export interface SchedulerSettings {
  /** Poll devices in `serve` (false: this instance only serves the API and relays events). */
  readonly enabled: boolean
  /** Unique per running process when several share one PostgreSQL database. */
  readonly instanceId: string
  /** Global cadence overrides by data type; unset types poll at their registry ttl. */
  readonly cadence: Readonly<Record<string, CadenceSetting>>
  /** Per device name. */
  readonly devices: Readonly<Record<string, DeviceScheduleSettings>>
  /** 0..1: fraction of an interval over which device+type phases are spread (0 = everyone at the same instant). */
  readonly jitter: number
  /** Cron jobs are spread over this many ms after the cron instant. */
  readonly cronJitterMs: number
  /**
   * A device+type with no successful read within its interval (first start, restart after a
   * long stop, new device) is read within this many ms instead of waiting for its slot.
   * 0 = always wait for the slot.
   */
  readonly catchUpMs: number
  readonly maxConcurrent: number
  readonly maxPerDevice: number
  /** The device list is re-read this often (and on device events). */
  readonly deviceRefreshMs: number
  /** On stop, in-flight collections get this long to finish before they are cancelled. */
  readonly drainTimeoutMs: number
  readonly health: HealthSettings
  /** "auto": leases on PostgreSQL, single instance on PGlite. */
  readonly ownership: "auto" | "leases" | "single"
  readonly leaseTtlMs: number
}

export const defaultInstanceId = (): string =>
  `${os.hostname().replace(/[^A-Za-z0-9._-]/g, "").slice(0, 40) || "host"}-${process.pid}-${
    Math.random().toString(36).slice(2, 6)
  }`

export const defaultSchedulerSettings = (instanceId: string = defaultInstanceId()): SchedulerSettings => ({
  enabled: true,
  instanceId,
  cadence: {},
  devices: {},
  jitter: 1,
  cronJitterMs: 30_000,
  catchUpMs: 60_000,
  maxConcurrent: 16,
  maxPerDevice: 2,
  deviceRefreshMs: 30_000,
  drainTimeoutMs: 10_000,
  health: defaultHealthSettings,
  ownership: "auto",
  leaseTtlMs: 30_000,
})

/** `null` or absent both mean "the default": YAML `health:` with nothing under it. */
const opt = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/

/** 30, "30", "30s", "500ms", "5m", "1h" → milliseconds; a bare number is seconds. Input already checked by Duration. */
export const durationMs = (v: number | string): number => {
  if (typeof v === "number") return v * 1000
  const m = durationPattern.exec(v)
  return Number(m?.[1]) * (units[m?.[2] ?? "s"] ?? 1000)
}

const durationExpected = 'a duration like 30, "30s", "5m" or "500ms"'
const isDuration = (v: unknown): v is number | string =>
  typeof v === "number" || (typeof v === "string" && durationPattern.test(v))

const inRange = (minMs: number, maxMs: number) =>
  Schema.makeFilter((ms: number) =>
    ms >= minMs && ms <= maxMs
      ? undefined
      : `must be between ${minMs / 1000} s and ${maxMs / 1000} s, got ${ms / 1000} s`
  )

/** A duration in the config (seconds, or a string with a unit), decoded to milliseconds within [minMs, maxMs]. */
export const Duration = (minMs: number, maxMs: number) =>
  Schema.Union([Schema.Finite, Schema.String]).check(
    Schema.makeFilter((v) => isDuration(v) || `expected ${durationExpected}, got ${JSON.stringify(v)}`),
  ).pipe(
    Schema.decodeTo(Schema.Finite.check(inRange(minMs, maxMs)), {
      decode: SchemaGetter.transform(durationMs),
      encode: SchemaGetter.transform((ms: number) => `${ms}ms`),
    }),
  )

const isOff = (v: unknown): boolean => v === 0 || v === "0" || v === "off" || v === false

const intervalOf = (v: number | string | false): number | "off" => (v === false || isOff(v) ? "off" : durationMs(v))

/** `intervals:` values: a duration decoded to ms, or 0 / "0" / "off" / false (decoded to "off") to stop polling a type. */
const Interval = Schema.Union([Schema.Finite, Schema.String, Schema.Literal(false)]).check(
  Schema.makeFilter((v) =>
    isOff(v) || isDuration(v) || `expected ${durationExpected}, or 0 / "off" / false, got ${JSON.stringify(v)}`
  ),
).pipe(
  Schema.decodeTo(
    Schema.Union([Schema.Literal("off"), Schema.Finite.check(inRange(50, 31 * 86_400_000))]),
    {
      decode: SchemaGetter.transform(intervalOf),
      encode: SchemaGetter.transform((v: number | "off") => (v === "off" ? "off" : `${v}ms`)),
    },
  ),
)

/** A cron expression croner accepts. */
export const CronExpression = Schema.String.check(
  Schema.makeFilter((expression: string) => {
    try {
      new Cron(expression, { paused: true })
      return undefined
    } catch (e) {
      return `invalid cron expression ${JSON.stringify(expression)}: ${(e as Error).message}`
    }
  }),
)

const between = (minimum: number, maximum: number) => Schema.Finite.check(Schema.isBetween({ minimum, maximum }))
const intBetween = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** A map keyed by data type: an unknown key is reported as an unknown data type, with the nearest one. */
const byDataType = <S extends Schema.Top>(value: S) =>
  Schema.Record(Schema.Literals(pollableDataTypes), opt(value)).annotate({ configKeyKind: "data type" })

const Cadences = {
  intervals: opt(byDataType(Interval)),
  cron: opt(byDataType(CronExpression)),
  disabled: opt(Schema.Array(Schema.Literals(pollableDataTypes))),
}

/** 1-63 letters, digits, '.', '_', ':' or '-' (a number in YAML is taken as its text). */
export const InstanceId = Schema.Union([Schema.String, Schema.Finite]).pipe(
  Schema.decodeTo(
    Schema.String.check(
      Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, {
        expected: "1-63 letters, digits, '.', '_', ':' or '-'",
      }),
    ),
    { decode: SchemaGetter.transform((v: string | number) => String(v)), encode: SchemaGetter.transform((s) => s) },
  ),
)

const Health = Schema.Struct({
  offline_after: opt(intBetween(1, 1000)),
  backoff_base: opt(Duration(10, 86_400_000)),
  backoff_max: opt(Duration(10, 7 * 86_400_000)),
  breaker_threshold: opt(intBetween(1, 1000)),
}).check(
  Schema.makeFilter((h) => {
    const base = h.backoff_base ?? defaultHealthSettings.backoffBaseMs
    const max = h.backoff_max ?? defaultHealthSettings.backoffMaxMs
    if (max >= base) return undefined
    return h.backoff_max == null
      ? {
        path: ["backoff_base"],
        issue: `must not be above backoff_max (default ${max / 1000} s), got ${base / 1000} s`,
      }
      : { path: ["backoff_max"], issue: `must not be below backoff_base (${base / 1000} s), got ${max / 1000} s` }
  }),
)

/** Also INFRA_LEASE_TTL. */
export const LeaseTtl = Duration(300, 3_600_000)

/** The `schedule:` section of the config document. */
export const ScheduleSection = Schema.Struct({
  ...Cadences,
  enabled: opt(Schema.Boolean.annotate({ expected: "true or false" })),
  devices: opt(Schema.Record(Schema.String, Schema.NullOr(Schema.Struct(Cadences)))),
  jitter: opt(between(0, 1)),
  cron_jitter: opt(Duration(0, 3_600_000)),
  catch_up: opt(Duration(0, 86_400_000)),
  max_concurrent: opt(intBetween(1, 10_000)),
  max_per_device: opt(intBetween(1, 64)),
  device_refresh: opt(Duration(100, 86_400_000)),
  drain_timeout: opt(Duration(0, 600_000)),
  health: opt(Health),
  ownership: opt(Schema.Literals(["auto", "leases", "single"])),
  lease_ttl: opt(LeaseTtl),
})

export type ScheduleInput = typeof ScheduleSection.Type
type CadencesInput = Schema.Struct<typeof Cadences>["Type"]

/** One level's `intervals:`, `cron:` and `disabled:` (global or a device), in that order of precedence. */
const cadencesOf = (input: CadencesInput): Record<string, CadenceSetting> => {
  const out: Record<string, CadenceSetting> = {}
  for (const [type, v] of Object.entries(input.intervals ?? {})) {
    if (v != null) out[type] = v === "off" ? { kind: "off" } : { kind: "interval", ms: v }
  }
  for (const [type, v] of Object.entries(input.cron ?? {})) if (v != null) out[type] = { kind: "cron", expression: v }
  for (const type of input.disabled ?? []) out[type] = { kind: "off" }
  return out
}

/**
 * The scheduler settings from a decoded `schedule:` section (environment overrides already merged
 * in by src/settings) and `instance_id`: only defaults and shapes here, the Schema has validated.
 */
export const schedulerSettingsFrom = (
  s: ScheduleInput | null | undefined,
  instanceId: string | null | undefined,
): SchedulerSettings => {
  const d = defaultSchedulerSettings(instanceId ?? undefined)
  const h = s?.health
  const devices: Record<string, DeviceScheduleSettings> = {}
  for (const [name, dev] of Object.entries(s?.devices ?? {})) devices[name] = { cadence: cadencesOf(dev ?? {}) }
  return {
    enabled: s?.enabled ?? d.enabled,
    instanceId: d.instanceId,
    cadence: cadencesOf(s ?? {}),
    devices,
    jitter: s?.jitter ?? d.jitter,
    cronJitterMs: s?.cron_jitter ?? d.cronJitterMs,
    catchUpMs: s?.catch_up ?? d.catchUpMs,
    maxConcurrent: s?.max_concurrent ?? d.maxConcurrent,
    maxPerDevice: s?.max_per_device ?? d.maxPerDevice,
    deviceRefreshMs: s?.device_refresh ?? d.deviceRefreshMs,
    drainTimeoutMs: s?.drain_timeout ?? d.drainTimeoutMs,
    health: {
      offlineAfter: h?.offline_after ?? d.health.offlineAfter,
      backoffBaseMs: h?.backoff_base ?? d.health.backoffBaseMs,
      backoffMaxMs: h?.backoff_max ?? d.health.backoffMaxMs,
      breakerThreshold: h?.breaker_threshold ?? d.health.breakerThreshold,
    },
    ownership: s?.ownership ?? d.ownership,
    leaseTtlMs: s?.lease_ttl ?? d.leaseTtlMs,
  }
}

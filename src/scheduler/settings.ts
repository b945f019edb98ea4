import { Cron } from "croner"
import os from "node:os"
import { ValidationError } from "../domain/errors.ts"
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

const bad = (message: string) => new ValidationError({ message })

const record = (v: unknown, where: string): Record<string, unknown> => {
  if (v === undefined || v === null) return {}
  if (typeof v !== "object" || Array.isArray(v)) throw bad(`${where} must be a mapping`)
  return v as Record<string, unknown>
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** 30, "30", "30s", "500ms", "5m", "1h" → milliseconds. A bare number is seconds. */
export const parseDurationMs = (v: unknown, where: string, minMs: number, maxMs: number): number => {
  let ms: number
  if (typeof v === "number") ms = v * 1000
  else if (typeof v === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v)
    if (m === null || m[1] === undefined) {
      throw bad(`${where} must be a duration like 30, "30s", "5m" or "500ms", got ${JSON.stringify(v)}`)
    }
    ms = Number(m[1]) * (units[m[2] ?? "s"] ?? 1000)
  } else throw bad(`${where} must be a duration like 30, "30s", "5m" or "500ms"`)
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw bad(`${where} must be between ${minMs / 1000} s and ${maxMs / 1000} s, got ${JSON.stringify(v)}`)
  }
  return ms
}

const num = (v: unknown, where: string, min: number, max: number, fallback: number): number => {
  if (v === undefined || v === null || v === "") return fallback
  const n = typeof v === "number" ? v : Number(v)
  if (!Number.isFinite(n) || n < min || n > max) {
    throw bad(`${where} must be a number between ${min} and ${max}, got ${String(v)}`)
  }
  return n
}

const int = (v: unknown, where: string, min: number, max: number, fallback: number): number => {
  const n = num(v, where, min, max, fallback)
  if (!Number.isInteger(n)) throw bad(`${where} must be a whole number, got ${String(v)}`)
  return n
}

const bool = (v: unknown, where: string, fallback: boolean): boolean => {
  if (v === undefined || v === null || v === "") return fallback
  if (typeof v === "boolean") return v
  if (v === "true" || v === "1") return true
  if (v === "false" || v === "0") return false
  throw bad(`${where} must be true or false`)
}

const dataTypeName = (name: string, where: string): string => {
  if (!pollableDataTypes.includes(name)) {
    throw bad(`${where}: unknown data type '${name}' (pollable: ${pollableDataTypes.join(", ")})`)
  }
  return name
}

/** Throws ValidationError when croner refuses the pattern. */
export const checkCron = (expression: string, where: string): string => {
  try {
    new Cron(expression, { paused: true })
  } catch (e) {
    throw bad(`${where}: invalid cron expression ${JSON.stringify(expression)}: ${(e as Error).message}`)
  }
  return expression
}

const MIN_INTERVAL_MS = 50
const MAX_INTERVAL_MS = 31 * 86_400_000

/** `intervals:` (0 / "off" disables a type), `cron:` and `disabled:` of one level (global or a device). */
const parseCadences = (input: Record<string, unknown>, where: string): Record<string, CadenceSetting> => {
  const out: Record<string, CadenceSetting> = {}
  for (const [type, v] of Object.entries(record(input["intervals"], `${where}.intervals`))) {
    const at = `${where}.intervals.${type}`
    dataTypeName(type, at)
    out[type] = v === 0 || v === "0" || v === "off" || v === false
      ? { kind: "off" }
      : { kind: "interval", ms: parseDurationMs(v, at, MIN_INTERVAL_MS, MAX_INTERVAL_MS) }
  }
  for (const [type, v] of Object.entries(record(input["cron"], `${where}.cron`))) {
    const at = `${where}.cron.${type}`
    dataTypeName(type, at)
    if (typeof v !== "string") throw bad(`${at} must be a cron expression string`)
    out[type] = { kind: "cron", expression: checkCron(v, at) }
  }
  const disabled = input["disabled"] ?? []
  if (!Array.isArray(disabled)) throw bad(`${where}.disabled must be a list of data types`)
  for (const type of disabled) out[dataTypeName(String(type), `${where}.disabled`)] = { kind: "off" }
  return out
}

const instanceIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/

/**
 * The `schedule:` section and top-level `instance_id` of the config file; environment:
 * INFRA_INSTANCE_ID, INFRA_SCHEDULE (true/false), INFRA_LEASE_TTL (seconds or duration).
 */
export const parseSchedulerSettings = (
  file: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): SchedulerSettings => {
  const s = record(file["schedule"], "schedule")
  const health = record(s["health"], "schedule.health")
  const devicesIn = record(s["devices"], "schedule.devices")
  const instanceRaw = env["INFRA_INSTANCE_ID"] || file["instance_id"]
  let instanceId: string
  if (instanceRaw === undefined || instanceRaw === null || instanceRaw === "") instanceId = defaultInstanceId()
  else {
    instanceId = String(instanceRaw)
    if (!instanceIdPattern.test(instanceId)) {
      throw bad(`instance_id must be 1-63 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(instanceId)}`)
    }
  }
  const defaults = defaultSchedulerSettings(instanceId)
  const devices: Record<string, DeviceScheduleSettings> = {}
  for (const [name, d] of Object.entries(devicesIn)) {
    devices[name] = { cadence: parseCadences(record(d, `schedule.devices.${name}`), `schedule.devices.${name}`) }
  }
  const ownership = s["ownership"] ?? "auto"
  if (ownership !== "auto" && ownership !== "leases" && ownership !== "single") {
    throw bad("schedule.ownership must be auto, leases or single")
  }
  const ms = (v: unknown, where: string, min: number, max: number, fallback: number) =>
    v === undefined || v === null || v === "" ? fallback : parseDurationMs(v, where, min, max)
  const backoffBaseMs = ms(
    health["backoff_base"],
    "schedule.health.backoff_base",
    10,
    86_400_000,
    defaults.health.backoffBaseMs,
  )
  const backoffMaxMs = ms(
    health["backoff_max"],
    "schedule.health.backoff_max",
    10,
    7 * 86_400_000,
    defaults.health.backoffMaxMs,
  )
  if (backoffMaxMs < backoffBaseMs) throw bad("schedule.health.backoff_max must not be below backoff_base")
  return {
    enabled: bool(env["INFRA_SCHEDULE"] ?? s["enabled"], "schedule.enabled", defaults.enabled),
    instanceId,
    cadence: parseCadences(s, "schedule"),
    devices,
    jitter: num(s["jitter"], "schedule.jitter", 0, 1, defaults.jitter),
    cronJitterMs: ms(s["cron_jitter"], "schedule.cron_jitter", 0, 3_600_000, defaults.cronJitterMs),
    catchUpMs: ms(s["catch_up"], "schedule.catch_up", 0, 86_400_000, defaults.catchUpMs),
    maxConcurrent: int(s["max_concurrent"], "schedule.max_concurrent", 1, 10_000, defaults.maxConcurrent),
    maxPerDevice: int(s["max_per_device"], "schedule.max_per_device", 1, 64, defaults.maxPerDevice),
    deviceRefreshMs: ms(s["device_refresh"], "schedule.device_refresh", 100, 86_400_000, defaults.deviceRefreshMs),
    drainTimeoutMs: ms(s["drain_timeout"], "schedule.drain_timeout", 0, 600_000, defaults.drainTimeoutMs),
    health: {
      offlineAfter: int(
        health["offline_after"],
        "schedule.health.offline_after",
        1,
        1000,
        defaults.health.offlineAfter,
      ),
      backoffBaseMs,
      backoffMaxMs,
      breakerThreshold: int(
        health["breaker_threshold"],
        "schedule.health.breaker_threshold",
        1,
        1000,
        defaults.health.breakerThreshold,
      ),
    },
    ownership,
    leaseTtlMs: ms(env["INFRA_LEASE_TTL"] || s["lease_ttl"], "schedule.lease_ttl", 300, 3_600_000, defaults.leaseTtlMs),
  }
}

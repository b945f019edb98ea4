import { fnv1a } from "../domain/hash.ts"
import { Cron } from "croner"
import type { CadenceSetting, SchedulerSettings } from "./settings.ts"

/** A resolved cadence for one device + data type, with its deterministic phase offset. */
export type Cadence =
  | { readonly kind: "interval"; readonly ms: number; readonly offsetMs: number }
  | { readonly kind: "cron"; readonly expression: string; readonly cron: Cron; readonly offsetMs: number }

/** A number in [0, 1) from a key. */
export const unitHash = (key: string): number => fnv1a(key) / 0x1_0000_0000

/**
 * What applies to a device + type: per-device setting, then global, then the registry ttl.
 * Returns undefined when polling is off for it (setting "off", or a ttl of 0).
 */
export const resolveCadence = (
  settings: Pick<SchedulerSettings, "cadence" | "devices" | "jitter" | "cronJitterMs">,
  deviceName: string,
  dataType: string,
  ttlSeconds: number,
): Cadence | undefined => {
  const setting: CadenceSetting = settings.devices[deviceName]?.cadence[dataType] ??
    settings.cadence[dataType] ?? (ttlSeconds > 0 ? { kind: "interval", ms: ttlSeconds * 1000 } : { kind: "off" })
  const phase = unitHash(`${deviceName}\u0000${dataType}`)
  switch (setting.kind) {
    case "off":
      return undefined
    case "interval":
      return { kind: "interval", ms: setting.ms, offsetMs: Math.floor(phase * settings.jitter * setting.ms) }
    case "cron":
      return {
        kind: "cron",
        expression: setting.expression,
        cron: new Cron(setting.expression, { paused: true }),
        offsetMs: Math.floor(phase * settings.cronJitterMs),
      }
  }
}

/** Identity of a cadence: a job is restarted only when this changes. */
export const cadenceKey = (c: Cadence): string =>
  c.kind === "interval" ? `every ${c.ms}ms +${c.offsetMs}` : `cron ${c.expression} +${c.offsetMs}`

/** Human form for status output. */
export const describeCadence = (c: Cadence): string =>
  c.kind === "interval" ? `every ${c.ms / 1000}s` : `cron ${c.expression}`

/**
 * The first run strictly after `now` (epoch ms). Interval runs sit on a fixed grid
 * (offset + k * interval), so a fleet is spread over the interval and a restarted or
 * taken-over job keeps its phase. Undefined when a cron has no future run.
 */
export const nextRunAt = (c: Cadence, now: number, caughtUpAt?: number): number | undefined => {
  if (c.kind === "interval") {
    const k = Math.floor((now - c.offsetMs) / c.ms) + 1
    const slot = k * c.ms + c.offsetMs
    // Right after a catch-up read, a slot less than half an interval later is skipped.
    return caughtUpAt !== undefined && slot - caughtUpAt < c.ms / 2 ? slot + c.ms : slot
  }
  // The offset delays each cron instant; look from (now - offset) so a delayed run is not skipped.
  const next = c.cron.nextRun(new Date(now - c.offsetMs))
  return next === null ? undefined : next.getTime() + c.offsetMs
}

/**
 * When a job whose last successful read is older than its interval (or unknown) reads first:
 * at a per device+type point inside the catch-up window, unless its slot comes sooner anyway.
 * Undefined: no catch-up (short intervals, cron, window off, or the slot is sooner).
 */
export const catchUpAt = (
  c: Cadence,
  key: string,
  now: number,
  catchUpMs: number,
): number | undefined => {
  if (c.kind !== "interval" || catchUpMs <= 0 || c.ms <= catchUpMs) return undefined
  const at = now + Math.floor(unitHash(`${key}\u0000catch-up`) * catchUpMs)
  const slot = nextRunAt(c, now)
  return slot !== undefined && slot <= at ? undefined : at
}

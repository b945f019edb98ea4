import { ValidationError } from "../../domain/errors.ts"
import type { GlobsByType, WatchSettings } from "./settings.ts"
import { CONFIG_TYPES } from "./settings.ts"

const record = (v: unknown, where: string): Record<string, unknown> => {
  if (v === undefined || v === null) return {}
  if (typeof v !== "object" || Array.isArray(v)) throw new ValidationError({ message: `${where} must be a mapping` })
  return v as Record<string, unknown>
}

const globs = (v: unknown, where: string): GlobsByType | undefined => {
  if (v === undefined || v === null) return undefined
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const [type, list] of Object.entries(record(v, where))) {
    if (!(CONFIG_TYPES as ReadonlyArray<string>).includes(type)) {
      throw new ValidationError({
        message: `${where}.${type}: unknown config type (one of ${CONFIG_TYPES.join(", ")})`,
      })
    }
    if (!Array.isArray(list) || !list.every((g) => typeof g === "string" && g.startsWith("/"))) {
      throw new ValidationError({ message: `${where}.${type} must be a list of absolute glob patterns` })
    }
    out[type] = list
  }
  return out as GlobsByType
}

const ms = (v: unknown, where: string): number | undefined => {
  if (v === undefined || v === null) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 10) throw new ValidationError({ message: `${where} must be milliseconds (≥ 10)` })
  return n
}

/**
 * The `watch:` section of infrastructor.yaml:
 *   watch: { globs: { proxy_configs: [...] }, devices: { nas: { globs: {...}, enabled: false } },
 *            verify_interval_ms, debounce_ms, poll_interval_ms, store_raw_secrets, max_file_bytes }
 */
export const parseWatchSettings = (v: unknown): WatchSettings => {
  const w = record(v, "watch")
  const devices: Record<string, { globs?: GlobsByType | undefined; enabled?: boolean | undefined }> = {}
  for (const [name, d] of Object.entries(record(w["devices"], "watch.devices"))) {
    const r = record(d, `watch.devices.${name}`)
    devices[name] = {
      globs: globs(r["globs"], `watch.devices.${name}.globs`),
      enabled: r["enabled"] === undefined ? undefined : r["enabled"] === true,
    }
  }
  return {
    globs: globs(w["globs"], "watch.globs"),
    devices,
    verifyIntervalMs: ms(w["verify_interval_ms"], "watch.verify_interval_ms"),
    debounceMs: ms(w["debounce_ms"], "watch.debounce_ms"),
    pollIntervalMs: ms(w["poll_interval_ms"], "watch.poll_interval_ms"),
    storeRawSecrets: w["store_raw_secrets"] === undefined ? undefined : w["store_raw_secrets"] === true,
    maxFileBytes: w["max_file_bytes"] === undefined ? undefined : Number(w["max_file_bytes"]),
  }
}

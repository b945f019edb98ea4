import { Schema } from "effect"
import type { GlobsByType, WatchSettings } from "./settings.ts"
import { CONFIG_TYPES } from "./settings.ts"

const opt = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

/** Per config type, a list of absolute glob patterns (an empty list turns the type off). */
const Globs = Schema.Record(
  Schema.Literals(CONFIG_TYPES),
  opt(Schema.Array(Schema.String.check(Schema.isStartingWith("/", { expected: "an absolute glob pattern" })))),
).annotate({ configKeyKind: "config type" })

const Bool = Schema.Boolean.annotate({ expected: "true or false" })

const Millis = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(10, { expected: "milliseconds (≥ 10)" }))

/**
 * The `watch:` section of infrastructor.yaml:
 *   watch: { globs: { proxy_configs: [...] }, devices: { nas: { globs: {...}, enabled: false } },
 *            verify_interval_ms, debounce_ms, poll_interval_ms, store_raw_secrets, max_file_bytes }
 */
export const WatchSection = Schema.Struct({
  globs: opt(Globs),
  devices: opt(
    Schema.Record(Schema.String, Schema.NullOr(Schema.Struct({ globs: opt(Globs), enabled: opt(Bool) }))),
  ),
  verify_interval_ms: opt(Millis),
  debounce_ms: opt(Millis),
  poll_interval_ms: opt(Millis),
  store_raw_secrets: opt(Bool),
  max_file_bytes: opt(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
})

export type WatchInput = typeof WatchSection.Type

const globs = (g: Schema.Schema.Type<typeof Globs> | null | undefined): GlobsByType | undefined => {
  if (g == null) return undefined
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const [type, list] of Object.entries(g)) if (list != null) out[type] = list
  return out as GlobsByType
}

/** The watch settings from a decoded `watch:` section (the Schema has validated it). */
export const watchSettingsFrom = (w: WatchInput | null | undefined): WatchSettings => {
  const devices: Record<string, { globs?: GlobsByType | undefined; enabled?: boolean | undefined }> = {}
  for (const [name, d] of Object.entries(w?.devices ?? {})) {
    devices[name] = { globs: globs(d?.globs), enabled: d?.enabled ?? undefined }
  }
  return {
    globs: globs(w?.globs),
    devices,
    verifyIntervalMs: w?.verify_interval_ms ?? undefined,
    debounceMs: w?.debounce_ms ?? undefined,
    pollIntervalMs: w?.poll_interval_ms ?? undefined,
    storeRawSecrets: w?.store_raw_secrets ?? undefined,
    maxFileBytes: w?.max_file_bytes ?? undefined,
  }
}

import type { ConfigType } from "../types.ts"
import type { Device } from "../../domain/device.ts"
import { DEFAULT_MAX_FILE_BYTES } from "../../collectors/config-files/config-files.ts"

export type GlobsByType = Partial<Record<ConfigType, ReadonlyArray<string>>>

/**
 * How config files are watched. Globs are chosen per type: the device's own list, else the global
 * one, else the defaults (plus what the capability probe found). An empty list turns a type off.
 */
export interface WatchSettings {
  readonly globs?: GlobsByType | undefined
  readonly devices?:
    | Readonly<Record<string, { readonly globs?: GlobsByType | undefined; readonly enabled?: boolean | undefined }>>
    | undefined
  /** Full scan even while inotify works, to record anything it missed (default 30 min). */
  readonly verifyIntervalMs?: number | undefined
  /** Quiet time after the last event on a file before it is read (default 150 ms). */
  readonly debounceMs?: number | undefined
  /** Scan interval when inotifywait is unavailable (default 60 s). */
  readonly pollIntervalMs?: number | undefined
  /** Store secrets in snapshot content as they are (default false: redacted). */
  readonly storeRawSecrets?: boolean | undefined
  /** Per-file read cap; larger files are recorded as too_large without content (default 5 MB). */
  readonly maxFileBytes?: number | undefined
}

export interface ResolvedWatchSettings {
  readonly verifyIntervalMs: number
  readonly debounceMs: number
  readonly pollIntervalMs: number
  readonly storeRawSecrets: boolean
  readonly maxFileBytes: number
  /**
   * The patterns a device is watched with now (its own, the global ones or the defaults): the only
   * paths whose content may be read from it or written back to it.
   */
  readonly globsFor: (device: Device) => ReadonlyArray<TypedGlob>
}

export const resolveWatchSettings = (s: WatchSettings = {}): ResolvedWatchSettings => ({
  globsFor: (device) => globsForDevice(device, s),
  verifyIntervalMs: s.verifyIntervalMs ?? 30 * 60_000,
  debounceMs: s.debounceMs ?? 150,
  pollIntervalMs: s.pollIntervalMs ?? 60_000,
  storeRawSecrets: s.storeRawSecrets ?? false,
  maxFileBytes: s.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
})

export const CONFIG_TYPES: ReadonlyArray<ConfigType> = [
  "proxy_configs",
  "docker_compose",
  "systemd_services",
  "env_files",
]

const COMPOSE_NAMES = ["docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"]

export const DEFAULT_GLOBS: Readonly<Record<ConfigType, ReadonlyArray<string>>> = {
  proxy_configs: ["/config/nginx/proxy-confs/*.conf", "/config/nginx/site-confs/*.conf"],
  docker_compose: ["", "/compose/*", "/opt/*"].flatMap((dir) => COMPOSE_NAMES.map((n) => `${dir}/${n}`)),
  systemd_services: ["/etc/systemd/system/*.service"],
  env_files: [],
}

export interface TypedGlob {
  readonly type: ConfigType
  readonly pattern: string
}

const stringList = (
  v: unknown,
): Array<string> => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [])

/** Defaults plus what the device's capability probe found (SWAG/nginx dirs, compose files). */
const defaultsFor = (device: Device, type: ConfigType): ReadonlyArray<string> => {
  const caps = device.capabilities ?? {}
  switch (type) {
    case "proxy_configs":
      return [
        ...DEFAULT_GLOBS.proxy_configs,
        ...stringList(caps["nginx_dirs"]).map((d) => `${d.replace(/\/+$/, "")}/*.conf`),
      ]
    case "docker_compose":
      return [...DEFAULT_GLOBS.docker_compose, ...stringList(caps["compose_files"])]
    default:
      return DEFAULT_GLOBS[type]
  }
}

/** The patterns to watch on a device; the first type listing a pattern owns it. */
export const globsForDevice = (device: Device, settings: WatchSettings = {}): Array<TypedGlob> => {
  const own = settings.devices?.[device.name]?.globs
  const seen = new Set<string>()
  const out: Array<TypedGlob> = []
  for (const type of CONFIG_TYPES) {
    const list = own?.[type] ?? settings.globs?.[type] ?? defaultsFor(device, type)
    for (const pattern of list) {
      if (!pattern.startsWith("/") || pattern.includes("\n") || pattern.includes("\u0000") || seen.has(pattern)) {
        continue
      }
      seen.add(pattern)
      out.push({ type, pattern })
    }
  }
  return out
}

export const deviceWatchEnabled = (device: Device, settings: WatchSettings = {}): boolean =>
  device.enabled && settings.devices?.[device.name]?.enabled !== false

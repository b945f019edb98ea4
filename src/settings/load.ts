import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { Result } from "effect"
import { parse as parseYaml } from "yaml"
import type { DeviceInput } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { validateRetention } from "../observe/retention-policy.ts"
import { parseWatchSettings } from "../configs/watch/parse-settings.ts"
import type { WatchSettings } from "../configs/watch/settings.ts"
import { defaultSchedulerSettings, parseSchedulerSettings, type SchedulerSettings } from "../scheduler/settings.ts"
import { configError, configProblems } from "./problems.ts"
import { decodeConfigDocument, DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_LIMIT } from "./schema.ts"

export type LogLevel = "debug" | "info" | "warn" | "error"

export interface SshSettings {
  readonly connectTimeoutMs: number
  readonly commandTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly shellsPerConnection: number
  readonly hostKeyPolicy: "tofu" | "strict"
}

export interface InfraConfig {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** PostgreSQL when set; embedded PGlite in dataDir otherwise. */
  readonly databaseUrl: string | undefined
  readonly logLevel: LogLevel
  /** Register this machine as device `localhost` (local transport) on start. */
  readonly localDevice: boolean
  /** Devices declared in the config file; created if missing on start. */
  readonly devices: ReadonlyArray<DeviceInput>
  /** Freshness overrides in seconds, by data type. */
  readonly ttl: Readonly<Record<string, number>>
  readonly ssh: SshSettings
  /** staleWhileRevalidate: fraction of a TTL an expired entry is still served (marked stale) while it refreshes; 0 = off. */
  readonly cache: { readonly maxEntries: number; readonly maxBytes: number; readonly staleWhileRevalidate: number }
  /** Days of history per time-series table, over the defaults in observe/retention-policy.ts (0 = forever). */
  readonly retention: Readonly<Record<string, number>>
  /** `schedule:` (intervals/cron per type and device, jitter, limits, health, leases) and `instance_id`. */
  readonly scheduler: SchedulerSettings
  /** Config file watching: globs per type and device, intervals, secret handling. */
  readonly watch: WatchSettings
  /** REST request bodies larger than this are refused (413). */
  readonly http: { readonly maxBodyBytes: number }
}

export const defaultConfig: InfraConfig = {
  host: "127.0.0.1",
  port: 8080,
  dataDir: "./data",
  databaseUrl: undefined,
  logLevel: "info",
  localDevice: true,
  devices: [],
  ttl: {},
  ssh: {
    connectTimeoutMs: 10_000,
    commandTimeoutMs: 30_000,
    idleTimeoutMs: 300_000,
    shellsPerConnection: 3,
    hostKeyPolicy: "tofu",
  },
  cache: { maxEntries: 5000, maxBytes: 64 * 1024 * 1024, staleWhileRevalidate: 1 },
  retention: {},
  scheduler: defaultSchedulerSettings(),
  watch: {},
  http: { maxBodyBytes: DEFAULT_MAX_BODY_BYTES },
}

const levels: ReadonlyArray<LogLevel> = ["debug", "info", "warn", "error"]

const asRecord = (v: unknown, where: string): Record<string, unknown> => {
  if (v === undefined || v === null) return {}
  if (typeof v !== "object" || Array.isArray(v)) throw new ValidationError({ message: `${where} must be a mapping` })
  return v as Record<string, unknown>
}

const num = (v: unknown, where: string, min: number, max: number): number | undefined => {
  if (v === undefined || v === null || v === "") return undefined
  const n = typeof v === "number" ? v : Number(v)
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ValidationError({ message: `${where} must be a number between ${min} and ${max}, got ${String(v)}` })
  }
  return n
}

const str = (v: unknown, where: string): string | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== "string") throw new ValidationError({ message: `${where} must be a string` })
  return v
}

const bool = (v: unknown, where: string): boolean | undefined => {
  if (v === undefined || v === null || v === "") return undefined
  if (typeof v === "boolean") return v
  if (v === "true" || v === "1") return true
  if (v === "false" || v === "0") return false
  throw new ValidationError({ message: `${where} must be true or false` })
}

/**
 * Checks the whole document against the configuration Schema (src/settings/schema.ts) and throws
 * one ValidationError listing every problem: unknown keys with the nearest known one, wrong types.
 */
export const validateConfigDocument = (doc: unknown, source?: string): void => {
  const decoded = decodeConfigDocument(doc)
  if (Result.isFailure(decoded)) throw configError(configProblems(decoded.failure), source)
}

const maxBodyBytes = (env: Readonly<Record<string, string | undefined>>, http: Record<string, unknown>): number => {
  const fromEnv = num(env["INFRA_MAX_BODY_BYTES"], "INFRA_MAX_BODY_BYTES", 1, MAX_BODY_BYTES_LIMIT)
  if (fromEnv !== undefined && !Number.isInteger(fromEnv)) {
    throw new ValidationError({ message: `INFRA_MAX_BODY_BYTES must be a whole number of bytes, got ${fromEnv}` })
  }
  return fromEnv ?? num(http["max_body_bytes"], "http.max_body_bytes", 1, MAX_BODY_BYTES_LIMIT) ??
    DEFAULT_MAX_BODY_BYTES
}

/** Merge a parsed YAML document (validated first) and environment variables (env wins) over the defaults. */
export const resolveConfig = (
  file: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): InfraConfig => {
  validateConfigDocument(file)
  return resolveDocument(file, env)
}

/** The resolvers of each section, on a document the Schema has accepted. */
const resolveDocument = (
  file: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): InfraConfig => {
  const sshIn = asRecord(file["ssh"], "ssh")
  const cacheIn = asRecord(file["cache"], "cache")
  const ttlIn = asRecord(file["ttl"], "ttl")
  const ttl: Record<string, number> = {}
  for (const [k, v] of Object.entries(ttlIn)) ttl[k] = num(v, `ttl.${k}`, 0, 31_536_000) ?? 0
  const logLevel = (env["INFRA_LOG_LEVEL"] ?? str(file["log_level"], "log_level") ?? defaultConfig.logLevel) as LogLevel
  if (!levels.includes(logLevel)) {
    throw new ValidationError({ message: `log level must be one of ${levels.join(", ")}, got ${logLevel}` })
  }
  const policy = str(sshIn["host_key_policy"], "ssh.host_key_policy") ?? defaultConfig.ssh.hostKeyPolicy
  if (policy !== "tofu" && policy !== "strict") {
    throw new ValidationError({ message: "ssh.host_key_policy must be tofu or strict" })
  }
  const devicesIn = file["devices"] ?? []
  if (!Array.isArray(devicesIn)) throw new ValidationError({ message: "devices must be a list" })
  const devices = devicesIn.map((d, i) => {
    const r = asRecord(d, `devices[${i}]`)
    return {
      name: String(r["name"] ?? ""),
      host: String(r["host"] ?? r["name"] ?? ""),
      port: num(r["port"], `devices[${i}].port`, 1, 65535) ?? null,
      username: str(r["username"], `devices[${i}].username`) ?? null,
      privateKeyPath: str(r["private_key_path"], `devices[${i}].private_key_path`) ?? null,
      password: str(r["password"], `devices[${i}].password`) ?? null,
      transport: (str(r["transport"], `devices[${i}].transport`) ?? "ssh") as "ssh" | "local",
      tags: Array.isArray(r["tags"]) ? r["tags"].map(String) : [],
    } satisfies DeviceInput
  })
  return {
    host: env["INFRA_HOST"] ?? str(file["host"], "host") ?? defaultConfig.host,
    port: num(env["INFRA_PORT"], "INFRA_PORT", 0, 65535) ?? num(file["port"], "port", 0, 65535) ?? defaultConfig.port,
    dataDir: env["INFRA_DATA_DIR"] ?? str(file["data_dir"], "data_dir") ?? defaultConfig.dataDir,
    databaseUrl: env["DATABASE_URL"] || str(file["database_url"], "database_url") || undefined,
    logLevel,
    localDevice: bool(env["INFRA_LOCAL_DEVICE"], "INFRA_LOCAL_DEVICE") ??
      bool(file["local_device"], "local_device") ?? defaultConfig.localDevice,
    devices,
    ttl,
    ssh: {
      connectTimeoutMs: num(sshIn["connect_timeout_ms"], "ssh.connect_timeout_ms", 100, 600_000) ??
        defaultConfig.ssh.connectTimeoutMs,
      commandTimeoutMs: num(sshIn["command_timeout_ms"], "ssh.command_timeout_ms", 100, 3_600_000) ??
        defaultConfig.ssh.commandTimeoutMs,
      idleTimeoutMs: num(sshIn["idle_timeout_ms"], "ssh.idle_timeout_ms", 1000, 86_400_000) ??
        defaultConfig.ssh.idleTimeoutMs,
      shellsPerConnection: num(sshIn["shells_per_connection"], "ssh.shells_per_connection", 1, 16) ??
        defaultConfig.ssh.shellsPerConnection,
      hostKeyPolicy: policy,
    },
    cache: {
      maxEntries: num(cacheIn["max_entries"], "cache.max_entries", 1, 10_000_000) ?? defaultConfig.cache.maxEntries,
      maxBytes: num(cacheIn["max_bytes"], "cache.max_bytes", 1024, 64 * 1024 ** 3) ?? defaultConfig.cache.maxBytes,
      staleWhileRevalidate: num(cacheIn["stale_while_revalidate"], "cache.stale_while_revalidate", 0, 100) ??
        defaultConfig.cache.staleWhileRevalidate,
    },
    retention: validateRetention(asRecord(file["retention"], "retention")),
    scheduler: parseSchedulerSettings(file, env),
    watch: parseWatchSettings(file["watch"]),
    http: { maxBodyBytes: maxBodyBytes(env, asRecord(file["http"], "http")) },
  }
}

/** Load `--config` (or ./infrastructor.yaml when present), then apply environment overrides. */
export const loadConfig = (
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): InfraConfig => {
  const file = configPath ?? (env["INFRA_CONFIG"] || undefined) ??
    (existsSync("infrastructor.yaml") ? "infrastructor.yaml" : undefined)
  let doc: Record<string, unknown> = {}
  if (file !== undefined) {
    let text: string
    try {
      text = readFileSync(path.resolve(file), "utf8")
    } catch (e) {
      throw new ValidationError({ message: `cannot read config file ${file}: ${(e as Error).message}` })
    }
    try {
      doc = asRecord(parseYaml(text), file)
    } catch (e) {
      if (e instanceof ValidationError) throw e
      throw new ValidationError({ message: `config file ${file} is not valid YAML: ${(e as Error).message}` })
    }
    validateConfigDocument(doc, file)
  }
  return resolveDocument(doc, env)
}

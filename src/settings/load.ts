import { readFileSync } from "node:fs"
import path from "node:path"
import { Result, type SchemaIssue } from "effect"
import { parse as parseYaml } from "yaml"
import type { DeviceInput } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { type AlertSettings, alertSettingsFrom } from "../alerts/settings.ts"
import { watchSettingsFrom } from "../configs/watch/parse-settings.ts"
import type { WatchSettings } from "../configs/watch/settings.ts"
import { defaultSchedulerSettings, type SchedulerSettings, schedulerSettingsFrom } from "../scheduler/settings.ts"
import { DEFAULT_MAX_BODY_BYTES } from "../http/settings.ts"
import type { McpSettings } from "../mcp/settings.ts"
import { configFile, DEFAULT_HOST, DEFAULT_PORT } from "./config-file.ts"
import { configError, type ConfigProblem, configProblems } from "./problems.ts"
import {
  type ConfigDocument,
  decodeConfigDocument,
  decodeEnv,
  decodeResolvedOptions,
  type EnvOverrides,
} from "./schema.ts"

export type LogLevel = "debug" | "info" | "warn" | "error"

export interface SshSettings {
  readonly connectTimeoutMs: number
  readonly commandTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly shellsPerConnection: number
  readonly hostKeyPolicy: "tofu" | "strict"
  /** OpenSSH known_hosts whose keys count as trusted; undefined: ~/.ssh/known_hosts, "": none. */
  readonly knownHostsPath?: string | undefined
  /** The system-wide known_hosts, read as well; undefined: /etc/ssh/ssh_known_hosts, "": none. */
  readonly globalKnownHostsPath?: string | undefined
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
  /** `alerts:` (built-in switches, rules from the file, evaluation interval); defaults when absent. */
  readonly alerts?: AlertSettings | undefined
}

export const defaultConfig: InfraConfig = {
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
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

const problemsOf = <A>(r: Result.Result<A, SchemaIssue.Issue>): Array<ConfigProblem> =>
  Result.isFailure(r) ? configProblems(r.failure) : []

/**
 * Decodes the document and the environment with the configuration Schemas (src/settings/schema.ts)
 * and throws one ValidationError listing every problem of both: unknown keys with the nearest
 * known one, wrong types, values out of range.
 */
const decodeAll = (
  doc: unknown,
  env: Readonly<Record<string, string | undefined>>,
  source?: string,
): { readonly doc: ConfigDocument; readonly env: EnvOverrides } => {
  const d = decodeConfigDocument(doc)
  const e = decodeEnv(env)
  if (Result.isSuccess(d) && Result.isSuccess(e)) return { doc: d.success, env: e.success }
  throw configError([...problemsOf(d), ...problemsOf(e)], source)
}

/** Checks the whole document against the configuration Schema; throws one ValidationError listing every problem. */
export const validateConfigDocument = (doc: unknown, source?: string): void => {
  decodeAll(doc, {}, source)
}

/** Merge a parsed YAML document and environment variables (env wins) over the defaults, both validated first. */
export const resolveConfig = (
  file: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): InfraConfig => {
  const decoded = decodeAll(file, env)
  return resolveDocument(decoded.doc, decoded.env)
}

/**
 * The library's camelCase options (`createInfrastructor({ dataDir, ssh: { connectTimeoutMs } })`)
 * over the defaults, checked with the same field schemas as the document.
 */
export const resolveOptions = (options: Partial<InfraConfig>): InfraConfig => {
  const decoded = decodeResolvedOptions(options)
  if (Result.isFailure(decoded)) throw configError(configProblems(decoded.failure), "options")
  return {
    ...defaultConfig,
    ...options,
    ssh: { ...defaultConfig.ssh, ...options.ssh },
    cache: { ...defaultConfig.cache, ...options.cache },
  }
}

/** The settings of each section, from a document and environment the Schemas have accepted. */
const resolveDocument = (file: ConfigDocument, env: EnvOverrides): InfraConfig => {
  const d = defaultConfig
  const ssh = file.ssh ?? {}
  const cache = file.cache ?? {}
  const ttl: Record<string, number> = {}
  for (const [k, v] of Object.entries(file.ttl ?? {})) if (v != null) ttl[k] = v
  const retention: Record<string, number> = {}
  for (const [k, v] of Object.entries(file.retention ?? {})) if (typeof v === "number") retention[k] = v
  const devices = (file.devices ?? []).map((r) => ({
    name: r.name,
    host: r.host ?? r.name,
    port: r.port ?? null,
    username: r.username ?? null,
    privateKeyPath: r.private_key_path ?? null,
    password: r.password ?? null,
    transport: r.transport ?? "ssh",
    proxyJump: r.proxy_jump ?? null,
    tags: r.tags ?? [],
  } satisfies DeviceInput))
  const schedule = file.schedule ?? {}
  return {
    host: env.INFRA_HOST ?? file.host ?? d.host,
    port: env.INFRA_PORT ?? file.port ?? d.port,
    dataDir: env.INFRA_DATA_DIR ?? file.data_dir ?? d.dataDir,
    databaseUrl: env.DATABASE_URL ?? (file.database_url || undefined),
    logLevel: env.INFRA_LOG_LEVEL ?? file.log_level ?? d.logLevel,
    localDevice: env.INFRA_LOCAL_DEVICE ?? file.local_device ?? d.localDevice,
    devices,
    ttl,
    ssh: {
      connectTimeoutMs: ssh.connect_timeout_ms ?? d.ssh.connectTimeoutMs,
      commandTimeoutMs: ssh.command_timeout_ms ?? d.ssh.commandTimeoutMs,
      idleTimeoutMs: ssh.idle_timeout_ms ?? d.ssh.idleTimeoutMs,
      shellsPerConnection: ssh.shells_per_connection ?? d.ssh.shellsPerConnection,
      hostKeyPolicy: ssh.host_key_policy ?? d.ssh.hostKeyPolicy,
      knownHostsPath: ssh.known_hosts_path ?? undefined,
      globalKnownHostsPath: ssh.global_known_hosts_path ?? undefined,
    },
    cache: {
      maxEntries: cache.max_entries ?? d.cache.maxEntries,
      maxBytes: cache.max_bytes ?? d.cache.maxBytes,
      staleWhileRevalidate: cache.stale_while_revalidate ?? d.cache.staleWhileRevalidate,
    },
    retention,
    scheduler: schedulerSettingsFrom(
      {
        ...schedule,
        enabled: env.INFRA_SCHEDULE ?? schedule.enabled,
        lease_ttl: env.INFRA_LEASE_TTL ?? schedule.lease_ttl,
      },
      env.INFRA_INSTANCE_ID ?? file.instance_id,
    ),
    watch: watchSettingsFrom(file.watch),
    alerts: alertSettingsFrom(file.alerts),
    http: { maxBodyBytes: env.INFRA_MAX_BODY_BYTES ?? file.http?.max_body_bytes ?? d.http.maxBodyBytes },
  }
}

/** The YAML document of a config file; unreadable files and bad YAML are ValidationErrors. */
const readDocument = (file: string): unknown => {
  let text: string
  try {
    text = readFileSync(path.resolve(file), "utf8")
  } catch (e) {
    throw new ValidationError({ message: `cannot read config file ${file}: ${(e as Error).message}` })
  }
  try {
    return parseYaml(text) ?? {}
  } catch (e) {
    throw new ValidationError({ message: `config file ${file} is not valid YAML: ${(e as Error).message}` })
  }
}

/** Load `--config` (or ./infrastructor.yaml when present), then apply environment overrides. */
export const loadConfig = (
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): InfraConfig => {
  const file = configFile(configPath, env)
  const decoded = decodeAll(file === undefined ? {} : readDocument(file), env, file)
  return resolveDocument(decoded.doc, decoded.env)
}

/**
 * `mcp.allow_writes` from the config file (same lookup as loadConfig), overridden by
 * INFRA_MCP_ALLOW_WRITES, overridden by `--allow-writes`. Kept out of InfraConfig so the config
 * contract stays untouched; validated by the same Schemas.
 */
export const loadMcpSettings = (
  configPath: string | undefined,
  flag: boolean | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): McpSettings => {
  if (flag === true) return { allowWrites: true }
  const file = configFile(configPath, env)
  const decoded = decodeAll(file === undefined ? {} : readDocument(file), env, file)
  return { allowWrites: decoded.env.INFRA_MCP_ALLOW_WRITES ?? decoded.doc.mcp?.allow_writes ?? false }
}

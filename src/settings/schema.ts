import { Result, Schema, SchemaGetter } from "effect"
import { RetentionSection } from "../observe/retention-policy.ts"
import { allDataTypes } from "../collectors/index.ts"
import { WatchSection } from "../configs/watch/parse-settings.ts"
import { InstanceId, LeaseTtl, ScheduleSection } from "../scheduler/settings.ts"
import { McpSection } from "../mcp/settings.ts"
import { AlertsSection } from "../alerts/settings.ts"
import { MaxBodyBytes } from "../http/settings.ts"
import { parseProxyJump } from "../ssh/ssh-config.ts"

/**
 * The whole configuration document (infrastructor.yaml, or the library's snake_case options) and
 * the environment variables, as Schemas: the one place configuration is validated. Every struct is
 * closed, so an unknown key at any depth is a problem. Maps keyed by user names
 * (`watch.devices.<device>`, `schedule.devices.<device>`) take any key; maps keyed by a fixed list
 * (data types, config types, tables) take only that list. The sections with more than shapes
 * (durations decoded to ms, cron syntax, backoff order, instance ids, globs, retention days) are
 * declared next to the settings they feed (scheduler, watch, retention, mcp, http) and composed here.
 *
 * Every value may be null or absent: YAML `ssh:` with nothing under it means "defaults".
 */
const opt = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

const between = (minimum: number, maximum: number) => Schema.Finite.check(Schema.isBetween({ minimum, maximum }))
const intBetween = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

const Port = intBetween(0, 65535)
const LogLevel = Schema.Literals(["debug", "info", "warn", "error"])

/** OpenSSH ProxyJump syntax (`[user@]host[:port]` hops, comma-separated), or `none`; checked as the store checks it. */
const ProxyJump = Schema.String.check(
  Schema.makeFilter((v: string) => {
    if (v.length > 1024) return "expected a ProxyJump of at most 1024 characters"
    if (v.trim().toLowerCase() === "none") return undefined
    const hops = parseProxyJump(v)
    return typeof hops === "string" ? `expected OpenSSH ProxyJump syntax or none: ${hops}` : undefined
  }),
)

const DeviceFields = {
  name: Schema.String,
  host: opt(Schema.String),
  port: opt(intBetween(1, 65535)),
  username: opt(Schema.String),
  private_key_path: opt(Schema.String),
  password: opt(Schema.String),
  transport: opt(Schema.Literals(["ssh", "local"])),
  proxy_jump: opt(ProxyJump),
  tags: opt(Schema.Array(Schema.String)),
}
const Device = Schema.Struct(DeviceFields)

const SshFields = {
  connect_timeout_ms: opt(between(100, 600_000)),
  command_timeout_ms: opt(between(100, 3_600_000)),
  idle_timeout_ms: opt(between(1000, 86_400_000)),
  shells_per_connection: opt(between(1, 16)),
  host_key_policy: opt(Schema.Literals(["tofu", "strict"])),
  /** OpenSSH known_hosts whose keys count as trusted; default ~/.ssh/known_hosts, "" for none. */
  known_hosts_path: opt(Schema.String),
  /** The system-wide known_hosts, read as well; default /etc/ssh/ssh_known_hosts, "" for none. */
  global_known_hosts_path: opt(Schema.String),
}

const CacheFields = {
  max_entries: opt(between(1, 10_000_000)),
  max_bytes: opt(between(1024, 64 * 1024 ** 3)),
  stale_while_revalidate: opt(between(0, 100)),
}

/** Freshness overrides in seconds, keyed by data type. */
const Ttl = Schema.Record(Schema.Literals(allDataTypes.map((s) => s.name)), opt(between(0, 31_536_000)))
  .annotate({ configKeyKind: "data type" })

const ServerFields = {
  host: opt(Schema.String),
  port: opt(Port),
  data_dir: opt(Schema.String),
  database_url: opt(Schema.String),
  log_level: opt(LogLevel),
  local_device: opt(Schema.Boolean.annotate({ expected: "true or false" })),
}

export const ConfigDocument = Schema.Struct({
  ...ServerFields,
  devices: opt(Schema.Array(Device)),
  ttl: opt(Ttl),
  ssh: opt(Schema.Struct(SshFields)),
  cache: opt(Schema.Struct(CacheFields)),
  retention: opt(RetentionSection),
  instance_id: opt(InstanceId),
  schedule: opt(ScheduleSection),
  watch: opt(WatchSection),
  mcp: opt(McpSection),
  http: opt(Schema.Struct({ max_body_bytes: opt(MaxBodyBytes) })),
  alerts: opt(AlertsSection),
})

export type ConfigDocument = typeof ConfigDocument.Type

const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/** The same fields under their camelCase names: one set of checks for both shapes. */
const camelFields = (fields: Schema.Struct.Fields): Record<string, Schema.Codec<unknown, unknown, never, never>> =>
  Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [camel(k), v as Schema.Codec<unknown, unknown, never, never>]),
  )

/**
 * The library's resolved (camelCase) options, `createInfrastructor({ dataDir, ssh: { connectTimeoutMs } })`,
 * checked with the document's field schemas. `scheduler` and `watch` are already-built settings
 * objects, typed by TypeScript; they are taken as they are.
 */
export const ResolvedOptions = Schema.Struct({
  ...camelFields(ServerFields),
  databaseUrl: Schema.optional(Schema.UndefinedOr(Schema.String)),
  devices: Schema.optional(Schema.Array(Schema.Struct({ ...camelFields(DeviceFields), enabled: opt(Schema.Boolean) }))),
  ttl: Schema.optional(Ttl),
  ssh: Schema.optional(Schema.Struct(camelFields(SshFields))),
  cache: Schema.optional(Schema.Struct(camelFields(CacheFields))),
  retention: Schema.optional(RetentionSection),
  scheduler: Schema.optional(Schema.Unknown),
  watch: Schema.optional(Schema.Unknown),
  http: Schema.optional(Schema.Struct({ maxBodyBytes: Schema.optional(MaxBodyBytes) })),
})

/** Checks the library's camelCase options (unknown keys refused, like the document's). */
export const decodeResolvedOptions = (options: unknown) =>
  Result.mapError(
    Schema.decodeUnknownResult(ResolvedOptions)(options, {
      errors: "all",
      onExcessProperty: "error",
      reportInput: true,
    }),
    (e) => e.issue,
  )

/** "true"/"1"/"false"/"0" from the environment: the one place such strings become booleans. */
const EnvBoolean = Schema.Literals(["true", "1", "false", "0"]).annotate({ expected: "true, false, 1 or 0" }).pipe(
  Schema.decodeTo(Schema.Boolean, {
    decode: SchemaGetter.transform((s: string) => s === "true" || s === "1"),
    encode: SchemaGetter.transform((b: boolean) => (b ? "true" : "false")),
  }),
)

const EnvNumber = <S extends Schema.Top & { readonly Type: number; readonly Encoded: number }>(to: S) =>
  Schema.String.check(
    Schema.makeFilter((s: string) => s.trim() !== "" && Number.isFinite(Number(s)), { expected: "a number" }),
  ).pipe(
    Schema.decodeTo(Schema.Finite, {
      decode: SchemaGetter.transform((s: string) => Number(s)),
      encode: SchemaGetter.transform((n: number) => String(n)),
    }),
    Schema.decodeTo(to),
  )

/** The environment variables that override the document (empty ones are ignored, as if unset). */
export const EnvOverrides = Schema.Struct({
  INFRA_HOST: Schema.optional(Schema.String),
  INFRA_PORT: Schema.optional(EnvNumber(Port)),
  INFRA_DATA_DIR: Schema.optional(Schema.String),
  DATABASE_URL: Schema.optional(Schema.String),
  INFRA_LOG_LEVEL: Schema.optional(LogLevel),
  INFRA_LOCAL_DEVICE: Schema.optional(EnvBoolean),
  INFRA_INSTANCE_ID: Schema.optional(InstanceId),
  INFRA_SCHEDULE: Schema.optional(EnvBoolean),
  INFRA_LEASE_TTL: Schema.optional(LeaseTtl),
  INFRA_MAX_BODY_BYTES: Schema.optional(EnvNumber(MaxBodyBytes)),
  INFRA_MCP_ALLOW_WRITES: Schema.optional(EnvBoolean),
})

export type EnvOverrides = typeof EnvOverrides.Type

/** Decodes with every problem collected and unknown keys refused; the input is kept for messages. */
export const decodeConfigDocument = (doc: unknown) =>
  Result.mapError(
    Schema.decodeUnknownResult(ConfigDocument)(doc, { errors: "all", onExcessProperty: "error", reportInput: true }),
    (e) => e.issue,
  )

/** The environment's overrides; every other variable is ignored. */
export const decodeEnv = (env: Readonly<Record<string, string | undefined>>) =>
  Result.mapError(
    Schema.decodeUnknownResult(EnvOverrides)(
      Object.fromEntries(
        Object.entries(env).filter(([k, v]) => k in EnvOverrides.fields && v !== undefined && v !== ""),
      ),
      { errors: "all", onExcessProperty: "ignore", reportInput: true },
    ),
    (e) => e.issue,
  )

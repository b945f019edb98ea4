import { Result, Schema } from "effect"
import { defaultRetentionDays, protectedTables } from "../observe/retention-policy.ts"
import { allDataTypes, pollableDataTypes } from "../collectors/index.ts"
import { CONFIG_TYPES } from "../configs/watch/settings.ts"

/**
 * The whole configuration document (infrastructor.yaml, or the library's snake_case options) as
 * one Schema. It checks shapes, types and the ranges of the keys resolved in config.ts; every
 * struct is closed, so an unknown key at any depth is a problem. Maps keyed by user names
 * (`watch.devices.<device>`, `schedule.devices.<device>`) take any key; maps keyed by a fixed list
 * (data types, config types, tables) take only that list. Semantic checks (cron syntax, duration
 * format, backoff order, instance id pattern) stay with the resolvers that own those sections.
 *
 * Every value may be null or absent: YAML `ssh:` with nothing under it means "defaults".
 */
const opt = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

const between = (minimum: number, maximum: number) => Schema.Finite.check(Schema.isBetween({ minimum, maximum }))
const intBetween = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** 30 (seconds), "30s", "500ms", "5m": parsed by the scheduler's parseDurationMs. */
const Duration = Schema.Union([Schema.Finite, Schema.String])

const Strings = Schema.Array(Schema.String)

/** A map whose keys are a fixed list: an unknown key is reported like a typo in a struct. */
const keyedBy = <S extends Schema.Top>(keys: ReadonlyArray<string>, value: S) =>
  Schema.Record(Schema.Literals(keys), opt(value))

const dataTypeNames = allDataTypes.map((s) => s.name)
const Pollable = Schema.Literals(pollableDataTypes)

const Device = Schema.Struct({
  name: Schema.String,
  host: opt(Schema.String),
  port: opt(intBetween(1, 65535)),
  username: opt(Schema.String),
  private_key_path: opt(Schema.String),
  password: opt(Schema.String),
  transport: opt(Schema.Literals(["ssh", "local"])),
  tags: opt(Strings),
})

const Ssh = Schema.Struct({
  connect_timeout_ms: opt(between(100, 600_000)),
  command_timeout_ms: opt(between(100, 3_600_000)),
  idle_timeout_ms: opt(between(1000, 86_400_000)),
  shells_per_connection: opt(between(1, 16)),
  host_key_policy: opt(Schema.Literals(["tofu", "strict"])),
})

const Cache = Schema.Struct({
  max_entries: opt(between(1, 10_000_000)),
  max_bytes: opt(between(1024, 64 * 1024 ** 3)),
  stale_while_revalidate: opt(between(0, 100)),
})

/** `intervals:` values: a duration, or 0 / "off" / false to stop polling a type. */
const Cadences = {
  intervals: opt(keyedBy(pollableDataTypes, Schema.Union([Duration, Schema.Literal(false)]))),
  cron: opt(keyedBy(pollableDataTypes, Schema.String)),
  disabled: opt(Schema.Array(Pollable)),
}

const Schedule = Schema.Struct({
  ...Cadences,
  enabled: opt(Schema.Boolean),
  devices: opt(Schema.Record(Schema.String, Schema.NullOr(Schema.Struct(Cadences)))),
  jitter: opt(Schema.Finite),
  cron_jitter: opt(Duration),
  catch_up: opt(Duration),
  max_concurrent: opt(Schema.Finite),
  max_per_device: opt(Schema.Finite),
  device_refresh: opt(Duration),
  drain_timeout: opt(Duration),
  health: opt(Schema.Struct({
    offline_after: opt(Schema.Finite),
    backoff_base: opt(Duration),
    backoff_max: opt(Duration),
    breaker_threshold: opt(Schema.Finite),
  })),
  ownership: opt(Schema.Literals(["auto", "leases", "single"])),
  lease_ttl: opt(Duration),
})

const Globs = keyedBy(CONFIG_TYPES, Strings)

const Watch = Schema.Struct({
  globs: opt(Globs),
  devices: opt(
    Schema.Record(Schema.String, Schema.NullOr(Schema.Struct({ globs: opt(Globs), enabled: opt(Schema.Boolean) }))),
  ),
  verify_interval_ms: opt(Schema.Finite),
  debounce_ms: opt(Schema.Finite),
  poll_interval_ms: opt(Schema.Finite),
  store_raw_secrets: opt(Schema.Boolean),
  max_file_bytes: opt(Schema.Finite),
})

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
export const MAX_BODY_BYTES_LIMIT = 1024 ** 3

/** Configuration history tables are listed so their refusal keeps its own message (retention-policy.ts). */
const retentionTables = [...Object.keys(defaultRetentionDays), ...protectedTables]

export const ConfigDocument = Schema.Struct({
  host: opt(Schema.String),
  port: opt(intBetween(0, 65535)),
  data_dir: opt(Schema.String),
  database_url: opt(Schema.String),
  log_level: opt(Schema.Literals(["debug", "info", "warn", "error"])),
  local_device: opt(Schema.Boolean),
  devices: opt(Schema.Array(Device)),
  ttl: opt(keyedBy(dataTypeNames, between(0, 31_536_000))),
  ssh: opt(Ssh),
  cache: opt(Cache),
  retention: opt(keyedBy(retentionTables, Schema.Finite)),
  instance_id: opt(Schema.Union([Schema.String, Schema.Finite])),
  schedule: opt(Schedule),
  watch: opt(Watch),
  mcp: opt(Schema.Struct({ allow_writes: opt(Schema.Boolean) })),
  http: opt(Schema.Struct({ max_body_bytes: opt(intBetween(1, MAX_BODY_BYTES_LIMIT)) })),
})

/** Decodes with every problem collected and unknown keys refused; the input is kept for messages. */
export const decodeConfigDocument = (doc: unknown) =>
  Result.mapError(
    Schema.decodeUnknownResult(ConfigDocument)(doc, { errors: "all", onExcessProperty: "error", reportInput: true }),
    (e) => e.issue,
  )

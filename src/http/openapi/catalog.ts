/**
 * What /openapi.json says about each REST route: its application operations (whose declared
 * scope becomes the route's), parameters, body Schema and answer Schema. test/openapi.test.ts
 * checks that this list and the mounted routes are the same set, and that real answers decode.
 */
import { Schema } from "effect"
import { PublicDevice } from "../../domain/device.ts"
import { DeviceBody } from "../../app/device-input.ts"
import { TrustHostKeyBody } from "../../app/host-keys.ts"
import { RestoreRequest, TokenRequest } from "../body.ts"
import { AcknowledgeBody, RuleCreate, RulePatch, SilenceCreate } from "../../alerts/model.ts"
import { RuleTestRequest } from "../alerts-routes.ts"
import {
  AddedDevice,
  AnyObject,
  DataTypeList,
  DeletedDevice,
  DeviceList,
  Health,
  HistoryRows,
  MetricSeries,
  TokenCreated,
  TokenList,
  TokenView,
} from "./answers.ts"

export interface QueryParam {
  readonly name: string
  readonly description: string
  readonly type?: "string" | "integer" | "boolean" | undefined
  readonly required?: true | undefined
  readonly enum?: ReadonlyArray<string> | undefined
}

export type Answer =
  | { readonly json: Schema.Top; readonly status?: 200 | 201 | undefined }
  | { readonly text: string; readonly mediaType: string }

export interface RouteDoc {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE"
  /** As mounted in Hono (`:param`). */
  readonly path: string
  readonly tag: string
  readonly summary: string
  /** Application operations it may run (src/app); none for the public routes. */
  readonly operations: ReadonlyArray<string>
  readonly query?: ReadonlyArray<QueryParam> | undefined
  readonly pathParams?: Readonly<Record<string, string>> | undefined
  readonly body?: { readonly schema: Schema.Top; readonly required: boolean } | undefined
  readonly answer: Answer
  /** Served without a token (load balancers, the reference page). */
  readonly public?: true | undefined
  /**
   * One path per public data type (the generic data routes): "read" with the type's params and
   * answer, "history" for the types that keep rows. Concrete paths also keep the document free of
   * templates that overlap (/containers/{name} against /{dataType}/history). "series": the types
   * with a downsampled series (Data.series).
   */
  readonly perDataType?: "read" | "history" | "series" | undefined
}

const limit = (fallback: number, max: number): QueryParam => ({
  name: "limit",
  type: "integer",
  description: `rows at most (default ${fallback}, at most ${max})`,
})
const time = (name: string, what: string): QueryParam => ({
  name,
  description: `${what}: ISO 8601, unix seconds, or a duration back from now (6h, 7d)`,
})
const text = (name: string, description: string): QueryParam => ({ name, description })
const flag = (name: string, description: string): QueryParam => ({ name, type: "boolean", description })
const device = { device: "device name or id" }

// The series answer split by mount, interface or container (Data.series with `by`).
const keyedValues = Schema.Array(Schema.NullOr(Schema.Number))
const KeyedSeries = Schema.Struct({
  device: Schema.String,
  data_type: Schema.String,
  by: Schema.Literals(["mount", "interface", "container"]),
  from: Schema.String.annotate({ description: "ISO 8601, whole seconds: the first bucket's origin (inclusive)" }),
  to: Schema.String.annotate({ description: "ISO 8601 (exclusive)" }),
  step_seconds: Schema.Number,
  points: Schema.Number.annotate({ description: "buckets with a row for any key returned" }),
  time: Schema.Array(Schema.Number).annotate({ description: "unix seconds of each bucket's start, ascending" }),
  keys_total: Schema.Number.annotate({ description: "keys with rows in the range (at most 8 are returned)" }),
  keys: Schema.Array(Schema.Struct({
    key: Schema.String.annotate({ description: "mountpoint, interface or container name" }),
    series: Schema.Record(Schema.String, keyedValues).annotate({
      description:
        "mount: used_percent (the newest reading of each bucket); interface: rx_bytes_per_second, tx_bytes_per_second " +
        "(from the counters); container: cpu_percent, mem_usage_bytes (averages). One value or null per time.",
    }),
  })).annotate({ description: "the fullest mounts, busiest interfaces or containers first" }),
}).annotate({ identifier: "KeyedMetricSeries" })

export const routeDocs: ReadonlyArray<RouteDoc> = [
  {
    method: "GET",
    path: "/health",
    tag: "service",
    summary: "Liveness and database reachability (no token needed)",
    operations: [],
    public: true,
    answer: { json: Health },
  },
  {
    method: "GET",
    path: "/openapi.json",
    tag: "service",
    summary: "This document (no token needed)",
    operations: [],
    public: true,
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/docs",
    tag: "service",
    summary: "The API reference page, served from this server (no token needed)",
    operations: [],
    public: true,
    answer: { text: "an HTML page", mediaType: "text/html" },
  },
  {
    method: "GET",
    path: "/api/devices",
    tag: "devices",
    summary: "List devices (no secrets)",
    operations: ["Devices.list"],
    answer: { json: DeviceList },
  },
  {
    method: "POST",
    path: "/api/devices",
    tag: "devices",
    summary: "Add a device and probe it (its host key is trusted on first use)",
    operations: ["Devices.add"],
    query: [flag("probe", "default true: connect and record the device's capabilities now")],
    body: { schema: DeviceBody, required: true },
    answer: { json: AddedDevice, status: 201 },
  },
  {
    method: "GET",
    path: "/api/devices/:device",
    tag: "devices",
    summary: "One device with its capability probe",
    operations: ["Devices.get"],
    pathParams: device,
    answer: { json: PublicDevice },
  },
  {
    method: "GET",
    path: "/api/devices/:device/host-key",
    tag: "devices",
    summary: "A device's trusted host key, and the key it last presented when refused (compare before trusting)",
    operations: ["Devices.hostKey"],
    pathParams: device,
    answer: { json: AnyObject },
  },
  {
    method: "PATCH",
    path: "/api/devices/:device",
    tag: "devices",
    summary: "Change a device; a new address must present the device's trusted host key",
    operations: ["Devices.update"],
    pathParams: device,
    body: { schema: DeviceBody, required: true },
    answer: { json: PublicDevice },
  },
  {
    method: "DELETE",
    path: "/api/devices/:device",
    tag: "devices",
    summary: "Remove a device and its collected history",
    operations: ["Devices.remove"],
    pathParams: device,
    answer: { json: DeletedDevice },
  },
  {
    method: "POST",
    path: "/api/devices/:device/trust-host-key",
    tag: "devices",
    summary: "Forget a device's host key (trust the next one) or pin a given fingerprint",
    operations: ["Devices.trustHostKey"],
    pathParams: device,
    body: { schema: TrustHostKeyBody, required: false },
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/data-types",
    tag: "data",
    summary: "The data types and their parameters",
    operations: ["Data.dataTypes"],
    answer: { json: DataTypeList },
  },
  {
    method: "GET",
    path: "/api/devices/:device/:dataType",
    tag: "data",
    summary: "Read a data type through the pipeline (cached per type, audited)",
    operations: ["Data.collect"],
    perDataType: "read",
    pathParams: device,
    query: [flag("force_refresh", "read the host now, whatever the cache holds")],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/devices/:device/:dataType/history",
    tag: "data",
    summary: "Stored rows of a data type",
    operations: ["Data.history"],
    perDataType: "history",
    pathParams: device,
    query: [
      time("from", "oldest row"),
      time("to", "newest row"),
      limit(100, 10_000),
    ],
    answer: { json: HistoryRows },
  },
  {
    method: "GET",
    path: "/api/devices/:device/:dataType/series",
    tag: "data",
    summary: "Stored metrics downsampled in the database for charts (at most 1000 buckets)",
    operations: ["Data.series"],
    perDataType: "series",
    pathParams: device,
    query: [
      time("from", "start, inclusive (default: to minus 1 hour)"),
      time("to", "end, exclusive (default: now)"),
      { name: "points", type: "integer", description: "buckets at most, 10-1000 (default 300)" },
      {
        name: "by",
        description: "split into one series per key: mount (system_metrics), interface (network_interfaces, " +
          "the default there), container (containers, the default there)",
        enum: ["mount", "interface", "container"],
      },
    ],
    answer: { json: Schema.Union([MetricSeries, KeyedSeries]) },
  },
  {
    method: "GET",
    path: "/api/devices/:device/containers/:name",
    tag: "containers",
    summary: "One container's inspect (config, mounts, networks, health, restart count)",
    operations: ["Data.collect"],
    pathParams: { ...device, name: "container name or id" },
    query: [flag("force_refresh", "read the host now, whatever the cache holds")],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/devices/:device/containers/:name/logs",
    tag: "containers",
    summary: "A container's recent log lines (never cached, always audited)",
    operations: ["Data.collect"],
    pathParams: { ...device, name: "container name or id" },
    query: [
      { name: "tail", type: "integer", description: "last N lines, 1-10000 (default 200)" },
      text("since", "RFC 3339 time or relative like 10m, 2h"),
    ],
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/devices/:device/containers/:name/:action",
    tag: "containers",
    summary: "Start, stop or restart a container (sent once, never retried)",
    operations: ["Data.containerAction"],
    pathParams: { ...device, name: "container name or id", action: "start, stop or restart" },
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/devices/:device/configs",
    tag: "configs",
    summary: "Tracked config files of a device and its watch state",
    operations: ["Configs.tracked"],
    pathParams: device,
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/devices/:device/configs/history",
    tag: "configs",
    summary: "Versions of one config file (no content)",
    operations: ["Configs.history"],
    pathParams: device,
    query: [{ ...text("path", "absolute path of the file on the device"), required: true }, limit(100, 10_000)],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/configs/snapshots/:id",
    tag: "configs",
    summary: "One stored version, secrets redacted (raw=true: as stored, write scope)",
    operations: ["Configs.snapshot", "Configs.rawSnapshot"],
    pathParams: { id: "snapshot id" },
    query: [flag("raw", "secrets as stored (needs write scope and store_raw_secrets)")],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/configs/diff",
    tag: "configs",
    summary:
      "Unified diff of two stored versions with its analysis (risk, rule, semantic changes, affected services), " +
      "secrets redacted (raw=true: as stored, write scope)",
    operations: ["Configs.diff", "Configs.rawDiff"],
    query: [
      { ...text("from", "snapshot id"), required: true },
      { ...text("to", "snapshot id"), required: true },
      flag("raw", "secrets as stored (needs write scope)"),
    ],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/changes",
    tag: "configs",
    summary: "Configuration change events with risk levels",
    operations: ["Configs.changes"],
    query: [
      text("device", "device name"),
      text("config_type", "nginx, compose, systemd, ..."),
      text("path", "one file"),
      time("since", "oldest change"),
      text("risk", "comma list of LOW, MEDIUM, HIGH, CRITICAL"),
      text("change_type", "CREATE, MODIFY, DELETE or MOVE"),
      text("before", "only events with a smaller id: the next page of a feed"),
      limit(100, 10_000),
    ],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/devices/:device/service-map",
    tag: "configs",
    summary: "Hostname → upstream → container map of a device (from its proxy configs)",
    operations: ["Configs.serviceMap"],
    pathParams: device,
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/devices/:device/configs/scan",
    tag: "configs",
    summary: "Scan a device's watched files now and record what changed",
    operations: ["Configs.scan"],
    pathParams: device,
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/devices/:device/configs/restore",
    tag: "configs",
    summary: "Diff a stored version against the host (dry run, default) or write it back (write scope)",
    operations: ["Configs.restorePreview", "Configs.restore"],
    pathParams: device,
    body: { schema: RestoreRequest, required: true },
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/watch/status",
    tag: "configs",
    summary: "Config watching state per device",
    operations: ["Configs.watchStatus"],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/alerts",
    tag: "alerts",
    summary: "Alerts, newest first: pending, firing and resolved (history)",
    operations: ["Alerts.list"],
    query: [
      text("state", "comma list of pending, firing, resolved"),
      text("device", "device name"),
      text("severity", "comma list of info, warning, critical"),
      text("rule", "a rule id"),
      limit(100, 10_000),
    ],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/alert-rules",
    tag: "alerts",
    summary: "Alert rules: built-ins (with overrides), the config file's and the API's",
    operations: ["Alerts.rules"],
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/alert-rules",
    tag: "alerts",
    summary: "Add an alert rule",
    operations: ["Alerts.createRule"],
    body: { schema: RuleCreate, required: true },
    answer: { json: AnyObject, status: 201 },
  },
  {
    method: "PATCH",
    path: "/api/alert-rules/:id",
    tag: "alerts",
    summary: "Change an alert rule; on a built-in, store an override (e.g. enabled: false)",
    operations: ["Alerts.updateRule"],
    pathParams: { id: "rule id" },
    body: { schema: RulePatch, required: true },
    answer: { json: AnyObject },
  },
  {
    method: "DELETE",
    path: "/api/alert-rules/:id",
    tag: "alerts",
    summary: "Delete an alert rule, or reset a built-in to its defaults",
    operations: ["Alerts.deleteRule"],
    pathParams: { id: "rule id" },
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/alert-rules/test",
    tag: "alerts",
    summary: "Evaluate a rule (stored, or given whole) against stored data now, without raising alerts",
    operations: ["Alerts.testRule"],
    body: { schema: RuleTestRequest, required: true },
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/alert-silences",
    tag: "alerts",
    summary: "Alert silences in force (all=true: expired ones too)",
    operations: ["Alerts.silences"],
    query: [flag("all", "include expired silences")],
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/alert-silences",
    tag: "alerts",
    summary: "Silence alerts by rule, device, tag and subject until a time",
    operations: ["Alerts.silence"],
    body: { schema: SilenceCreate, required: true },
    answer: { json: AnyObject, status: 201 },
  },
  {
    method: "DELETE",
    path: "/api/alert-silences/:id",
    tag: "alerts",
    summary: "Remove a silence",
    operations: ["Alerts.unsilence"],
    pathParams: { id: "silence id" },
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/alerts/:id",
    tag: "alerts",
    summary: "One alert",
    operations: ["Alerts.get"],
    pathParams: { id: "alert id" },
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/alerts/:id/acknowledge",
    tag: "alerts",
    summary: "Acknowledge an alert (no more reminders; resolves a config-change alert)",
    operations: ["Alerts.acknowledge"],
    pathParams: { id: "alert id" },
    body: { schema: AcknowledgeBody, required: false },
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/audit",
    tag: "admin",
    summary: "The audit log",
    operations: ["Admin.audit"],
    query: [
      text("device", "device name"),
      text("data_type", "data type"),
      text("method", "api, mcp, polling, watcher, cli, library"),
      text("status", "success, error, ..."),
      time("since", "oldest row"),
      time("until", "rows before this time"),
      text("token", "the id of the API token that made the call"),
      limit(100, 10_000),
    ],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/cache",
    tag: "admin",
    summary: "Cache statistics (entries=true: and its entries)",
    operations: ["Admin.cache"],
    query: [flag("entries", "list the entries"), limit(100, 10_000)],
    answer: { json: AnyObject },
  },
  {
    method: "DELETE",
    path: "/api/cache",
    tag: "admin",
    summary: "Drop cached reads (all, or of one device and/or data type)",
    operations: ["Admin.invalidateCache"],
    query: [text("device", "device name"), text("data_type", "data type"), text("reason", "for the audit log")],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/performance",
    tag: "admin",
    summary: "Per-minute performance rollups",
    operations: ["Admin.performance"],
    query: [
      time("from", "default one hour before to"),
      time("to", "default now"),
      text("method", "api, mcp, polling, ..."),
      limit(1000, 100_000),
    ],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/retention",
    tag: "admin",
    summary: "Retention rules",
    operations: ["Admin.retentionRules"],
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/retention/run",
    tag: "admin",
    summary: "Delete rows past their retention now",
    operations: ["Admin.runRetention"],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/metrics",
    tag: "admin",
    summary: "Prometheus metrics (text exposition format)",
    operations: ["Admin.metrics"],
    answer: { text: "Prometheus text exposition format 0.0.4", mediaType: "text/plain" },
  },
  {
    method: "GET",
    path: "/metrics/fleet",
    tag: "admin",
    summary:
      "The fleet's collected data as Prometheus metrics: up, CPU, memory, filesystems, network, SMART, zpools, " +
      "containers, systemd, config changes by risk (from the store: a scrape never reaches a host)",
    operations: ["Admin.fleetMetrics"],
    answer: { text: "Prometheus text exposition format 0.0.4", mediaType: "text/plain" },
  },
  {
    method: "GET",
    path: "/api/scheduler",
    tag: "admin",
    summary: "Polling, leases and device health",
    operations: ["Admin.scheduler"],
    query: [text("device", "one device")],
    answer: { json: AnyObject },
  },
  {
    method: "POST",
    path: "/api/scheduler/refresh",
    tag: "admin",
    summary: "Re-read the device list for polling now",
    operations: ["Admin.refreshScheduler"],
    answer: { json: AnyObject },
  },
  {
    method: "GET",
    path: "/api/tokens",
    tag: "admin",
    summary: "List API tokens (ids, names, scopes; never secrets)",
    operations: ["Admin.tokens"],
    answer: { json: TokenList },
  },
  {
    method: "POST",
    path: "/api/tokens",
    tag: "admin",
    summary: "Create an API token; the secret is in this answer only",
    operations: ["Admin.createToken"],
    body: { schema: TokenRequest, required: true },
    answer: { json: TokenCreated, status: 201 },
  },
  {
    method: "DELETE",
    path: "/api/tokens/:id",
    tag: "admin",
    summary: "Revoke an API token",
    operations: ["Admin.revokeToken"],
    pathParams: { id: "token id" },
    answer: { json: TokenView },
  },
  {
    method: "GET",
    path: "/api/events",
    tag: "events",
    summary: "Server-Sent Events: collections, status changes, config changes; resumes from Last-Event-ID",
    operations: ["Admin.events"],
    query: [
      text("device", "comma list of device names"),
      text("data_type", "comma list of data types"),
      text("kind", "comma list of event kinds"),
      text("last_event_id", "resume after this id (what the Last-Event-ID header does for EventSource)"),
    ],
    answer: {
      text: "text/event-stream: one event per collection, status change, config change",
      mediaType: "text/event-stream",
    },
  },
]

/**
 * Schemas of the JSON answers that are not a data type's own (those come from each spec's
 * `output`). test/openapi.test.ts decodes real answers with them, so the document cannot drift.
 */
import { Schema } from "effect"
import { PublicDevice } from "../../domain/device.ts"

export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.String.annotate({ description: "stable, machine-readable: not_found, forbidden, parse_error, ..." }),
    message: Schema.String,
    details: Schema.optional(Schema.Unknown),
  }),
}).annotate({ identifier: "Error" })

export const Health = Schema.Struct({
  status: Schema.Literals(["ok", "degraded"]),
  store: Schema.Literals(["ok", "unavailable"]),
  backend: Schema.Literals(["pglite", "postgres"]),
  uptime_seconds: Schema.Number,
}).annotate({ identifier: "Health" })

export const AddedDevice = Schema.Struct({
  ...PublicDevice.fields,
  probe: Schema.optional(
    Schema.Struct({
      ok: Schema.Boolean,
      error: Schema.optional(Schema.Struct({ code: Schema.String, message: Schema.String })),
    }),
  ).annotate({ description: "the capability probe run on add (absent with probe=false); a failed one names why" }),
}).annotate({ identifier: "AddedDevice" })

export const DeletedDevice = Schema.Struct({ deleted: Schema.String }).annotate({ identifier: "DeletedDevice" })

export const DeviceList = Schema.Struct({ devices: Schema.Array(PublicDevice) }).annotate({ identifier: "DeviceList" })

export const DataTypeList = Schema.Struct({
  data_types: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      description: Schema.String,
      ttl_seconds: Schema.Number,
      requires: Schema.Array(Schema.String).annotate({ description: "tools the device must have" }),
      params: Schema.Record(Schema.String, Schema.String).annotate({ description: "name: description" }),
    }),
  ),
}).annotate({ identifier: "DataTypeList" })

/** The envelope of every data read; `data` is the data type's own Schema. */
export const collectedOf = <S extends Schema.Top>(dataType: string, data: S) =>
  Schema.Struct({
    device: Schema.String,
    data_type: Schema.Literal(dataType),
    collected_at: Schema.String.annotate({ description: "ISO 8601: when the host was read" }),
    age_seconds: Schema.Number,
    cache: Schema.Literals(["hit", "miss", "refresh", "stale"]),
    truncated: Schema.optional(Schema.Literal(true)).annotate({
      description: "the host's output passed the byte cap; data is parsed from a cut output",
    }),
    store: Schema.optional(Schema.Literal("unavailable")).annotate({
      description: "the database is unreachable: data is live, its rows wait in the write buffer",
    }),
    data,
  })

export const HistoryRows = Schema.Struct({
  device: Schema.String,
  data_type: Schema.String,
  table: Schema.String,
  from: Schema.NullOr(Schema.String),
  to: Schema.NullOr(Schema.String),
  count: Schema.Number,
  rows: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)),
}).annotate({ identifier: "HistoryRows" })

const seriesValues = (description: string) => Schema.Array(Schema.NullOr(Schema.Number)).annotate({ description })

export const MetricSeries = Schema.Struct({
  device: Schema.String,
  data_type: Schema.String,
  from: Schema.String.annotate({ description: "ISO 8601, whole seconds: the first bucket's origin (inclusive)" }),
  to: Schema.String.annotate({ description: "ISO 8601 (exclusive)" }),
  step_seconds: Schema.Number.annotate({ description: "bucket width: ceil((to - from) / points), at least 1" }),
  points: Schema.Number.annotate({
    description: "buckets returned (only buckets with rows; at most the points asked)",
  }),
  time: Schema.Array(Schema.Number).annotate({ description: "unix seconds of each bucket's start, ascending" }),
  series: Schema.Struct({
    cpu_percent: seriesValues("average per bucket"),
    cpu_user_percent: seriesValues("average per bucket (from the stored reading's data.cpu.total)"),
    cpu_system_percent: seriesValues("average per bucket (from the stored reading's data.cpu.total)"),
    cpu_iowait_percent: seriesValues("average per bucket"),
    cpu_steal_percent: seriesValues("average per bucket"),
    mem_used_percent: seriesValues("average per bucket"),
    swap_used_percent: seriesValues("average per bucket (null without swap)"),
    load1: seriesValues("average per bucket"),
    load5: seriesValues("average per bucket"),
    load15: seriesValues("average per bucket"),
    disk_used_percent_max: seriesValues("fullest filesystem, max per bucket"),
    net_rx_bytes_per_second: seriesValues("from the counter's increases in the bucket; null across a reset"),
    net_tx_bytes_per_second: seriesValues("from the counter's increases in the bucket; null across a reset"),
  }).annotate({ description: "one value (or null) per entry of time" }),
}).annotate({ identifier: "MetricSeries" })

export const TokenView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  scope: Schema.Literals(["read", "write"]),
  created_at: Schema.String,
  last_used_at: Schema.NullOr(Schema.String),
  revoked_at: Schema.NullOr(Schema.String),
}).annotate({ identifier: "Token" })

export const TokenList = Schema.Struct({ tokens: Schema.Array(TokenView) }).annotate({ identifier: "TokenList" })

export const TokenCreated = Schema.Struct({
  ...TokenView.fields,
  token: Schema.String.annotate({ description: "the secret: shown once, stored only as a keyed hash" }),
}).annotate({ identifier: "TokenCreated" })

/** Answers not modelled field by field: an object, described by the route's summary. */
export const AnyObject = Schema.Record(Schema.String, Schema.Unknown)

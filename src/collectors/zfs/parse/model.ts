import { Schema } from "effect"

const NullableNumber = Schema.NullOr(Schema.Number)
const NullableString = Schema.NullOr(Schema.String)

/** One node of a pool's vdev tree (root, mirror/raidz/…, disk). Counters are null when not shown (spares). */
export interface ZfsVdev {
  readonly name: string
  /** "root", "mirror", "raidz2", "draid", "replacing", "spare", "disk", … */
  readonly type: string
  readonly state: string | null
  readonly read_errors: number | null
  readonly write_errors: number | null
  readonly cksum_errors: number | null
  /** Trailing text: "was /dev/…", "(resilvering)", "cannot open", "corrupted data". */
  readonly note: string | null
  /** `-c` script columns (vendor, model, size) or other per-vdev attributes from JSON. */
  readonly extra: { readonly [key: string]: string }
  readonly children: ReadonlyArray<ZfsVdev>
}

export const ZfsVdevSchema: Schema.Codec<ZfsVdev> = Schema.Struct({
  name: Schema.String,
  type: Schema.String,
  state: NullableString,
  read_errors: NullableNumber,
  write_errors: NullableNumber,
  cksum_errors: NullableNumber,
  note: NullableString,
  extra: Schema.Record(Schema.String, Schema.String),
  children: Schema.Array(Schema.suspend((): Schema.Codec<ZfsVdev> => ZfsVdevSchema)),
}).annotate({ identifier: "ZfsVdev" })

export const ZfsVdevGroupSchema = Schema.Struct({
  /** "logs", "cache", "spares", "special", "dedup". */
  kind: Schema.String,
  vdevs: Schema.Array(ZfsVdevSchema),
})
export type ZfsVdevGroup = typeof ZfsVdevGroupSchema.Type

export const ZfsScanSchema = Schema.Struct({
  function: Schema.NullOr(Schema.Literals(["scrub", "resilver", "error_scrub"])),
  state: Schema.Literals(["none", "in_progress", "paused", "finished", "canceled", "unknown"]),
  started_at: NullableString,
  ended_at: NullableString,
  duration_seconds: NullableNumber,
  percent_done: NullableNumber,
  /** As printed ("123h32m", "01:23:45"); null when zpool gives no estimate. */
  eta: NullableString,
  scanned_bytes: NullableNumber,
  issued_bytes: NullableNumber,
  total_bytes: NullableNumber,
  /** Bytes repaired by a scrub or resilvered by a resilver. */
  repaired_bytes: NullableNumber,
  errors: NullableNumber,
  text: Schema.String,
})
export type ZfsScan = typeof ZfsScanSchema.Type

export const ErrorTotalsSchema = Schema.Struct({
  read_errors: Schema.Number,
  write_errors: Schema.Number,
  cksum_errors: Schema.Number,
})
export type ErrorTotals = typeof ErrorTotalsSchema.Type

/** `zpool status` for one pool (text or JSON give the same shape). */
export const ZfsPoolStatusSchema = Schema.Struct({
  name: Schema.String,
  state: NullableString,
  status: NullableString,
  action: NullableString,
  see: NullableString,
  /** null when zpool printed no scan line (a new pool). */
  scan: Schema.NullOr(ZfsScanSchema),
  root: Schema.NullOr(ZfsVdevSchema),
  groups: Schema.Array(ZfsVdevGroupSchema),
  errors_text: NullableString,
  /** 0 for "No known data errors"; null when zpool did not say. */
  data_errors: NullableNumber,
  /** Sums of READ/WRITE/CKSUM over every node of the tree and groups. */
  totals: ErrorTotalsSchema,
})
export type ZfsPoolStatus = typeof ZfsPoolStatusSchema.Type

export const ZfsListVdevSchema = Schema.Struct({
  name: Schema.String,
  depth: Schema.Number,
  group: NullableString,
  size_bytes: NullableNumber,
  alloc_bytes: NullableNumber,
  free_bytes: NullableNumber,
  expand_size_bytes: NullableNumber,
  fragmentation_percent: NullableNumber,
  capacity_percent: NullableNumber,
  health: NullableString,
})

/** `zpool list` for one pool. */
export const ZfsPoolCapacitySchema = Schema.Struct({
  name: Schema.String,
  health: NullableString,
  size_bytes: NullableNumber,
  alloc_bytes: NullableNumber,
  free_bytes: NullableNumber,
  checkpoint_bytes: NullableNumber,
  expand_size_bytes: NullableNumber,
  fragmentation_percent: NullableNumber,
  capacity_percent: NullableNumber,
  dedup_ratio: NullableNumber,
  altroot: NullableString,
  vdevs: Schema.Array(ZfsListVdevSchema),
})
export type ZfsPoolCapacity = typeof ZfsPoolCapacitySchema.Type
export type ZfsListVdev = typeof ZfsListVdevSchema.Type

const IostatFields = {
  name: Schema.String,
  alloc_bytes: NullableNumber,
  free_bytes: NullableNumber,
  read_ops: NullableNumber,
  write_ops: NullableNumber,
  read_bytes_per_sec: NullableNumber,
  write_bytes_per_sec: NullableNumber,
  extra: Schema.Record(Schema.String, Schema.String),
}
export const ZfsIostatVdevSchema = Schema.Struct({ ...IostatFields, depth: Schema.Number, group: NullableString })
export const ZfsIostatPoolSchema = Schema.Struct({ ...IostatFields, vdevs: Schema.Array(ZfsIostatVdevSchema) })
export type ZfsIostatPool = typeof ZfsIostatPoolSchema.Type
export type ZfsIostatVdev = typeof ZfsIostatVdevSchema.Type

export const ZfsDatasetSchema = Schema.Struct({
  name: Schema.String,
  type: NullableString,
  used_bytes: NullableNumber,
  avail_bytes: NullableNumber,
  refer_bytes: NullableNumber,
  used_by_snapshots_bytes: NullableNumber,
  mountpoint: NullableString,
  compress_ratio: NullableNumber,
})
export type ZfsDataset = typeof ZfsDatasetSchema.Type

export const ZfsSnapshotSchema = Schema.Struct({
  dataset: Schema.String,
  snapshot: Schema.String,
  used_bytes: NullableNumber,
  refer_bytes: NullableNumber,
  /** ISO-8601, null when unknown. */
  created_at: NullableString,
})
export type ZfsSnapshot = typeof ZfsSnapshotSchema.Type

export const ArcStatsSchema = Schema.Struct({
  available: Schema.Boolean,
  size_bytes: NullableNumber,
  target_bytes: NullableNumber,
  max_size_bytes: NullableNumber,
  hits: NullableNumber,
  misses: NullableNumber,
  /** hits / (hits + misses), 0..1; null without any lookups. */
  hit_ratio: NullableNumber,
})
export type ArcStats = typeof ArcStatsSchema.Type

/** One pool as collected: capacity from `zpool list`, health detail from `zpool status`. */
export const ZfsPoolSchema = Schema.Struct({
  name: Schema.String,
  capacity: Schema.NullOr(ZfsPoolCapacitySchema),
  status: Schema.NullOr(ZfsPoolStatusSchema),
})
export type ZfsPool = typeof ZfsPoolSchema.Type

export const ZfsDataSchema = Schema.Struct({
  /** Which `zpool status` form was parsed: OpenZFS ≥ 2.3 JSON, text, or none (failed). */
  status_source: Schema.Literals(["json", "text", "none"]),
  pools: Schema.Array(ZfsPoolSchema),
  datasets: Schema.Struct({ available: Schema.Boolean, items: Schema.Array(ZfsDatasetSchema) }),
  snapshots: Schema.Struct({ available: Schema.Boolean, items: Schema.Array(ZfsSnapshotSchema) }),
  arc: ArcStatsSchema,
})
export type ZfsData = typeof ZfsDataSchema.Type

import { Schema } from "effect"

const NullableNumber = Schema.NullOr(Schema.Number)
const NullableString = Schema.NullOr(Schema.String)

/** One node of a pool's vdev tree (root, mirror/raidz/…, disk). Counters are null when not shown (spares). */
export interface ZfsVdev {
  readonly name: string
  /** "root", "mirror", "raidz2", "draid", "replacing", "spare", "disk", … */
  readonly type: string
  readonly state: string | null
  readonly readErrors: number | null
  readonly writeErrors: number | null
  readonly cksumErrors: number | null
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
  readErrors: NullableNumber,
  writeErrors: NullableNumber,
  cksumErrors: NullableNumber,
  note: NullableString,
  extra: Schema.Record(Schema.String, Schema.String),
  children: Schema.Array(Schema.suspend((): Schema.Codec<ZfsVdev> => ZfsVdevSchema)),
})

export const ZfsVdevGroupSchema = Schema.Struct({
  /** "logs", "cache", "spares", "special", "dedup". */
  kind: Schema.String,
  vdevs: Schema.Array(ZfsVdevSchema),
})
export type ZfsVdevGroup = typeof ZfsVdevGroupSchema.Type

export const ZfsScanSchema = Schema.Struct({
  function: Schema.NullOr(Schema.Literals(["scrub", "resilver", "error_scrub"])),
  state: Schema.Literals(["none", "in_progress", "paused", "finished", "canceled", "unknown"]),
  startedAt: NullableString,
  endedAt: NullableString,
  durationSeconds: NullableNumber,
  percentDone: NullableNumber,
  /** As printed ("123h32m", "01:23:45"); null when zpool gives no estimate. */
  eta: NullableString,
  scannedBytes: NullableNumber,
  issuedBytes: NullableNumber,
  totalBytes: NullableNumber,
  /** Bytes repaired by a scrub or resilvered by a resilver. */
  repairedBytes: NullableNumber,
  errors: NullableNumber,
  text: Schema.String,
})
export type ZfsScan = typeof ZfsScanSchema.Type

export const ErrorTotalsSchema = Schema.Struct({
  readErrors: Schema.Number,
  writeErrors: Schema.Number,
  cksumErrors: Schema.Number,
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
  errorsText: NullableString,
  /** 0 for "No known data errors"; null when zpool did not say. */
  dataErrors: NullableNumber,
  /** Sums of READ/WRITE/CKSUM over every node of the tree and groups. */
  totals: ErrorTotalsSchema,
})
export type ZfsPoolStatus = typeof ZfsPoolStatusSchema.Type

export const ZfsListVdevSchema = Schema.Struct({
  name: Schema.String,
  depth: Schema.Number,
  group: NullableString,
  sizeBytes: NullableNumber,
  allocBytes: NullableNumber,
  freeBytes: NullableNumber,
  expandSizeBytes: NullableNumber,
  fragmentationPercent: NullableNumber,
  capacityPercent: NullableNumber,
  health: NullableString,
})

/** `zpool list` for one pool. */
export const ZfsPoolCapacitySchema = Schema.Struct({
  name: Schema.String,
  health: NullableString,
  sizeBytes: NullableNumber,
  allocBytes: NullableNumber,
  freeBytes: NullableNumber,
  checkpointBytes: NullableNumber,
  expandSizeBytes: NullableNumber,
  fragmentationPercent: NullableNumber,
  capacityPercent: NullableNumber,
  dedupRatio: NullableNumber,
  altroot: NullableString,
  vdevs: Schema.Array(ZfsListVdevSchema),
})
export type ZfsPoolCapacity = typeof ZfsPoolCapacitySchema.Type
export type ZfsListVdev = typeof ZfsListVdevSchema.Type

const IostatFields = {
  name: Schema.String,
  allocBytes: NullableNumber,
  freeBytes: NullableNumber,
  readOps: NullableNumber,
  writeOps: NullableNumber,
  readBytesPerSec: NullableNumber,
  writeBytesPerSec: NullableNumber,
  extra: Schema.Record(Schema.String, Schema.String),
}
export const ZfsIostatVdevSchema = Schema.Struct({ ...IostatFields, depth: Schema.Number, group: NullableString })
export const ZfsIostatPoolSchema = Schema.Struct({ ...IostatFields, vdevs: Schema.Array(ZfsIostatVdevSchema) })
export type ZfsIostatPool = typeof ZfsIostatPoolSchema.Type
export type ZfsIostatVdev = typeof ZfsIostatVdevSchema.Type

export const ZfsDatasetSchema = Schema.Struct({
  name: Schema.String,
  type: NullableString,
  usedBytes: NullableNumber,
  availBytes: NullableNumber,
  referBytes: NullableNumber,
  usedBySnapshotsBytes: NullableNumber,
  mountpoint: NullableString,
  compressRatio: NullableNumber,
})
export type ZfsDataset = typeof ZfsDatasetSchema.Type

export const ZfsSnapshotSchema = Schema.Struct({
  dataset: Schema.String,
  snapshot: Schema.String,
  usedBytes: NullableNumber,
  referBytes: NullableNumber,
  /** ISO-8601, null when unknown. */
  createdAt: NullableString,
})
export type ZfsSnapshot = typeof ZfsSnapshotSchema.Type

export const ArcStatsSchema = Schema.Struct({
  available: Schema.Boolean,
  sizeBytes: NullableNumber,
  targetBytes: NullableNumber,
  maxSizeBytes: NullableNumber,
  hits: NullableNumber,
  misses: NullableNumber,
  /** hits / (hits + misses), 0..1; null without any lookups. */
  hitRatio: NullableNumber,
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
  statusSource: Schema.Literals(["json", "text", "none"]),
  pools: Schema.Array(ZfsPoolSchema),
  datasets: Schema.Struct({ available: Schema.Boolean, items: Schema.Array(ZfsDatasetSchema) }),
  snapshots: Schema.Struct({ available: Schema.Boolean, items: Schema.Array(ZfsSnapshotSchema) }),
  arc: ArcStatsSchema,
})
export type ZfsData = typeof ZfsDataSchema.Type

import { Schema } from "effect"

/** Schemas of everything the drive_health parsers produce; types are derived from them. */

const NullableNumber = Schema.NullOr(Schema.Number)
const NullableString = Schema.NullOr(Schema.String)
const NullableBoolean = Schema.NullOr(Schema.Boolean)

export const DiskStatusSchema = Schema.Literals([
  "ok",
  "warning",
  "failing",
  "standby",
  "permission_denied",
  "error",
  "unsupported",
])
export type DiskStatus = typeof DiskStatusSchema.Type

export const SmartMessageSchema = Schema.Struct({ severity: NullableString, text: Schema.String })
export type SmartMessage = typeof SmartMessageSchema.Type

export const AtaAttributeSchema = Schema.Struct({
  id: Schema.Number,
  name: NullableString,
  value: NullableNumber,
  worst: NullableNumber,
  thresh: NullableNumber,
  /** "" (never), "past" or "now", as smartctl reports it. */
  when_failed: NullableString,
  prefailure: NullableBoolean,
  flags: NullableString,
  raw_value: NullableNumber,
  raw_string: NullableString,
})
export type AtaAttribute = typeof AtaAttributeSchema.Type

export const AtaHealthSchema = Schema.Struct({
  reallocated_sectors: NullableNumber, // id 5
  pending_sectors: NullableNumber, // id 197
  offline_uncorrectable: NullableNumber, // id 198
  crc_errors: NullableNumber, // id 199
  attributes: Schema.Array(AtaAttributeSchema),
})
export type AtaHealth = typeof AtaHealthSchema.Type

export const NvmeHealthSchema = Schema.Struct({
  critical_warning: NullableNumber,
  percentage_used: NullableNumber,
  available_spare: NullableNumber,
  available_spare_threshold: NullableNumber,
  media_errors: NullableNumber,
  unsafe_shutdowns: NullableNumber,
  error_log_entries: NullableNumber,
  data_units_read: NullableNumber,
  data_units_written: NullableNumber,
})
export type NvmeHealth = typeof NvmeHealthSchema.Type

export const ScsiHealthSchema = Schema.Struct({
  grown_defects: NullableNumber,
  /** Sum of read/write/verify total_uncorrected_errors; null when there is no error counter log. */
  uncorrected_errors: NullableNumber,
  uncorrected_read: NullableNumber,
  uncorrected_write: NullableNumber,
  uncorrected_verify: NullableNumber,
})
export type ScsiHealth = typeof ScsiHealthSchema.Type

/** One line of /proc/diskstats; discard/flush fields exist only on newer kernels. */
export const DiskIoSchema = Schema.Struct({
  major: Schema.Number,
  minor: Schema.Number,
  name: Schema.String,
  reads_completed: Schema.Number,
  reads_merged: Schema.Number,
  sectors_read: Schema.Number,
  read_time_ms: Schema.Number,
  writes_completed: Schema.Number,
  writes_merged: Schema.Number,
  sectors_written: Schema.Number,
  write_time_ms: Schema.Number,
  io_in_progress: Schema.Number,
  io_time_ms: Schema.Number,
  weighted_io_time_ms: Schema.Number,
  discards_completed: NullableNumber,
  discards_merged: NullableNumber,
  sectors_discarded: NullableNumber,
  discard_time_ms: NullableNumber,
  flushes_completed: NullableNumber,
  flush_time_ms: NullableNumber,
  /** Sectors in /proc/diskstats are always 512 bytes, whatever the device's block size. */
  bytes_read: Schema.Number,
  bytes_written: Schema.Number,
})
export type DiskIo = typeof DiskIoSchema.Type

/** One block device from lsblk, flattened: `parent` names the device it was nested under. */
export const BlockDeviceSchema = Schema.Struct({
  name: Schema.String,
  kname: NullableString,
  path: Schema.String,
  type: Schema.String,
  parent: NullableString,
  /** Exact bytes when lsblk ran with -b; null when it printed a human size. */
  size_bytes: NullableNumber,
  size_text: NullableString,
  model: NullableString,
  serial: NullableString,
  vendor: NullableString,
  wwn: NullableString,
  rotational: NullableBoolean,
  transport: NullableString,
  fstype: NullableString,
  mountpoints: Schema.Array(Schema.String),
})
export type BlockDevice = typeof BlockDeviceSchema.Type

export const DiskHealthSchema = Schema.Struct({
  /** The path smartctl was run on (from the script), else smartctl's own device name. */
  device_path: Schema.String,
  status: DiskStatusSchema,
  /** Why the status is what it is (e.g. "reallocated_sectors=304", "exit:error_log_has_errors"). */
  reasons: Schema.Array(Schema.String),
  message: NullableString,
  exit_status: NullableNumber,
  exit_flags: Schema.Array(Schema.String),
  messages: Schema.Array(SmartMessageSchema),
  smartctl_version: NullableString,
  /** smartctl -d type it used: sat, nvme, scsi, usbjmicron, megaraid,N ... */
  device_type: NullableString,
  /** "ATA", "NVMe" or "SCSI" as smartctl reports it. */
  protocol: NullableString,
  /** Link: "SATA 3.0", "SAS (SPL-4)", "NVMe", or lsblk's TRAN. */
  transport: NullableString,
  model: NullableString,
  serial: NullableString,
  firmware: NullableString,
  capacity_bytes: NullableNumber,
  rotation_rate_rpm: NullableNumber,
  ssd: NullableBoolean,
  smart_available: NullableBoolean,
  smart_enabled: NullableBoolean,
  smart_passed: NullableBoolean,
  temperature_c: NullableNumber,
  power_on_hours: NullableNumber,
  power_cycles: NullableNumber,
  ata: Schema.NullOr(AtaHealthSchema),
  nvme: Schema.NullOr(NvmeHealthSchema),
  scsi: Schema.NullOr(ScsiHealthSchema),
  io: Schema.NullOr(DiskIoSchema),
})
export type DiskHealth = typeof DiskHealthSchema.Type

export const DriveHealthSchema = Schema.Struct({
  sudo: Schema.Boolean,
  disks: Schema.Array(DiskHealthSchema),
  inventory: Schema.Struct({
    available: Schema.Boolean,
    error: NullableString,
    devices: Schema.Array(BlockDeviceSchema),
  }),
  diskstats: Schema.Struct({
    available: Schema.Boolean,
    error: NullableString,
    devices: Schema.Array(DiskIoSchema),
  }),
})
export type DriveHealth = typeof DriveHealthSchema.Type

export const SmartScanDeviceSchema = Schema.Struct({
  name: Schema.String,
  info_name: NullableString,
  type: NullableString,
  protocol: NullableString,
})
export const SmartScanSchema = Schema.Struct({ devices: Schema.Array(SmartScanDeviceSchema) })
export type SmartScan = typeof SmartScanSchema.Type

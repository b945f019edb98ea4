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
  whenFailed: NullableString,
  prefailure: NullableBoolean,
  flags: NullableString,
  rawValue: NullableNumber,
  rawString: NullableString,
})
export type AtaAttribute = typeof AtaAttributeSchema.Type

export const AtaHealthSchema = Schema.Struct({
  reallocatedSectors: NullableNumber, // id 5
  pendingSectors: NullableNumber, // id 197
  offlineUncorrectable: NullableNumber, // id 198
  crcErrors: NullableNumber, // id 199
  attributes: Schema.Array(AtaAttributeSchema),
})
export type AtaHealth = typeof AtaHealthSchema.Type

export const NvmeHealthSchema = Schema.Struct({
  criticalWarning: NullableNumber,
  percentageUsed: NullableNumber,
  availableSpare: NullableNumber,
  availableSpareThreshold: NullableNumber,
  mediaErrors: NullableNumber,
  unsafeShutdowns: NullableNumber,
  errorLogEntries: NullableNumber,
  dataUnitsRead: NullableNumber,
  dataUnitsWritten: NullableNumber,
})
export type NvmeHealth = typeof NvmeHealthSchema.Type

export const ScsiHealthSchema = Schema.Struct({
  grownDefects: NullableNumber,
  /** Sum of read/write/verify total_uncorrected_errors; null when there is no error counter log. */
  uncorrectedErrors: NullableNumber,
  uncorrectedRead: NullableNumber,
  uncorrectedWrite: NullableNumber,
  uncorrectedVerify: NullableNumber,
})
export type ScsiHealth = typeof ScsiHealthSchema.Type

/** One line of /proc/diskstats; discard/flush fields exist only on newer kernels. */
export const DiskIoSchema = Schema.Struct({
  major: Schema.Number,
  minor: Schema.Number,
  name: Schema.String,
  readsCompleted: Schema.Number,
  readsMerged: Schema.Number,
  sectorsRead: Schema.Number,
  readTimeMs: Schema.Number,
  writesCompleted: Schema.Number,
  writesMerged: Schema.Number,
  sectorsWritten: Schema.Number,
  writeTimeMs: Schema.Number,
  ioInProgress: Schema.Number,
  ioTimeMs: Schema.Number,
  weightedIoTimeMs: Schema.Number,
  discardsCompleted: NullableNumber,
  discardsMerged: NullableNumber,
  sectorsDiscarded: NullableNumber,
  discardTimeMs: NullableNumber,
  flushesCompleted: NullableNumber,
  flushTimeMs: NullableNumber,
  /** Sectors in /proc/diskstats are always 512 bytes, whatever the device's block size. */
  bytesRead: Schema.Number,
  bytesWritten: Schema.Number,
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
  sizeBytes: NullableNumber,
  sizeText: NullableString,
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
  devicePath: Schema.String,
  status: DiskStatusSchema,
  /** Why the status is what it is (e.g. "reallocated_sectors=304", "exit:error_log_has_errors"). */
  reasons: Schema.Array(Schema.String),
  message: NullableString,
  exitStatus: NullableNumber,
  exitFlags: Schema.Array(Schema.String),
  messages: Schema.Array(SmartMessageSchema),
  smartctlVersion: NullableString,
  /** smartctl -d type it used: sat, nvme, scsi, usbjmicron, megaraid,N ... */
  deviceType: NullableString,
  /** "ATA", "NVMe" or "SCSI" as smartctl reports it. */
  protocol: NullableString,
  /** Link: "SATA 3.0", "SAS (SPL-4)", "NVMe", or lsblk's TRAN. */
  transport: NullableString,
  model: NullableString,
  serial: NullableString,
  firmware: NullableString,
  capacityBytes: NullableNumber,
  rotationRateRpm: NullableNumber,
  ssd: NullableBoolean,
  smartAvailable: NullableBoolean,
  smartEnabled: NullableBoolean,
  smartPassed: NullableBoolean,
  temperatureC: NullableNumber,
  powerOnHours: NullableNumber,
  powerCycles: NullableNumber,
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
  infoName: NullableString,
  type: NullableString,
  protocol: NullableString,
})
export const SmartScanSchema = Schema.Struct({ devices: Schema.Array(SmartScanDeviceSchema) })
export type SmartScan = typeof SmartScanSchema.Type

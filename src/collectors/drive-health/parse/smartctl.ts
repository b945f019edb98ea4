import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { decodeSmartExitStatus, isCommandFailure } from "./exit-status.ts"
import { asArray, asBoolean, asNumber, asObject, asString, get, type JsonObject, parseJsonText } from "./json.ts"
import type {
  AtaAttribute,
  AtaHealth,
  DiskHealth,
  DiskStatus,
  NvmeHealth,
  ScsiHealth,
  SmartMessage,
  SmartScan,
} from "./model.ts"

const DATA_TYPE = "drive_health"

// Texts smartctl, sudo and the kernel use when the caller lacks rights.
const PERMISSION_RE =
  /permission denied|operation not permitted|a password is required|a terminal is required|not in the sudoers|may not run sudo/i
// `-n standby` skips a disk in STANDBY or SLEEP: "Device is in STANDBY mode, exit(2)".
const STANDBY_RE = /\bis in (STANDBY|SLEEP)\b[^,]* mode/i
// The disk cannot report SMART at all (virtio disks, RAID volumes, unknown USB bridges).
const UNSUPPORTED_RE =
  /unable to detect device type|unknown usb bridge|smart support is:\s*unavailable|does not support smart|smart not supported|device lacks smart capability/i

/** Messages smartctl put in its JSON (`smartctl.messages`). */
export const smartMessages = (doc: JsonObject): Array<SmartMessage> =>
  (asArray(get(doc, "smartctl", "messages")) ?? []).flatMap((m) => {
    const text = asString(get(m, "string"))
    return text === null ? [] : [{ severity: asString(get(m, "severity")), text }]
  })

/** Raw counter of an ATA attribute; 48-bit packed values fall back to smartctl's decoded leading number. */
const rawCounter = (a: AtaAttribute): number | null => {
  if (a.raw_value !== null && a.raw_value <= 0xffffffff) return a.raw_value
  const lead = a.raw_string?.match(/^\d+/)?.[0]
  return lead === undefined ? a.raw_value : Number(lead)
}

export const ataAttributes = (doc: JsonObject): Array<AtaAttribute> | null => {
  const table = asArray(get(doc, "ata_smart_attributes", "table"))
  if (table === null) return null
  return table.flatMap((row) => {
    const id = asNumber(get(row, "id"))
    if (id === null) return []
    const flags = get(row, "flags")
    return [
      {
        id,
        name: asString(get(row, "name")),
        value: asNumber(get(row, "value")),
        worst: asNumber(get(row, "worst")),
        thresh: asNumber(get(row, "thresh")),
        when_failed: typeof get(row, "when_failed") === "string" ? (get(row, "when_failed") as string).trim() : null,
        prefailure: asBoolean(get(flags, "prefailure")),
        flags: asString(get(flags, "string")),
        raw_value: asNumber(get(row, "raw", "value")),
        raw_string: asString(get(row, "raw", "string")),
      },
    ]
  })
}

const ataHealth = (doc: JsonObject): AtaHealth | null => {
  const attributes = ataAttributes(doc)
  if (attributes === null) return null
  const counter = (id: number): number | null => {
    const a = attributes.find((x) => x.id === id)
    return a === undefined ? null : rawCounter(a)
  }
  return {
    reallocated_sectors: counter(5),
    pending_sectors: counter(197),
    offline_uncorrectable: counter(198),
    crc_errors: counter(199),
    attributes,
  }
}

const nvmeHealth = (doc: JsonObject): NvmeHealth | null => {
  const log = asObject(doc["nvme_smart_health_information_log"])
  if (log === null) return null
  const n = (k: string) => asNumber(log[k])
  return {
    critical_warning: n("critical_warning"),
    percentage_used: n("percentage_used"),
    available_spare: n("available_spare"),
    available_spare_threshold: n("available_spare_threshold"),
    media_errors: n("media_errors"),
    unsafe_shutdowns: n("unsafe_shutdowns"),
    error_log_entries: n("num_err_log_entries"),
    data_units_read: n("data_units_read"),
    data_units_written: n("data_units_written"),
  }
}

const scsiHealth = (doc: JsonObject): ScsiHealth | null => {
  const grown = asNumber(doc["scsi_grown_defect_list"])
  const log = asObject(doc["scsi_error_counter_log"])
  if (grown === null && log === null) return null
  const unc = (k: string) => asNumber(get(log, k, "total_uncorrected_errors"))
  const parts = [unc("read"), unc("write"), unc("verify")]
  const known = parts.filter((p): p is number => p !== null)
  return {
    grown_defects: grown,
    uncorrected_errors: known.length === 0 ? null : known.reduce((s, p) => s + p, 0),
    uncorrected_read: parts[0] ?? null,
    uncorrected_write: parts[1] ?? null,
    uncorrected_verify: parts[2] ?? null,
  }
}

const joinWords = (...parts: ReadonlyArray<string | null>): string | null => {
  const w = parts.filter((p): p is string => p !== null)
  return w.length === 0 ? null : w.join(" ")
}

interface Verdict {
  readonly status: DiskStatus
  readonly reasons: Array<string>
  readonly message: string | null
}

/** Health verdict from everything smartctl said; order matters (access problems before health). */
const classify = (
  doc: JsonObject,
  messages: ReadonlyArray<SmartMessage>,
  exitStatus: number | null,
  d: Pick<
    DiskHealth,
    "smart_passed" | "smart_available" | "smart_enabled" | "ata" | "nvme" | "scsi" | "model" | "protocol"
  >,
): Verdict => {
  const flags = exitStatus === null ? [] : decodeSmartExitStatus(exitStatus)
  const errorText = messages.find((m) => m.severity === "error")?.text ?? messages[0]?.text ?? null
  const hasHealth = d.smart_passed !== null || d.ata !== null || d.nvme !== null || d.scsi !== null
  // A permission text only explains the outcome when smartctl got nothing out of the disk.
  const couldNotRead = exitStatus === null || isCommandFailure(exitStatus) || !hasHealth
  const denied = couldNotRead ? messages.find((m) => PERMISSION_RE.test(m.text)) : undefined
  if (denied !== undefined) return { status: "permission_denied", reasons: ["permission_denied"], message: denied.text }
  const standby = messages.find((m) => STANDBY_RE.test(m.text))
  if (standby !== undefined) return { status: "standby", reasons: ["standby"], message: standby.text }
  const unsupportedMsg = messages.find((m) => UNSUPPORTED_RE.test(m.text))
  if (unsupportedMsg !== undefined) {
    return { status: "unsupported", reasons: ["smart_unsupported"], message: unsupportedMsg.text }
  }

  const hasDeviceData = doc["device"] !== undefined || d.model !== null
  if ((exitStatus !== null && isCommandFailure(exitStatus)) || (!hasDeviceData && errorText !== null)) {
    return {
      status: "error",
      reasons: flags.filter((f) => f === "command_line_error" || f === "device_open_failed").map((f) => `exit:${f}`),
      message: errorText ?? `smartctl exited with status ${exitStatus}`,
    }
  }
  if (!hasDeviceData) {
    return { status: "error", reasons: ["no_device_data"], message: "smartctl output has no device data" }
  }

  const failing: Array<string> = []
  if (d.smart_passed === false) failing.push("smart_status_failed")
  for (const f of flags) {
    if (f === "disk_failing" || f === "prefail_attributes_below_threshold") failing.push(`exit:${f}`)
  }
  for (const a of d.ata?.attributes ?? []) {
    if (a.when_failed === "now") failing.push(`attribute_failing_now:${a.name ?? a.id}`)
  }
  if (d.nvme?.critical_warning != null && d.nvme.critical_warning !== 0) {
    failing.push(`nvme_critical_warning=${d.nvme.critical_warning}`)
  }
  if (failing.length > 0) {
    return {
      status: "failing",
      reasons: failing,
      message: messages.find((m) => m.severity === "error")?.text ?? null,
    }
  }

  // smart_support.enabled=false alone is not enough: SAS disks report it (IEC mode page) and still give health.
  if (!hasHealth) {
    if (d.smart_available === false) {
      return { status: "unsupported", reasons: ["smart_unavailable"], message: "device does not support SMART" }
    }
    if (d.smart_enabled === false) {
      return { status: "unsupported", reasons: ["smart_disabled"], message: "SMART is disabled on the device" }
    }
    return {
      status: "unsupported",
      reasons: ["no_smart_data"],
      message: errorText ?? "smartctl reported no SMART health data",
    }
  }

  const warn: Array<string> = []
  for (const f of flags) {
    if (
      f === "attributes_below_threshold_in_past" || f === "error_log_has_errors" || f === "self_test_log_has_errors"
    ) warn.push(`exit:${f}`)
  }
  const positive = (label: string, v: number | null | undefined) => {
    if (v != null && v > 0) warn.push(`${label}=${v}`)
  }
  positive("reallocated_sectors", d.ata?.reallocated_sectors)
  positive("pending_sectors", d.ata?.pending_sectors)
  positive("offline_uncorrectable", d.ata?.offline_uncorrectable)
  positive("crc_errors", d.ata?.crc_errors)
  for (const a of d.ata?.attributes ?? []) {
    if (a.when_failed === "past") warn.push(`attribute_failed_in_past:${a.name ?? a.id}`)
  }
  positive("nvme_media_errors", d.nvme?.media_errors)
  // NVMe wear: 100 means the rated endurance is used up; warn a little before.
  if (d.nvme?.percentage_used != null && d.nvme.percentage_used >= 90) {
    warn.push(`nvme_percentage_used=${d.nvme.percentage_used}`)
  }
  positive("scsi_grown_defects", d.scsi?.grown_defects)
  positive("scsi_uncorrected_errors", d.scsi?.uncorrected_errors)
  if (warn.length > 0) return { status: "warning", reasons: warn, message: null }
  return { status: "ok", reasons: [], message: null }
}

/** Error-only output has no `device`; the path it was asked about is still in argv. */
const argvDevice = (doc: JsonObject): string | null =>
  (asArray(get(doc, "smartctl", "argv")) ?? []).map(asString).findLast((a): a is string =>
    a !== null && a.startsWith("/dev/")
  ) ?? null

const normalizeProtocol = (p: string | null): string | null => {
  switch (p?.toLowerCase()) {
    case "ata":
      return "ATA"
    case "nvme":
      return "NVMe"
    case "scsi":
      return "SCSI"
    default:
      return p
  }
}

/**
 * A disk record from a decoded smartctl JSON document. Total: every field is optional in
 * smartctl's output, so missing data becomes null rather than an error.
 * `shellExitCode` is used when the JSON carries no exit_status of its own.
 */
export const diskFromSmartctl = (doc: JsonObject, devicePath?: string, shellExitCode?: number): DiskHealth => {
  const messages = smartMessages(doc)
  const exitStatus = asNumber(get(doc, "smartctl", "exit_status")) ?? shellExitCode ?? null
  const version = asArray(get(doc, "smartctl", "version"))
  const protocol = normalizeProtocol(asString(get(doc, "device", "protocol")))
  const rotation = asNumber(doc["rotation_rate"])
  const support = doc["smart_support"]
  const supportObj = asObject(support)
  const ata = ataHealth(doc)
  const nvme = nvmeHealth(doc)
  const scsi = scsiHealth(doc)
  const attrCounter = (id: number): number | null => {
    const a = ata?.attributes.find((x) => x.id === id)
    return a === undefined ? null : rawCounter(a)
  }
  // smartctl prints 0 when a (mostly SCSI/RAID) device has no sensor; no running disk is at 0 °C.
  const rawTemp = asNumber(get(doc, "temperature", "current")) ??
    asNumber(get(doc, "nvme_smart_health_information_log", "temperature"))
  const model = asString(doc["model_name"]) ??
    asString(doc["scsi_model_name"]) ??
    joinWords(
      asString(doc["scsi_vendor"]) ?? asString(doc["vendor"]),
      asString(doc["scsi_product"]) ?? asString(doc["product"]),
    )
  const partial = {
    model,
    protocol,
    smart_passed: asBoolean(get(doc, "smart_status", "passed")),
    smart_available: typeof support === "boolean" ? support : asBoolean(supportObj?.["available"]),
    smart_enabled: typeof support === "boolean" ? support : asBoolean(supportObj?.["enabled"]),
    ata,
    nvme,
    scsi,
  }
  const verdict = classify(doc, messages, exitStatus, partial)
  return {
    device_path: devicePath ?? asString(get(doc, "device", "name")) ?? argvDevice(doc) ?? "unknown",
    status: verdict.status,
    reasons: verdict.reasons,
    message: verdict.message,
    exit_status: exitStatus,
    exit_flags: exitStatus === null ? [] : decodeSmartExitStatus(exitStatus),
    messages,
    smartctl_version: version === null ? null : version.map(String).join("."),
    device_type: asString(get(doc, "device", "type")),
    transport: asString(get(doc, "scsi_transport_protocol", "name")) ??
      asString(get(doc, "sata_version", "string")) ??
      (protocol === "NVMe" ? "NVMe" : null),
    serial: asString(doc["serial_number"]),
    firmware: asString(doc["firmware_version"]) ?? asString(doc["scsi_revision"]) ?? asString(doc["revision"]),
    capacity_bytes: asNumber(get(doc, "user_capacity", "bytes")) ?? asNumber(doc["nvme_total_capacity"]),
    rotation_rate_rpm: rotation !== null && rotation > 0 ? rotation : null,
    ssd: rotation !== null ? rotation === 0 : protocol === "NVMe" ? true : null,
    ...partial,
    temperature_c: rawTemp !== null && rawTemp > 0 ? rawTemp : null,
    power_on_hours: asNumber(get(doc, "power_on_time", "hours")) ??
      asNumber(get(doc, "nvme_smart_health_information_log", "power_on_hours")) ??
      attrCounter(9),
    power_cycles: asNumber(doc["power_cycle_count"]) ??
      asNumber(get(doc, "nvme_smart_health_information_log", "power_cycles")) ??
      asNumber(get(doc, "scsi_start_stop_cycle_counter", "accumulated_start_stop_cycles")) ??
      attrCounter(12),
    io: null,
  }
}

/** True when a decoded document looks like smartctl output for one device (not --scan, not foreign JSON). */
const isSmartctlDoc = (doc: JsonObject): boolean =>
  asObject(doc["smartctl"]) !== null || asObject(doc["device"]) !== null

/** One `smartctl -j` document (a fixture or a saved file) as a disk record. */
export const parseSmartctlJson = (
  text: string,
  devicePath?: string,
  shellExitCode?: number,
): Result.Result<DiskHealth, ParseError> =>
  Result.flatMap(parseJsonText(text, DATA_TYPE, devicePath ?? "smartctl"), (v) => {
    const doc = asObject(v)
    if (doc === null) {
      return Result.fail(
        new ParseError({
          dataType: DATA_TYPE,
          message: "smartctl JSON is not an object",
          at: devicePath ?? "smartctl",
        }),
      )
    }
    if (asArray(doc["devices"]) !== null && doc["device"] === undefined) {
      return Result.fail(
        new ParseError({
          dataType: DATA_TYPE,
          message: "this is `smartctl --scan` output, not one device's data (use parseSmartScan)",
          at: devicePath ?? "smartctl",
        }),
      )
    }
    if (!isSmartctlDoc(doc)) {
      return Result.fail(
        new ParseError({
          dataType: DATA_TYPE,
          message: "not smartctl device JSON: no 'smartctl' or 'device' object",
          at: devicePath ?? "smartctl",
        }),
      )
    }
    return Result.succeed(diskFromSmartctl(doc, devicePath, shellExitCode))
  })

/** A disk record without any smartctl data (tool missing, sudo refused, output unusable). */
const bareDisk = (
  devicePath: string,
  status: DiskStatus,
  message: string,
  exitStatus: number | null,
  reasons: Array<string>,
): DiskHealth => ({
  device_path: devicePath,
  status,
  reasons,
  message,
  exit_status: exitStatus,
  exit_flags: [],
  messages: [],
  smartctl_version: null,
  device_type: null,
  protocol: null,
  transport: null,
  model: null,
  serial: null,
  firmware: null,
  capacity_bytes: null,
  rotation_rate_rpm: null,
  ssd: null,
  smart_available: null,
  smart_enabled: null,
  smart_passed: null,
  temperature_c: null,
  power_on_hours: null,
  power_cycles: null,
  ata: null,
  nvme: null,
  scsi: null,
  io: null,
})

/**
 * One disk's section from the drive_health script: smartctl's JSON on stdout, possibly preceded
 * by stderr text (sudo's refusal, "smartctl: not found"), and the command's exit code.
 * Never fails: a disk that could not be read is a disk with status error/permission_denied,
 * so one bad disk does not hide the others.
 */
export const diskFromSection = (devicePath: string, body: string, exitCode: number | undefined): DiskHealth => {
  const jsonStart = body.search(/^\s*\{/m)
  const preamble = (jsonStart < 0 ? body : body.slice(0, jsonStart)).trim()
  const code = exitCode ?? null
  if (jsonStart < 0) {
    const firstLine = preamble.split("\n")[0]?.trim() ?? ""
    if (PERMISSION_RE.test(preamble)) {
      return bareDisk(devicePath, "permission_denied", firstLine, code, ["permission_denied"])
    }
    if (code === 127 || /not found|no such file/i.test(preamble)) {
      return bareDisk(devicePath, "error", firstLine || "smartctl not found (exit 127)", code, ["smartctl_missing"])
    }
    return bareDisk(devicePath, "error", firstLine || `smartctl printed no output (exit ${code ?? "unknown"})`, code, [
      "no_output",
    ])
  }
  const parsed = parseSmartctlJson(body.slice(jsonStart), devicePath, exitCode)
  if (Result.isFailure(parsed)) {
    return bareDisk(devicePath, "error", parsed.failure.message, code, ["unparseable_output"])
  }
  const withExit = parsed.success
  // Text before the JSON (stderr merged in) may carry the only hint of a permission problem.
  if (preamble !== "" && PERMISSION_RE.test(preamble) && withExit.status === "error") {
    return {
      ...withExit,
      status: "permission_denied",
      reasons: ["permission_denied"],
      message: preamble.split("\n")[0] ?? preamble,
    }
  }
  return withExit
}

/** `smartctl --scan -j` output: the devices smartctl would probe and with which -d type. */
export const parseSmartScan = (text: string): Result.Result<SmartScan, ParseError> =>
  Result.flatMap(parseJsonText(text, DATA_TYPE, "smartctl --scan"), (v) => {
    const devices = asArray(get(v, "devices"))
    if (devices === null) {
      return Result.fail(
        new ParseError({
          dataType: DATA_TYPE,
          message: "smartctl --scan JSON has no 'devices' array",
          at: "smartctl --scan",
        }),
      )
    }
    const out: Array<SmartScan["devices"][number]> = []
    for (const [i, d] of devices.entries()) {
      const name = asString(get(d, "name"))
      if (name === null) {
        return Result.fail(
          new ParseError({ dataType: DATA_TYPE, message: `scan device has no name`, at: `devices[${i}]` }),
        )
      }
      out.push({
        name,
        info_name: asString(get(d, "info_name")),
        type: asString(get(d, "type")),
        protocol: normalizeProtocol(asString(get(d, "protocol"))),
      })
    }
    return Result.succeed({ devices: out })
  })

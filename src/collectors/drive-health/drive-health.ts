import { ValidationError } from "../../domain/errors.ts"
import { singleRetry } from "../../domain/schedules.ts"
import {
  DISKSTATS_SECTION,
  DRIVE_HEALTH,
  type DriveHealth,
  LSBLK_SECTION,
  parseDriveHealth,
  SMART_SECTION_PREFIX,
  sudoEnabled,
} from "./parse-drive-health.ts"
import { section } from "../shared/sections.ts"
import { shq } from "../../domain/quote.ts"
import { type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"
import { DriveHealthSchema } from "./parse/model.ts"

export const LSBLK_INVENTORY =
  "lsblk -J -b -o NAME,KNAME,PATH,TYPE,SIZE,MODEL,SERIAL,ROTA,TRAN,VENDOR,WWN,MOUNTPOINT,FSTYPE"

/**
 * Whole disks to probe. TYPE must be "disk"; loop/zram/ram/md/nbd are skipped even when lsblk
 * calls them disks: they are virtual (no SMART) and zram/ram would only produce noise.
 * Older lsblk without the PATH column falls back to KNAME under /dev.
 */
const DISCOVER_DISKS =
  `{ lsblk -dn -o PATH,TYPE 2>/dev/null || lsblk -dn -o KNAME,TYPE 2>/dev/null | sed 's|^|/dev/|'; }`
const SKIP_VIRTUAL = `case "$dev" in /dev/loop*|/dev/zram*|/dev/ram*|/dev/md*|/dev/nbd*) continue ;; esac`
const DEVICE_PATH_RE = /^\/dev\/[A-Za-z0-9._+:/-]+$/

const validate = (params: Params): { sudo: boolean; device: string | null } => {
  const sudo = params["sudo"]
  if (sudo !== undefined && sudo !== true && sudo !== false && sudo !== "true" && sudo !== "false") {
    throw new ValidationError({ message: `drive_health: sudo must be "true" or "false", got ${JSON.stringify(sudo)}` })
  }
  const device = params["device"]
  if (device === undefined || device === "") return { sudo: sudoEnabled(params), device: null }
  if (typeof device !== "string" || !DEVICE_PATH_RE.test(device) || device.includes("..")) {
    throw new ValidationError({ message: `drive_health: device must be a /dev path, got ${JSON.stringify(device)}` })
  }
  return { sudo: sudoEnabled(params), device }
}

/**
 * One round trip: lsblk inventory, /proc/diskstats, then `smartctl -j -a -n standby` per whole disk
 * discovered on the host (or the one `device` param). `-n standby` never spins a sleeping disk up:
 * smartctl exits 2 with "Device is in STANDBY mode". stderr is merged into each disk's section so a
 * refusal from `sudo -n` ("a password is required") is visible to the parser. The subshell keeps the
 * PATH change (smartctl lives in sbin, often not on a user's PATH) off the persistent shell channel.
 */
export const driveHealthScript = (params: Params): string => {
  const { sudo, device } = validate(params)
  const smartctl = `${sudo ? "sudo -n " : ""}smartctl -j -a -n standby "$dev" 2>&1`
  const list = device === null ? DISCOVER_DISKS : `printf '%s disk\\n' ${shq(device)}`
  return [
    "(",
    `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH`,
    section(LSBLK_SECTION, LSBLK_INVENTORY),
    section(DISKSTATS_SECTION, "cat /proc/diskstats"),
    `${list} | while read -r dev type _rest; do`,
    `  [ "$type" = disk ] || continue`,
    device === null ? `  ${SKIP_VIRTUAL}` : "",
    `  ${section(`"${SMART_SECTION_PREFIX}$dev"`, smartctl)}`,
    "done",
    ")",
  ]
    .filter((l) => l !== "")
    .join("\n")
}

/** bigint columns take whole numbers only; anything else (never seen from smartctl) is stored as null. */
const int = (v: number | null | undefined): number | null => (v != null && Number.isSafeInteger(v) ? v : null)

/** One row per disk per collection; the full disk record (attributes, IO totals) goes to `data`. */
const toRows = (d: DriveHealth) =>
  d.disks.map((disk) => ({
    device_path: disk.device_path,
    model: disk.model,
    serial: disk.serial,
    protocol: disk.protocol,
    status: disk.status,
    smart_passed: disk.smart_passed,
    temperature_c: disk.temperature_c,
    power_on_hours: int(disk.power_on_hours),
    // SAS/SCSI has no attribute 5; its grown defect list counts the same thing (remapped sectors).
    reallocated_sectors: int(disk.ata?.reallocated_sectors ?? disk.scsi?.grown_defects),
    pending_sectors: int(disk.ata?.pending_sectors),
    uncorrectable_sectors: int(disk.ata?.offline_uncorrectable),
    percentage_used: disk.nvme?.percentage_used ?? null,
    data: disk,
  }))

export const driveHealth: DataTypeSpec<DriveHealth> = {
  name: DRIVE_HEALTH,
  pollable: true,
  mcpTool: {
    name: "get_drive_health",
    title: "Drive health",
    description:
      "Disks of a device with SMART health (passed/failed, temperature, reallocated/pending sectors, wear, power-on hours) and NVMe health.",
  },
  params: params({
    sudo: "true: run smartctl through `sudo -n` (needs passwordless sudo for smartctl)",
    device: "only this disk, e.g. /dev/sda",
  }),
  description:
    "SMART health per whole disk (smartctl -j -a, never waking disks in standby) with lsblk inventory and /proc/diskstats IO totals. Params: sudo=true to run smartctl via `sudo -n`; device=/dev/X to read one disk.",
  output: DriveHealthSchema,
  table: "drive_health",
  ttlSeconds: 3600,
  timeout: "90 seconds",
  retry: singleRetry,
  maxOutputBytes: 8 * 1024 * 1024,
  requires: ["smartctl", "lsblk"],
  script: driveHealthScript,
  parse: parseDriveHealth,
  toRows,
}

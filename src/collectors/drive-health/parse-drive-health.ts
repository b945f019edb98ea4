import { Result, Schema } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { requireSection, type Section, splitSections } from "../shared/sections.ts"
import { parseDiskstats } from "./parse/diskstats.ts"
import { parseLsblkJson } from "./parse/lsblk.ts"
import { type BlockDevice, type DiskHealth, type DiskIo, type DriveHealth, DriveHealthSchema } from "./parse/model.ts"
import { diskFromSection } from "./parse/smartctl.ts"

export { decodeSmartExitStatus, SMART_EXIT_FLAGS, type SmartExitFlag } from "./parse/exit-status.ts"
export { parseDiskstats } from "./parse/diskstats.ts"
export { type LsblkResult, parseLsblk, parseLsblkJson, parseLsblkPairs, parseLsblkTable } from "./parse/lsblk.ts"
export type { BlockDevice, DiskHealth, DiskIo, DiskStatus, DriveHealth, SmartScan } from "./parse/model.ts"
export { diskFromSection, diskFromSmartctl, parseSmartctlJson, parseSmartScan } from "./parse/smartctl.ts"

export const DRIVE_HEALTH = "drive_health"

/** Section names shared by the script builder and the parser. */
export const LSBLK_SECTION = "lsblk"
export const DISKSTATS_SECTION = "diskstats"
/** Per-disk sections are named `smart:<device path>` by the host-side loop. */
export const SMART_SECTION_PREFIX = "smart:"

export const sudoEnabled = (params: Params): boolean => params["sudo"] === true || params["sudo"] === "true"

const parseError = (message: string, at: string) => new ParseError({ dataType: DRIVE_HEALTH, message, at })

const inventoryOf = (s: Section): Result.Result<DriveHealth["inventory"], ParseError> => {
  if (s.exitCode !== 0) {
    // Old util-linux (< 2.27 has no -J, < 2.33 no PATH column): the disks are still read.
    return Result.succeed({
      available: false,
      error: `lsblk exited with status ${s.exitCode ?? "unknown"}`,
      devices: [],
    })
  }
  return Result.map(parseLsblkJson(s.body), (r) => ({ available: true, error: null, devices: r.devices }))
}

const diskstatsOf = (s: Section): Result.Result<DriveHealth["diskstats"], ParseError> => {
  if (s.exitCode !== 0) {
    return Result.succeed({
      available: false,
      error: `reading /proc/diskstats exited with status ${s.exitCode ?? "unknown"}`,
      devices: [],
    })
  }
  return Result.match(parseDiskstats(s.body), {
    onFailure: (e) => Result.fail(parseError(e.message, `${DISKSTATS_SECTION} ${e.at ?? ""}`.trim())),
    onSuccess: (devices) => Result.succeed({ available: true, error: null, devices }),
  })
}

/** Fill what smartctl could not say (permission denied, standby) from lsblk, and attach IO totals. */
const enrich = (disk: DiskHealth, inventory: ReadonlyArray<BlockDevice>, io: ReadonlyArray<DiskIo>): DiskHealth => {
  const inv = inventory.find((d) => d.path === disk.device_path && d.parent === null)
  const kname = inv?.kname ?? inv?.name ?? disk.device_path.replace(/^.*\//, "")
  return {
    ...disk,
    model: disk.model ?? inv?.model ?? null,
    serial: disk.serial ?? inv?.serial ?? null,
    capacity_bytes: disk.capacity_bytes ?? inv?.size_bytes ?? null,
    transport: disk.transport ?? inv?.transport ?? null,
    ssd: disk.ssd ?? (inv?.rotational == null ? null : !inv.rotational),
    io: io.find((d) => d.name === kname) ?? null,
  }
}

const decodeDriveHealth = Schema.decodeUnknownResult(DriveHealthSchema)

/** Parse the whole drive_health script output (see src/collectors/drive-health/drive-health.ts). */
export const parseDriveHealth = (result: CommandResult, params: Params): Result.Result<DriveHealth, ParseError> => {
  if (result.truncated) {
    return Result.fail(
      parseError(`output truncated after ${result.bytes} bytes; disk sections would be missing`, "stdout"),
    )
  }
  const sections = splitSections(result.stdout)
  return Result.gen(function* () {
    yield* requireSection(sections, LSBLK_SECTION, DRIVE_HEALTH)
    yield* requireSection(sections, DISKSTATS_SECTION, DRIVE_HEALTH)
    const inventory = yield* inventoryOf(sections.get(LSBLK_SECTION) as Section)
    const diskstats = yield* diskstatsOf(sections.get(DISKSTATS_SECTION) as Section)
    const disks: Array<DiskHealth> = []
    for (const [name, s] of sections) {
      if (!name.startsWith(SMART_SECTION_PREFIX)) continue
      const path = name.slice(SMART_SECTION_PREFIX.length)
      disks.push(enrich(diskFromSection(path, s.body, s.exitCode), inventory.devices, diskstats.devices))
    }
    const value: DriveHealth = { sudo: sudoEnabled(params), disks, inventory, diskstats }
    return yield* Result.mapError(
      decodeDriveHealth(value),
      (e) => parseError(`result failed validation: ${e.message}`, "result"),
    )
  })
}

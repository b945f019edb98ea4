import { Result, Schema } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { requireSection, type Section, splitSections } from "../shared/sections.ts"
import { sdFail } from "./parse/fail.ts"
import { isJsonArray, parseListUnits } from "./parse/list-units.ts"
import {
  type ListedUnit,
  type ServiceCounts,
  type ServiceUnit,
  SystemdServices,
  type UnitFileEntry,
} from "./parse/schema.ts"
import { numericProperty, parseSystemctlShow, type ShowBlock, textProperty } from "./parse/show.ts"
import { parseListUnitFiles } from "./parse/unit-files.ts"

export { parseListJobs, parseListSockets } from "./parse/jobs-sockets.ts"
export type { SystemdJob, SystemdSocket } from "./parse/jobs-sockets.ts"
export { parseListUnits, parseListUnitsJson, parseListUnitsText } from "./parse/list-units.ts"
export type { ListedUnit, ServiceCounts, ServiceUnit, SystemdServices, UnitFileEntry } from "./parse/schema.ts"
export { numericProperty, parseSystemctlShow, textProperty } from "./parse/show.ts"
export type { ShowBlock } from "./parse/show.ts"
export { parseListUnitFiles } from "./parse/unit-files.ts"

/** Properties read per unit by `systemctl show -p`. */
export const SHOW_PROPERTIES = [
  "Id",
  "LoadState",
  "ActiveState",
  "SubState",
  "UnitFileState",
  "NRestarts",
  "MainPID",
  "ExecMainStatus",
  "ActiveEnterTimestamp",
  "Description",
  "MemoryCurrent",
  "FragmentPath",
] as const

const body = (s: Section | undefined): string | null => (s !== undefined && s.body.trim() !== "" ? s.body : null)

/** `foo@bar.service` is enabled through its template `foo@.service`. */
const templateOf = (name: string): string | null => {
  const m = /^([^@]+)@[^.]*(\.[a-z]+)$/.exec(name)
  return m ? `${m[1]}@${m[2]}` : null
}

const toUnit = (
  listed: ListedUnit | undefined,
  show: ShowBlock | undefined,
  unitFiles: ReadonlyMap<string, UnitFileEntry>,
  name: string,
): Result.Result<ServiceUnit, ParseError> =>
  Result.gen(function* () {
    const s = show ?? {}
    const at = `show:${name}`
    const template = templateOf(name)
    const fileState = unitFiles.get(name)?.state ?? (template === null ? undefined : unitFiles.get(template)?.state)
    const mainPid = yield* numericProperty(s, "MainPID", at)
    return {
      name,
      load_state: listed?.load_state ?? textProperty(s, "LoadState") ?? "unknown",
      active_state: listed?.active_state ?? textProperty(s, "ActiveState") ?? "unknown",
      sub_state: listed?.sub_state ?? textProperty(s, "SubState") ?? "unknown",
      description: listed?.description ?? textProperty(s, "Description") ?? "",
      enabled_state: textProperty(s, "UnitFileState") ?? fileState ?? null,
      restarts: yield* numericProperty(s, "NRestarts", at),
      // MainPID=0 means "no main process".
      main_pid: mainPid === 0 ? null : mainPid,
      exit_status: yield* numericProperty(s, "ExecMainStatus", at),
      memory_bytes: yield* numericProperty(s, "MemoryCurrent", at),
      since: textProperty(s, "ActiveEnterTimestamp"),
      fragment_path: textProperty(s, "FragmentPath"),
    }
  })

export const countUnits = (units: ReadonlyArray<ServiceUnit>): ServiceCounts => {
  const n = (p: (u: ServiceUnit) => boolean): number => units.filter(p).length
  return {
    total: units.length,
    active: n((u) => u.active_state === "active"),
    running: n((u) => u.sub_state === "running"),
    exited: n((u) => u.sub_state === "exited"),
    inactive: n((u) => u.active_state === "inactive"),
    failed: n((u) => u.active_state === "failed"),
    not_found: n((u) => u.load_state === "not-found"),
    enabled: n((u) => u.enabled_state === "enabled"),
    disabled: n((u) => u.enabled_state === "disabled"),
    masked: n((u) => u.load_state === "masked" || u.enabled_state === "masked"),
    restarted: n((u) => (u.restarts ?? 0) > 0),
  }
}

const decode = Schema.decodeUnknownResult(SystemdServices)

/** Parse the output of systemdServicesScript(). */
export const parseSystemdServices = (
  result: CommandResult,
  _params: Params = {},
): Result.Result<SystemdServices, ParseError> =>
  Result.gen(function* () {
    const sections = splitSections(result.stdout)
    yield* requireSection(sections, "units", "systemd_services")
    const unitsSection = sections.get("units")
    const unitsBody = body(unitsSection)
    // An empty list with exit 0 is a host with no loaded services; empty with an error is a broken systemctl.
    if (unitsBody === null && unitsSection?.exitCode !== 0) {
      return yield* sdFail(`systemctl list-units failed (exit ${unitsSection?.exitCode}) and printed nothing`, "units")
    }
    const listed = unitsBody === null ? [] : yield* parseListUnits(unitsBody, "units")
    const filesBody = body(sections.get("unit_files"))
    const unitFiles = filesBody === null ? [] : yield* parseListUnitFiles(filesBody, "unit_files")
    const showBody = body(sections.get("show"))
    const blocks = showBody === null ? [] : yield* parseSystemctlShow(showBody, "show")
    const failedBody = body(sections.get("failed"))
    const failed = failedBody === null ? [] : yield* parseListUnits(failedBody, "failed")

    // The table is about services: other unit types (if a systemctl ignored --type) are dropped.
    const byName = new Map(listed.filter((u) => u.name.endsWith(".service")).map((u) => [u.name, u]))
    const showByName = new Map<string, ShowBlock>()
    for (const b of blocks) if (b["Id"]) showByName.set(b["Id"], b)
    const filesByName = new Map(unitFiles.map((f) => [f.name, f]))
    // Units systemctl show knows but list-units did not print (races between the two calls) are kept too.
    const names = [...new Set([...byName.keys(), ...[...showByName.keys()].filter((n) => n.endsWith(".service"))])]
    const units: Array<ServiceUnit> = []
    for (const name of names) units.push(yield* toUnit(byName.get(name), showByName.get(name), filesByName, name))

    const value = {
      source: unitsBody !== null && isJsonArray(unitsBody) ? "json" : "text",
      units,
      failed,
      unit_files: unitFiles,
      show_available: showByName.size > 0,
      counts: countUnits(units),
    }
    const checked = decode(value)
    if (Result.isFailure(checked)) return yield* sdFail(`parsed value failed validation: ${checked.failure.message}`)
    return checked.success
  })

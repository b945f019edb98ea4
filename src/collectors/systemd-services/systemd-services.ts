import { transportRetry } from "../../domain/schedules.ts"
import { parseSystemdServices, SHOW_PROPERTIES } from "./parse-systemd-services.ts"
import { section } from "../shared/sections.ts"
import { shq } from "../../domain/quote.ts"
import { type DataTypeSpec, noParams } from "../../pipeline/DataType.ts"
import { SystemdServices } from "./parse/schema.ts"

const LIST = "systemctl list-units --type=service --all --no-legend --no-pager --plain"

/**
 * One round trip: list-units (JSON on systemd ≥ 246, text otherwise — older systemctl rejects
 * or ignores --output=json, the parser tells them apart by content), unit-file states,
 * per-unit properties of every loaded service (`show` with a pattern matches loaded units,
 * the same set list-units --all prints), and failed units of every type.
 * Each systemctl call costs the host ~0.1 s of CPU: the other three calls are made only when list-units
 * answered, so a host without systemd pays for two calls, not five. systemctl's own words about why
 * reach the pipeline on stderr. The transports run each script in a subshell (src/ssh/framing.ts):
 * rc and u do not outlive it.
 */
export const systemdServicesScript = (): string =>
  [
    // rc: give the section list-units' own exit code back after keeping it in u.
    'rc() { return "$1"; }',
    section("units", `${LIST} --output=json || ${LIST}; u=$?; rc "$u"`),
    'if [ "$u" = 0 ]; then',
    section("unit_files", "systemctl list-unit-files --type=service --no-legend --no-pager"),
    section("show", `systemctl show --all --no-pager -p ${shq(SHOW_PROPERTIES.join(","))} ${shq("*.service")}`),
    section("failed", "systemctl --failed --no-legend --no-pager --plain"),
    "fi",
  ].join("\n")

export const systemdServices: DataTypeSpec<SystemdServices> = {
  name: "systemd_services",
  pollable: true,
  params: noParams,
  description:
    "systemd services: load/active/sub state, enabled state, restart count, main PID, exit status, memory, active-since; failed units and counts.",
  output: SystemdServices,
  table: "systemd_services",
  ttlSeconds: 600,
  timeout: "30 seconds",
  retry: transportRetry,
  maxOutputBytes: 8 * 1024 * 1024,
  requires: ["systemctl"],
  script: systemdServicesScript,
  parse: parseSystemdServices,
  toRows: (data) =>
    data.units.map((u) => ({
      unit: u.name,
      load_state: u.load_state,
      active_state: u.active_state,
      sub_state: u.sub_state,
      enabled_state: u.enabled_state,
      restarts: u.restarts,
      main_pid: u.main_pid,
      data: u,
    })),
}

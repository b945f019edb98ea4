import { Schema } from "effect"

const NullStr = Schema.NullOr(Schema.String)
const NullNum = Schema.NullOr(Schema.Finite)

/** One row of `systemctl list-units` (text or JSON). */
export const ListedUnit = Schema.Struct({
  name: Schema.String,
  load_state: Schema.String,
  active_state: Schema.String,
  sub_state: Schema.String,
  description: Schema.String,
})
export type ListedUnit = typeof ListedUnit.Type

/** One row of `systemctl list-unit-files`. */
export const UnitFileEntry = Schema.Struct({ name: Schema.String, state: Schema.String, preset: NullStr })
export type UnitFileEntry = typeof UnitFileEntry.Type

export const ServiceUnit = Schema.Struct({
  ...ListedUnit.fields,
  /** UnitFileState: enabled, disabled, static, masked, generated… (null for transient units). */
  enabled_state: NullStr,
  /** NRestarts (systemd ≥ 235). */
  restarts: NullNum,
  main_pid: NullNum,
  exit_status: NullNum,
  memory_bytes: NullNum,
  /** ActiveEnterTimestamp as systemctl prints it (local time with zone abbreviation). */
  since: NullStr,
  fragment_path: NullStr,
})
export type ServiceUnit = typeof ServiceUnit.Type

export const ServiceCounts = Schema.Struct({
  total: Schema.Finite,
  active: Schema.Finite,
  running: Schema.Finite,
  exited: Schema.Finite,
  inactive: Schema.Finite,
  failed: Schema.Finite,
  not_found: Schema.Finite,
  enabled: Schema.Finite,
  disabled: Schema.Finite,
  masked: Schema.Finite,
  restarted: Schema.Finite,
})
export type ServiceCounts = typeof ServiceCounts.Type

export const SystemdServices = Schema.Struct({
  /** How list-units answered: JSON (systemd ≥ 246) or the text table. */
  source: Schema.Literals(["json", "text"]),
  units: Schema.Array(ServiceUnit),
  /** `systemctl --failed`: failed units of every type (mounts, sockets… too). */
  failed: Schema.Array(ListedUnit),
  unit_files: Schema.Array(UnitFileEntry),
  /** False when `systemctl show` gave nothing: restarts/pid/memory are then null. */
  show_available: Schema.Boolean,
  counts: ServiceCounts,
})
export type SystemdServices = typeof SystemdServices.Type

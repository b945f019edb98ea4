import { capabilities } from "./capabilities.ts"
import { configFiles } from "./config-files.ts"
import { configRestore } from "./config-restore.ts"
import { configScan } from "./config-scan.ts"
import { containerActions, containerInspect, containerLogs } from "./container-ops.ts"
import { containers } from "./containers.ts"
import type { ActionSpec, AnyDataTypeSpec } from "./DataType.ts"
import { dockerNetworks } from "./docker-networks.ts"
import { driveHealth } from "./drive-health.ts"
import { networkInterfaces } from "./network-interfaces.ts"
import { systemLogs } from "./system-logs.ts"
import { systemMetrics } from "./system-metrics.ts"
import { systemdServices } from "./systemd-services.ts"
import { vmStatus } from "./vm-status.ts"
import { zfs } from "./zfs.ts"

/** Every data type the pipeline knows. Adding one = a spec file + a line here + a migration. */
export const allDataTypes: ReadonlyArray<AnyDataTypeSpec> = [
  systemMetrics,
  containers,
  dockerNetworks,
  driveHealth,
  networkInterfaces,
  zfs,
  systemdServices,
  vmStatus,
  systemLogs,
  capabilities,
  containerInspect,
  containerLogs,
  configScan,
  configFiles,
]

/** Types the scheduler polls and a full snapshot reads (the rest need params or are probes). */
export const pollableDataTypes: ReadonlyArray<string> = [
  "system_metrics",
  "containers",
  "docker_networks",
  "drive_health",
  "network_interfaces",
  "zfs",
  "systemd_services",
  "vm_status",
  "system_logs",
]

/** Changes the API may make on a host (audited, never retried). */
export const allActions: ReadonlyArray<ActionSpec<any>> = [...Object.values(containerActions), configRestore]

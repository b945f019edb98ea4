import { capabilities } from "./capabilities/capabilities.ts"
import { configFiles } from "./config-files/config-files.ts"
import { configRestore } from "./config-files/config-restore.ts"
import { configScan } from "./config-files/config-scan.ts"
import { containerActions, containerInspect, containerLogs } from "./docker/container-ops.ts"
import { containers } from "./docker/containers.ts"
import type { ActionSpec, AnyDataTypeSpec } from "../pipeline/DataType.ts"
import { dockerNetworks } from "./docker/docker-networks.ts"
import { driveHealth } from "./drive-health/drive-health.ts"
import { networkInterfaces } from "./network-interfaces/network-interfaces.ts"
import { systemLogs } from "./system-logs/system-logs.ts"
import { systemMetrics } from "./system-metrics/system-metrics.ts"
import { systemdServices } from "./systemd-services/systemd-services.ts"
import { vmStatus } from "./vm-status/vm-status.ts"
import { zfs } from "./zfs/zfs.ts"

/** Every data type the pipeline knows. Adding one = a folder in src/collectors, a line here and a migration. */
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

/** Types the scheduler polls and a full snapshot reads, in registry order (from `pollable` on each spec). */
export const pollableDataTypes: ReadonlyArray<string> = allDataTypes.filter((s) => s.pollable === true).map((s) =>
  s.name
)

/** Changes the API may make on a host (audited, never retried). */
export const allActions: ReadonlyArray<ActionSpec<any>> = [...Object.values(containerActions), configRestore]

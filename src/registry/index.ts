import { containers } from "./containers.ts"
import type { DataTypeSpec } from "./DataType.ts"
import { dockerNetworks } from "./docker-networks.ts"
import { driveHealth } from "./drive-health.ts"
import { networkInterfaces } from "./network-interfaces.ts"
import { systemMetrics } from "./system-metrics.ts"
import { systemdServices } from "./systemd-services.ts"
import { zfs } from "./zfs.ts"

/** Every data type the pipeline knows. Adding one = a spec file + a line here + a migration. */
export const allDataTypes: ReadonlyArray<DataTypeSpec<any>> = [
  systemMetrics,
  containers,
  dockerNetworks,
  driveHealth,
  networkInterfaces,
  zfs,
  systemdServices,
]

import { adminOperations } from "./admin.ts"
import { alertOperations } from "./alerts.ts"
import { configOperations } from "./configs.ts"
import { dataOperations } from "./data.ts"
import { deviceOperations } from "./devices.ts"
import type { OperationSpec } from "./operation.ts"

/** Every application operation with its declared scope and effects: the source of SECURITY.md's table. */
export const allOperations: ReadonlyArray<OperationSpec> = [
  ...Object.values(deviceOperations),
  ...Object.values(dataOperations),
  ...Object.values(configOperations),
  ...Object.values(adminOperations),
  ...Object.values(alertOperations),
]

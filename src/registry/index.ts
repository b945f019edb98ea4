import type { DataTypeSpec } from "./DataType.ts"
import { systemMetrics } from "./system-metrics.ts"

/** Every data type the pipeline knows. Adding one = a spec file + a line here + a migration. */
export const allDataTypes: ReadonlyArray<DataTypeSpec<any>> = [systemMetrics]

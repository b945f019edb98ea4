import { Layer } from "effect"
import { Admin } from "./admin.ts"
import { Alerts } from "./alerts.ts"
import { Configs } from "./configs.ts"
import { Data } from "./data.ts"
import { Devices } from "./devices.ts"

/** The application layer: every front end (HTTP, MCP, CLI, library) calls these and nothing below. */
export const applicationLayer = Layer.mergeAll(Data.layer, Devices.layer, Configs.layer, Admin.layer, Alerts.layer)

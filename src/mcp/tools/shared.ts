import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { z } from "zod"
import { errorResult } from "../context.ts"

export const deviceArg = z.string().min(1).describe("Device name (as in list_devices) or numeric id")
export const forceRefreshArg = z
  .boolean()
  .optional()
  .describe("Skip the cache and read the host now (default false: a fresh-enough cached read is returned)")

export const readOnly = { readOnlyHint: true, openWorldHint: true } as const
export const inventoryWrite = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const
export const hostWrite = { readOnlyHint: false, destructiveHint: true, openWorldHint: true } as const

/** The refusal every host-changing tool gives when the server was started without writes. */
export const writesDisabled = (tool: string): CallToolResult =>
  errorResult({
    code: "writes_disabled",
    message: `${tool} changes infrastructure and is disabled on this server. Enable it by starting ` +
      "`infrastructor mcp --allow-writes` (or `infrastructor serve --allow-writes`), by setting " +
      "`mcp: { allow_writes: true }` in infrastructor.yaml, or INFRA_MCP_ALLOW_WRITES=1.",
  })

import { z } from "zod"

export const deviceArg = z.string().min(1).describe("Device name (as in list_devices) or numeric id")
export const forceRefreshArg = z
  .boolean()
  .optional()
  .describe("Skip the cache and read the host now (default false: a fresh-enough cached read is returned)")

export const readOnly = { readOnlyHint: true, openWorldHint: true } as const
export const inventoryWrite = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const
export const hostWrite = { readOnlyHint: false, destructiveHint: true, openWorldHint: true } as const

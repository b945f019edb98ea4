import type { Device } from "../domain/device.ts"
import { type Capabilities, supportsDataType } from "../domain/capabilities.ts"

export type Support = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * Whether the device's last capability probe shows the tools a data type needs.
 * Before the first probe we try: each script reports a missing tool in its own section.
 */
export const checkSupport = (device: Device, requires: ReadonlyArray<string> | undefined): Support => {
  const caps = device.capabilities
  if (caps === null || caps === undefined || caps.tools === undefined || requires === undefined) return { ok: true }
  return supportsDataType(caps as unknown as Capabilities, requires)
}

import type { Device } from "../domain/device.ts"
import { type Capabilities, isProbed, supportsDataType } from "../domain/capabilities.ts"

export type Support = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * Whether the device's last capability probe shows the tools a data type needs. A device never
 * probed is probed by the Collector on first contact; if that probe could not run we try anyway:
 * a script that finds its tool missing exits 127, which the pipeline reports as unsupported too.
 */
export const checkSupport = (device: Device, requires: ReadonlyArray<string> | undefined): Support => {
  const caps = device.capabilities
  if (!isProbed(caps) || requires === undefined) return { ok: true }
  return supportsDataType(caps as unknown as Capabilities, requires)
}

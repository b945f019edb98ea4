import type { Device } from "../domain/device.ts"
import type { DataTypeSpec } from "../registry/DataType.ts"

export type Support = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/** Tools that stand in for each other (docker-compatible podman, zfs utilities). */
const alternatives: Readonly<Record<string, ReadonlyArray<string>>> = {
  docker: ["docker", "podman"],
  zpool: ["zpool"],
  virsh: ["virsh", "qm", "pct"],
}

/**
 * Whether the device's last capability probe shows the tools a data type needs.
 * Without a probe yet, we try: the command's own sections report missing tools.
 */
export const checkSupport = (device: Device, spec: DataTypeSpec): Support => {
  const tools = device.capabilities?.tools
  if (tools === undefined || spec.requires === undefined) return { ok: true }
  const missing = spec.requires.filter((t) => !(alternatives[t] ?? [t]).some((alt) => tools[alt] === true))
  if (missing.length === 0) return { ok: true }
  return { ok: false, reason: `missing tool${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}` }
}

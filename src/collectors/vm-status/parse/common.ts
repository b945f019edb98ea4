import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export const VM_STATUS = "vm_status"

export const vmFail = <A = never>(message: string, at?: string): Result.Result<A, ParseError> =>
  Result.fail(new ParseError({ dataType: VM_STATUS, message, at }))

/** Lines without CR, trailing blank lines dropped. */
export const textLines = (text: string): Array<string> => {
  const lines = text.replace(/\r/g, "").split("\n")
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() === "") lines.pop()
  return lines
}

/** Non-negative integer, or null (never NaN). */
export const toCount = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null)

/** Non-negative decimal, or null. */
export const toDecimal = (s: string | undefined): number | null =>
  s !== undefined && /^\d+(?:\.\d+)?$/.test(s) ? Number(s) : null

export type NormalState = "running" | "stopped" | "paused" | "other"

/**
 * One vocabulary across hypervisors. libvirt states come from virshDomainStateToString
 * ("in shutdown" is still running; "pmsuspended" is a guest-initiated suspend);
 * Proxmox reports running/stopped, and LXC may report "frozen".
 */
export const normaliseState = (raw: string): NormalState => {
  switch (raw.trim().toLowerCase()) {
    case "running":
    case "idle":
    case "blocked":
    case "in shutdown":
      return "running"
    case "shut off":
    case "stopped":
      return "stopped"
    case "paused":
    case "pmsuspended":
    case "frozen":
    case "suspended":
      return "paused"
    default:
      return "other"
  }
}

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  bytes: 1,
  kib: 1024,
  kb: 1024,
  mib: 1024 ** 2,
  mb: 1024 ** 2,
  gib: 1024 ** 3,
  gb: 1024 ** 3,
  tib: 1024 ** 4,
  tb: 1024 ** 4,
}

/** virsh prints memory as "261072 KiB"; libvirt's KiB/MiB are binary, and so are its KB/MB. */
export const memoryToBytes = (text: string): number | null => {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(text.trim())
  if (m === null) return null
  const factor = UNIT_BYTES[(m[2] ?? "").toLowerCase() || "kib"]
  return factor === undefined ? null : Math.round(Number(m[1]) * factor)
}

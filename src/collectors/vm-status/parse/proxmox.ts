import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { textLines, vmFail } from "./common.ts"

const MIB = 1024 * 1024
const GIB = 1024 * MIB

/** Drop leading blank lines; the header is the first line with text. */
const withoutLeadingBlanks = (text: string): Array<string> => {
  const lines = textLines(text)
  while (lines.length > 0 && (lines[0] ?? "").trim() === "") lines.shift()
  return lines
}

export interface QmListRow {
  readonly vmid: number
  readonly name: string
  readonly status: string
  readonly memory_bytes: number
  readonly bootdisk_bytes: number
  /** 0 when stopped. */
  readonly pid: number
}

/**
 * `qm list`: printf("%10s %-20s %-10s %-10s %12.2f %-10s"). Names may contain spaces
 * ("VM 104"), so the row is matched from both ends around the name. No VMs → no output.
 */
export const parseQmList = (text: string): Result.Result<Array<QmListRow>, ParseError> => {
  const lines = withoutLeadingBlanks(text)
  if (lines.length === 0) return Result.succeed([])
  if (!/^\s*VMID\s+NAME\s+STATUS\s+MEM\(MB\)\s+BOOTDISK\(GB\)\s+PID\s*$/.test(lines[0] as string)) {
    return vmFail("qm list: first line is not the 'VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID' header", "line 1")
  }
  const rows: Array<QmListRow> = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === "") continue
    const m = /^\s*(\d+)\s+(.*?)\s+(\S+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s+(\d+)\s*$/.exec(line)
    if (m === null) return vmFail(`qm list: malformed row ${JSON.stringify(line.slice(0, 120))}`, `line ${i + 1}`)
    rows.push({
      vmid: Number(m[1]),
      name: m[2] as string,
      status: m[3] as string,
      memory_bytes: Number(m[4]) * MIB,
      bootdisk_bytes: Math.round(Number(m[5]) * GIB),
      pid: Number(m[6]),
    })
  }
  return Result.succeed(rows)
}

export interface PctListRow {
  readonly vmid: number
  readonly status: string
  readonly lock: string | null
  readonly name: string
}

/**
 * `pct list`: printf("%-10s %-10s %-12s %-20s") under "VMID Status Lock Name". The Lock
 * column is usually blank, so whitespace splitting is ambiguous: cut at the header's offsets.
 */
export const parsePctList = (text: string): Result.Result<Array<PctListRow>, ParseError> => {
  const lines = withoutLeadingBlanks(text)
  if (lines.length === 0) return Result.succeed([])
  const header = lines[0] as string
  const h = /^(\s*VMID\s+)(Status\s+)(Lock\s+)Name\s*$/.exec(header)
  if (h === null) return vmFail("pct list: first line is not the 'VMID Status Lock Name' header", "line 1")
  const lockAt = (h[1] as string).length + (h[2] as string).length
  const nameAt = lockAt + (h[3] as string).length
  const rows: Array<PctListRow> = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === "") continue
    const m = /^\s*(\d+)\s+(\S+)/.exec(line.slice(0, lockAt))
    const name = line.slice(nameAt).trim()
    if (m === null || name === "") {
      return vmFail(`pct list: malformed row ${JSON.stringify(line.slice(0, 120))}`, `line ${i + 1}`)
    }
    const lock = line.slice(lockAt, nameAt).trim()
    rows.push({ vmid: Number(m[1]), status: m[2] as string, lock: lock === "" ? null : lock, name })
  }
  return Result.succeed(rows)
}

export interface PvesmStorage {
  readonly name: string
  readonly type: string
  readonly status: string
  readonly total_bytes: number
  readonly used_bytes: number
  readonly available_bytes: number
  readonly used_percent: number
}

/** `pvesm status`: sizes are in KiB. */
export const parsePvesmStatus = (text: string): Result.Result<Array<PvesmStorage>, ParseError> => {
  const lines = withoutLeadingBlanks(text)
  if (lines.length === 0 || !/^\s*Name\s+Type\s+Status\s+Total\s+Used\s+Available\s+%\s*$/.test(lines[0] as string)) {
    return vmFail("pvesm status: missing 'Name Type Status Total Used Available %' header", "line 1")
  }
  const out: Array<PvesmStorage> = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === "") continue
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+(?:\.\d+)?)%\s*$/.exec(line)
    if (m === null) return vmFail(`pvesm status: malformed row ${JSON.stringify(line.slice(0, 120))}`, `line ${i + 1}`)
    out.push({
      name: m[1] as string,
      type: m[2] as string,
      status: m[3] as string,
      total_bytes: Number(m[4]) * 1024,
      used_bytes: Number(m[5]) * 1024,
      available_bytes: Number(m[6]) * 1024,
      used_percent: Number(m[7]),
    })
  }
  return Result.succeed(out)
}

import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { memoryToBytes, textLines, toCount, toDecimal, vmFail } from "./common.ts"

/** One row of `virsh list --all`. */
export interface VirshListRow {
  /** Runtime domain id; null ("-") when the domain is not running. */
  readonly id: string | null
  readonly name: string
  readonly state_raw: string
}

// virshDomainStateToString's English strings, longest first so "shut off" wins over "off".
const LIBVIRT_STATES = [
  "in shutdown",
  "pmsuspended",
  "shut off",
  "no state",
  "running",
  "crashed",
  "blocked",
  "paused",
  "idle",
]

/** Split "name   state" when the name may contain spaces; unknown (localised) states fall back to the last word. */
const splitNameState = (rest: string): { name: string; state: string } | undefined => {
  for (const state of LIBVIRT_STATES) {
    const m = new RegExp(`^(.*\\S)\\s+${state}$`).exec(rest)
    if (m !== null) return { name: m[1] as string, state }
  }
  const m = /^(.*\S)\s+(\S+)$/.exec(rest)
  return m === null ? undefined : { name: m[1] as string, state: m[2] as string }
}

/**
 * `virsh list [--all]`: a header, a dashed rule, one row per domain, then a blank line.
 * Column widths differ between libvirt versions (and hand-edited output is misaligned),
 * so rows are split on whitespace, not on header offsets. Anything after the table's
 * closing blank line belongs to another command and is ignored.
 */
export const parseVirshList = (text: string): Result.Result<Array<VirshListRow>, ParseError> => {
  const lines = textLines(text)
  let start = 0
  while (start < lines.length && (lines[start] ?? "").trim() === "") start++
  if (start >= lines.length) return vmFail("virsh list printed nothing (expected an 'Id Name State' header)", "line 1")
  const rule = lines[start + 1]
  if (rule === undefined || !/^\s*-{3,}\s*$/.test(rule)) {
    return vmFail("virsh list: header is not followed by a dashed rule", `line ${start + 2}`)
  }
  const rows: Array<VirshListRow> = []
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === "") break
    const m = /^\s*(\d+|-)\s+(.*\S)\s*$/.exec(line)
    const split = m === null ? undefined : splitNameState(m[2] as string)
    if (m === null || split === undefined) {
      return vmFail(`virsh list: row is not 'Id Name State': ${JSON.stringify(line.slice(0, 120))}`, `line ${i + 1}`)
    }
    rows.push({ id: m[1] === "-" ? null : (m[1] as string), name: split.name, state_raw: split.state })
  }
  return Result.succeed(rows)
}

/** `Key: value` lines (split at the first colon; values may hold colons). */
export const parseColonPairs = (text: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const line of textLines(text)) {
    const idx = line.indexOf(":")
    if (idx <= 0) continue
    out.set(line.slice(0, idx).trim().toLowerCase(), line.slice(idx + 1).trim())
  }
  return out
}

export interface VirshDominfo {
  readonly id: string | null
  readonly name: string
  readonly uuid: string | null
  readonly os_type: string | null
  readonly state_raw: string | null
  readonly vcpus: number | null
  readonly max_memory_bytes: number | null
  readonly memory_bytes: number | null
  readonly cpu_time_seconds: number | null
  readonly persistent: boolean | null
  readonly autostart: boolean | null
}

const yesNo = (v: string | undefined, yes: string, no: string): boolean | null =>
  v === yes ? true : v === no ? false : null

/** `virsh dominfo <domain>`. */
export const parseVirshDominfo = (text: string): Result.Result<VirshDominfo, ParseError> => {
  const kv = parseColonPairs(text)
  const name = kv.get("name")
  if (name === undefined || name === "") return vmFail("virsh dominfo: no 'Name:' line", "Name")
  const id = kv.get("id")
  const cpuTime = kv.get("cpu time")
  return Result.succeed({
    id: id === undefined || id === "-" ? null : id,
    name,
    uuid: kv.get("uuid") || null,
    os_type: kv.get("os type") || null,
    state_raw: kv.get("state") || null,
    vcpus: toCount(kv.get("cpu(s)")),
    max_memory_bytes: kv.has("max memory") ? memoryToBytes(kv.get("max memory") as string) : null,
    memory_bytes: kv.has("used memory") ? memoryToBytes(kv.get("used memory") as string) : null,
    cpu_time_seconds: cpuTime === undefined ? null : toDecimal(cpuTime.replace(/s$/, "")),
    persistent: yesNo(kv.get("persistent"), "yes", "no"),
    autostart: yesNo(kv.get("autostart"), "enable", "disable"),
  })
}

/** Line the vm_status script prints after each `virsh dominfo` with that call's exit code. */
export const DOMINFO_RC = "@@DOMINFO-RC@@"

/**
 * The dominfo loop's output: blocks each closed by `@@DOMINFO-RC@@ <rc>`. A failed block
 * (domain undefined between list and dominfo) is skipped; a successful one must parse.
 */
export const parseDominfoBlocks = (text: string): Result.Result<Array<VirshDominfo>, ParseError> => {
  const out: Array<VirshDominfo> = []
  let block: Array<string> = []
  let n = 0
  for (const line of text.replace(/\r/g, "").split("\n")) {
    const m = new RegExp(`^${DOMINFO_RC} (-?\\d+)$`).exec(line)
    if (m === null) {
      block.push(line)
      continue
    }
    n++
    if (m[1] === "0") {
      const parsed = parseVirshDominfo(block.join("\n"))
      if (Result.isFailure(parsed)) return vmFail(parsed.failure.message, `dominfo block ${n}`)
      out.push(parsed.success)
    }
    block = []
  }
  if (block.join("").trim() !== "") {
    return vmFail("dominfo output after the last exit-code line", `dominfo block ${n + 1}`)
  }
  return Result.succeed(out)
}

export interface VirshNodeinfo {
  readonly cpu_model: string | null
  readonly cpus: number
  readonly cpu_mhz: number | null
  readonly sockets: number | null
  readonly cores_per_socket: number | null
  readonly threads_per_core: number | null
  readonly numa_cells: number | null
  readonly memory_bytes: number
}

/** `virsh nodeinfo`: the host's CPU and memory as libvirt sees them. */
export const parseVirshNodeinfo = (text: string): Result.Result<VirshNodeinfo, ParseError> => {
  const kv = parseColonPairs(text)
  const cpus = toCount(kv.get("cpu(s)"))
  const mem = kv.get("memory size")
  const memoryBytes = mem === undefined ? null : memoryToBytes(mem)
  if (cpus === null) return vmFail("virsh nodeinfo: no numeric 'CPU(s):' line", "CPU(s)")
  if (memoryBytes === null) return vmFail("virsh nodeinfo: no 'Memory size:' line with a size", "Memory size")
  const mhz = kv.get("cpu frequency")
  return Result.succeed({
    cpu_model: kv.get("cpu model") || null,
    cpus,
    cpu_mhz: mhz === undefined ? null : toDecimal(mhz.replace(/\s*MHz$/i, "")),
    sockets: toCount(kv.get("cpu socket(s)")),
    cores_per_socket: toCount(kv.get("core(s) per socket")),
    threads_per_core: toCount(kv.get("thread(s) per core")),
    numa_cells: toCount(kv.get("numa cell(s)")),
    memory_bytes: memoryBytes,
  })
}

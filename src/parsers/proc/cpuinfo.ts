import { Result } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount, toDecimal } from "./common.ts"

export interface Cpuinfo {
  /** Best guess from the keys present: x86, s390x, riscv, loongarch, mips, arm, or unknown. */
  readonly arch: string
  readonly vendor: string | null
  readonly model: string | null
  /** Logical CPUs (hardware threads) listed. */
  readonly threads: number
  /** Physical cores, when the file says which thread sits on which core; else null. */
  readonly cores: number | null
  /** CPU packages (sockets), when stated; else null. */
  readonly sockets: number | null
  /** Current (or, on s390x, dynamic) clock of the first CPU listed, when printed. */
  readonly mhz: number | null
}

type Block = Map<string, string>

/** Blank-line separated blocks of `key : value`, keys lower-cased (LoongArch capitalises them). */
const blocks = (text: string): Array<Block> => {
  const out: Array<Block> = []
  let current: Block = new Map()
  for (const line of textLines(text)) {
    if (line.trim() === "") {
      if (current.size > 0) out.push(current)
      current = new Map()
      continue
    }
    const colon = line.indexOf(":")
    if (colon < 0) continue
    const key = line.slice(0, colon).trim().toLowerCase()
    if (!current.has(key)) current.set(key, line.slice(colon + 1).trim())
  }
  if (current.size > 0) out.push(current)
  return out
}

const first = (bs: ReadonlyArray<Block>, ...keys: Array<string>): string | undefined => {
  for (const k of keys) {
    for (const b of bs) {
      const v = b.get(k)
      if (v !== undefined && v !== "") return v
    }
  }
  return undefined
}

const distinct = (bs: ReadonlyArray<Block>, keys: (b: Block) => string | undefined): number | null => {
  const seen = new Set<string>()
  for (const b of bs) {
    const k = keys(b)
    if (k === undefined) return null
    seen.add(k)
  }
  return seen.size > 0 ? seen.size : null
}

const archOf = (all: ReadonlyArray<Block>): string => {
  const has = (k: string) => all.some((b) => b.has(k))
  if (has("vendor_id") && first(all, "vendor_id") === "IBM/S390") return "s390x"
  if (has("hart") || (first(all, "isa") ?? "").startsWith("rv")) return "riscv"
  if ((first(all, "isa") ?? "").includes("loongarch") || (first(all, "cpu family") ?? "").startsWith("Loongson")) {
    return "loongarch"
  }
  if (has("cpu model") && (first(all, "isa") ?? "").includes("mips")) return "mips"
  if (has("cpu implementer") || has("cpu architecture")) return "arm"
  if (has("vendor_id") || has("model name")) return "x86"
  return "unknown"
}

/**
 * /proc/cpuinfo for the capability probe. Shapes differ per architecture: x86 (`model name`,
 * `physical id`/`core id`), LoongArch (`Model Name`, `package`/`core`), MIPS (`cpu model`, `core`),
 * RISC-V (`hart`, `isa`, maybe `uarch`), s390x (`# processors`, `processor N: ... machine = ...`,
 * `cpu MHz dynamic`), ARM (`CPU part`, `Hardware`).
 */
export const parseCpuinfo = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<Cpuinfo, ParseError> => {
  const all = blocks(text)
  const arch = archOf(all)
  const procs = all.filter((b) => toCount(b.get("processor")) !== undefined)

  let threads = procs.length
  let model = first(all, "model name", "cpu model", "uarch", "hardware", "cpu part")
  if (arch === "s390x") {
    const listed = toCount(first(all, "# processors"))
    const lines = textLines(text).filter((l) => /^processor \d+:/.test(l)).length
    threads = listed ?? lines
    const machine = /machine = (\S+)/.exec(text)?.[1]
    model = machine !== undefined ? `IBM/S390 machine ${machine}` : model
  } else if (arch === "riscv" && model === undefined) {
    model = first(all, "isa")
  }
  if (threads === 0) return parseFail(dataType, "no 'processor' entries in /proc/cpuinfo", "cpuinfo")

  const byCore = (b: Block): string | undefined => {
    const pkg = b.get("physical id") ?? b.get("package") ?? "0"
    const core = b.get("core id") ?? b.get("core")
    return core === undefined ? undefined : `${pkg}/${core}`
  }
  const mhz = toDecimal(first(all, "cpu mhz", "cpu mhz dynamic", "cpu mhz static"))
  return Result.succeed({
    arch,
    vendor: first(all, "vendor_id", "vendor", "cpu implementer") ?? (arch === "loongarch" ? "Loongson" : null),
    model: model ?? null,
    threads,
    cores: procs.length > 0 ? distinct(procs, byCore) : null,
    sockets: procs.length > 0 ? distinct(procs, (b) => b.get("physical id") ?? b.get("package")) : null,
    mhz: mhz ?? null,
  })
}

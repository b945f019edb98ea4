import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { armCpuName, armVendor, isKnownArmPart } from "./arm-cpus.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount, toDecimal } from "./common.ts"

export interface Cpuinfo {
  /**
   * Best guess from the keys present: x86, s390x, powerpc, riscv, loongarch, mips, arm64, arm
   * (32-bit kernel), or unknown.
   */
  readonly arch: string
  readonly vendor: string | null
  readonly model: string | null
  /** Logical CPUs (hardware threads) listed. */
  readonly threads: number
  /** Physical cores, when the file says which thread sits on which core; else null. */
  readonly cores: number | null
  /** CPU packages (sockets), when stated; else null. */
  readonly sockets: number | null
  /**
   * Clock of the first CPU listed, when printed (x86 current, s390x dynamic, POWER `clock`).
   * arm64 kernels print none.
   */
  readonly mhz: number | null
}

/** What /proc/cpuinfo says the CPU is, whatever the architecture (shared with the capability probe). */
export interface CpuIdentity {
  readonly arch: string
  readonly vendor: string | null
  readonly model: string | null
}

type Block = Map<string, string>

/**
 * Blank-line separated blocks of `key : value`, keys lower-cased (LoongArch capitalises them).
 * Old ARM kernels print `Processor : ARMv7 Processor rev 5 (v7l)` (the model) beside
 * `processor : 0` (the index): a non-numeric `processor` is kept apart as `processor model`.
 */
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
    let key = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (key === "processor" && toCount(value) === undefined) key = "processor model"
    if (!current.has(key)) current.set(key, value)
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

/** arm64 kernels list `asimd` (mandatory in AArch64); early ones said "AArch64" outright. */
const isAarch64 = (all: ReadonlyArray<Block>): boolean =>
  (first(all, "features") ?? "").split(/\s+/).includes("asimd") ||
  /aarch64/i.test(`${first(all, "processor model") ?? ""} ${first(all, "cpu architecture") ?? ""}`)

/** POWER and PowerPC: `cpu : POWER9 ...` with a `clock` or `timebase` line. */
const isPowerPc = (all: ReadonlyArray<Block>): boolean => {
  const cpu = first(all, "cpu")
  if (cpu === undefined) return false
  return /POWER|PowerPC|ppc/i.test(cpu) || (first(all, "timebase") !== undefined && first(all, "clock") !== undefined)
}

const archOf = (all: ReadonlyArray<Block>): string => {
  const has = (k: string) => all.some((b) => b.has(k))
  if (has("vendor_id") && first(all, "vendor_id") === "IBM/S390") return "s390x"
  if (has("hart") || (first(all, "isa") ?? "").startsWith("rv")) return "riscv"
  if ((first(all, "isa") ?? "").includes("loongarch") || (first(all, "cpu family") ?? "").startsWith("Loongson")) {
    return "loongarch"
  }
  if (has("cpu model") && (first(all, "isa") ?? "").includes("mips")) return "mips"
  if (has("cpu implementer") || has("cpu architecture")) return isAarch64(all) ? "arm64" : "arm"
  if (isPowerPc(all)) return "powerpc"
  if (has("vendor_id") || has("model name")) return "x86"
  return "unknown"
}

/**
 * ARM names its CPU only by implementer and part codes (per block: big.LITTLE systems list two
 * kinds). Known parts are named ("ARM Cortex-A53 + ARM Cortex-A57"); otherwise the kernel's own
 * model line wins over raw codes, and raw codes over `Hardware` (the board, not the CPU).
 */
const armModel = (all: ReadonlyArray<Block>): string | undefined => {
  const coded = all.filter((b) => b.has("cpu implementer") && b.has("cpu part"))
  const names = [...new Set(coded.map((b) => armCpuName(b.get("cpu implementer"), b.get("cpu part"))))]
  const allKnown = coded.length > 0 && coded.every((b) => isKnownArmPart(b.get("cpu implementer"), b.get("cpu part")))
  if (allKnown) return names.join(" + ")
  return first(all, "model name", "processor model") ?? names.find((n) => n !== undefined) ?? first(all, "hardware")
}

const identityOf = (all: ReadonlyArray<Block>, text: string): CpuIdentity => {
  const arch = archOf(all)
  let model: string | undefined
  let vendor = first(all, "vendor_id", "vendor")
  switch (arch) {
    case "s390x": {
      const machine = /machine = (\S+)/.exec(text)?.[1]
      model = machine !== undefined ? `IBM/S390 machine ${machine}` : "IBM/S390"
      break
    }
    case "arm64":
    case "arm":
      model = armModel(all)
      vendor = armVendor(first(all, "cpu implementer"))
      break
    case "powerpc":
      model = first(all, "cpu")
      if (/^POWER\d/i.test(model ?? "")) vendor = "IBM"
      break
    default:
      model = first(all, "model name", "cpu model", "uarch", "hardware")
      if (arch === "riscv") model ??= first(all, "isa")
      if (arch === "loongarch") vendor ??= "Loongson"
  }
  return { arch, vendor: vendor ?? null, model: model ?? null }
}

/** Which CPU the text describes; never fails (null fields when it cannot tell). */
export const cpuIdentity = (text: string): CpuIdentity => identityOf(blocks(text), text)

/** "3000.000000MHz" (POWER `clock`) or a plain number. */
const megahertz = (s: string | undefined): number | undefined => toDecimal(s?.replace(/\s*MHz$/i, ""))

/**
 * /proc/cpuinfo for system metrics. Shapes differ per architecture: x86 (`model name`,
 * `physical id`/`core id`), LoongArch (`Model Name`, `package`/`core`), MIPS (`cpu model`, `core`),
 * RISC-V (`hart`, `isa`, maybe `uarch`), s390x (`# processors`, `processor N: ... machine = ...`,
 * `cpu number` blocks, `cpu MHz dynamic`), POWER (`cpu`, `clock`, `machine`), ARM (`CPU implementer`,
 * `CPU part`, `Hardware`; 32-bit kernels may add `model name` or a `Processor` line).
 */
export const parseCpuinfo = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<Cpuinfo, ParseError> => {
  const all = blocks(text)
  const { arch, vendor, model } = identityOf(all, text)
  // s390x numbers its per-CPU blocks with `cpu number`; everyone else with `processor`.
  const procs = all.filter((b) => toCount(b.get(arch === "s390x" ? "cpu number" : "processor")) !== undefined)

  let threads = procs.length
  if (arch === "s390x") {
    const listed = toCount(first(all, "# processors"))
    const lines = textLines(text).filter((l) => /^processor \d+:/.test(l)).length
    threads = listed ?? (lines || procs.length)
  } else if (threads === 0 && first(all, "processor model") !== undefined) {
    // Uniprocessor ARM kernels print the model line and no index at all.
    threads = 1
  }
  if (threads === 0) return parseFail(dataType, "no 'processor' entries in /proc/cpuinfo", "cpuinfo")

  const byCore = (b: Block): string | undefined => {
    const pkg = b.get("physical id") ?? b.get("package") ?? "0"
    const core = b.get("core id") ?? b.get("core")
    return core === undefined ? undefined : `${pkg}/${core}`
  }
  const mhz = megahertz(first(all, "cpu mhz", "cpu mhz dynamic", "cpu mhz static", "clock"))
  return Result.succeed({
    arch,
    vendor,
    model,
    threads,
    cores: procs.length > 0 ? distinct(procs, byCore) : null,
    sockets: procs.length > 0 ? distinct(procs, (b) => b.get("physical id") ?? b.get("package")) : null,
    mhz: mhz ?? null,
  })
}

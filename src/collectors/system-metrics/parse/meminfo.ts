import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, percent, SYSTEM_METRICS, textLines, toCount } from "./common.ts"

export interface Meminfo {
  readonly total_bytes: number
  readonly free_bytes: number
  readonly available_bytes: number
  /** True when MemAvailable is missing (kernels before 3.14) and Free+Buffers+Cached stood in. */
  readonly available_estimated: boolean
  readonly buffers_bytes: number
  readonly cached_bytes: number
  /** total - available: memory the system cannot hand out without swapping. */
  readonly used_bytes: number
  readonly used_percent: number
  readonly swap_total_bytes: number
  readonly swap_free_bytes: number
  readonly swap_used_bytes: number
}

const LINE = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?\s*$/

/**
 * /proc/meminfo: `Key:   value kB`. Values in kB become bytes. Lines of another shape
 * (the 2.4-era `total: used: free:` table at the top) are skipped; MemTotal and MemFree are required.
 * Swap fields are optional (0 when absent, e.g. in a partial dump).
 */
export const parseMeminfo = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<Meminfo, ParseError> => {
  const kv = new Map<string, number>()
  for (const line of textLines(text)) {
    const m = LINE.exec(line.trim())
    if (m === null) continue
    const value = toCount(m[2])
    if (value === undefined) continue
    kv.set(m[1] as string, m[3] === "kB" ? value * 1024 : value)
  }
  const total = kv.get("MemTotal")
  const free = kv.get("MemFree")
  if (total === undefined) return parseFail(dataType, "MemTotal missing from /proc/meminfo", "meminfo")
  if (free === undefined) return parseFail(dataType, "MemFree missing from /proc/meminfo", "meminfo")
  if (total === 0) return parseFail(dataType, "MemTotal is 0", "meminfo")
  const buffers = kv.get("Buffers") ?? 0
  const cached = kv.get("Cached") ?? 0
  const reported = kv.get("MemAvailable")
  const available = Math.min(total, reported ?? free + buffers + cached)
  const swapTotal = kv.get("SwapTotal") ?? 0
  const swapFree = Math.min(swapTotal, kv.get("SwapFree") ?? swapTotal)
  const used = total - available
  return Result.succeed({
    total_bytes: total,
    free_bytes: free,
    available_bytes: available,
    available_estimated: reported === undefined,
    buffers_bytes: buffers,
    cached_bytes: cached,
    used_bytes: used,
    used_percent: percent(used, total),
    swap_total_bytes: swapTotal,
    swap_free_bytes: swapFree,
    swap_used_bytes: swapTotal - swapFree,
  })
}

import { Result } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import { parseFail, percent, SYSTEM_METRICS, textLines, toCount } from "./common.ts"

export interface Meminfo {
  readonly totalBytes: number
  readonly freeBytes: number
  readonly availableBytes: number
  /** True when MemAvailable is missing (kernels before 3.14) and Free+Buffers+Cached stood in. */
  readonly availableEstimated: boolean
  readonly buffersBytes: number
  readonly cachedBytes: number
  /** total - available: memory the system cannot hand out without swapping. */
  readonly usedBytes: number
  readonly usedPercent: number
  readonly swapTotalBytes: number
  readonly swapFreeBytes: number
  readonly swapUsedBytes: number
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
    totalBytes: total,
    freeBytes: free,
    availableBytes: available,
    availableEstimated: reported === undefined,
    buffersBytes: buffers,
    cachedBytes: cached,
    usedBytes: used,
    usedPercent: percent(used, total),
    swapTotalBytes: swapTotal,
    swapFreeBytes: swapFree,
    swapUsedBytes: swapTotal - swapFree,
  })
}

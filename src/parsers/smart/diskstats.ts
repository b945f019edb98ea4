import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { DiskIo } from "./model.ts"

const DATA_TYPE = "drive_health"
const SECTOR_BYTES = 512

/**
 * /proc/diskstats: "major minor name" then 11 counters (kernel < 4.18), 15 (+discards, 4.18)
 * or 17 (+flushes, 5.5). Any other shape is a ParseError naming the line.
 */
export const parseDiskstats = (text: string): Result.Result<Array<DiskIo>, ParseError> => {
  const out: Array<DiskIo> = []
  for (const [i, raw] of text.split("\n").entries()) {
    const f = raw.trim().split(/\s+/)
    if (f.length === 1 && f[0] === "") continue
    const at = `line ${i + 1}`
    if (f.length !== 14 && f.length !== 18 && f.length !== 20) {
      return Result.fail(new ParseError({ dataType: DATA_TYPE, message: `expected 14, 18 or 20 fields, got ${f.length}`, at }))
    }
    const name = f[2] as string
    const nums = [f[0], f[1], ...f.slice(3)].map((x) => (/^\d+$/.test(x ?? "") ? Number(x) : Number.NaN))
    if (nums.some((n) => !Number.isSafeInteger(n))) {
      return Result.fail(new ParseError({ dataType: DATA_TYPE, message: `non-numeric counter for '${name}'`, at }))
    }
    const n = (k: number): number => nums[k] as number
    const opt = (k: number): number | null => (k < nums.length ? (nums[k] as number) : null)
    out.push({
      major: n(0),
      minor: n(1),
      name,
      readsCompleted: n(2),
      readsMerged: n(3),
      sectorsRead: n(4),
      readTimeMs: n(5),
      writesCompleted: n(6),
      writesMerged: n(7),
      sectorsWritten: n(8),
      writeTimeMs: n(9),
      ioInProgress: n(10),
      ioTimeMs: n(11),
      weightedIoTimeMs: n(12),
      discardsCompleted: opt(13),
      discardsMerged: opt(14),
      sectorsDiscarded: opt(15),
      discardTimeMs: opt(16),
      flushesCompleted: opt(17),
      flushTimeMs: opt(18),
      bytesRead: n(4) * SECTOR_BYTES,
      bytesWritten: n(8) * SECTOR_BYTES,
    })
  }
  return Result.succeed(out)
}

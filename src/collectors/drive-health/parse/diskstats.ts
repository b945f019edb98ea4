import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
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
      return Result.fail(
        new ParseError({ dataType: DATA_TYPE, message: `expected 14, 18 or 20 fields, got ${f.length}`, at }),
      )
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
      reads_completed: n(2),
      reads_merged: n(3),
      sectors_read: n(4),
      read_time_ms: n(5),
      writes_completed: n(6),
      writes_merged: n(7),
      sectors_written: n(8),
      write_time_ms: n(9),
      io_in_progress: n(10),
      io_time_ms: n(11),
      weighted_io_time_ms: n(12),
      discards_completed: opt(13),
      discards_merged: opt(14),
      sectors_discarded: opt(15),
      discard_time_ms: opt(16),
      flushes_completed: opt(17),
      flush_time_ms: opt(18),
      bytes_read: n(4) * SECTOR_BYTES,
      bytes_written: n(8) * SECTOR_BYTES,
    })
  }
  return Result.succeed(out)
}

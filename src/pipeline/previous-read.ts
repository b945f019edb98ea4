/**
 * What a type's `prepare` needs to hand the previous stored read to the next one (counters to take a
 * delta against, instead of sampling twice around a sleep on the host).
 */

/** Reads closer than this to the previous one sample for themselves: a delta over a few jiffies is noise. */
export const MIN_GAP_MS = 5_000
/** Past this (three default intervals) the previous read is too old to say what the host does now. */
export const MAX_GAP_MS = 900_000

/** Whether a previous read taken at `time` may serve as the first sample now. */
export const usableGap = (time: unknown, now: number = Date.now()): boolean => {
  const age = now - timeOf(time)
  return age >= MIN_GAP_MS && age <= MAX_GAP_MS
}

export const timeOf = (v: unknown): number =>
  v instanceof Date ? v.getTime() : typeof v === "string" || typeof v === "number" ? new Date(v).getTime() : Number.NaN

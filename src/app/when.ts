import { ValidationError } from "../domain/errors.ts"

/** "30m", "6h", "7d": a duration in milliseconds, or undefined when the text is not one. */
export const parseRelative = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim())
  if (m === null) return undefined
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as "s" | "m" | "h" | "d" | "w"]
  return Number(m[1]) * unit
}

/**
 * A point in time as every front end accepts it: ISO 8601, unix seconds, or a duration back from
 * `now` ("6h", "7d"). Empty means "not given".
 */
export const parseWhen = (name: string, raw: string | undefined, now: number = Date.now()): Date | undefined => {
  if (raw === undefined || raw.trim() === "") return undefined
  const text = raw.trim()
  const back = parseRelative(text)
  if (back !== undefined) return new Date(now - back)
  const d = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text)
  if (Number.isNaN(d.getTime())) {
    throw new ValidationError({
      message: `${name} must be an ISO 8601 time, unix seconds or a duration like 30m, 6h, 7d; got '${raw}'`,
    })
  }
  return d
}

/** A bounded positive integer (limits, points), or the fallback when absent. */
export const parseLimit = (name: string, raw: string | number | undefined, fallback: number, max: number): number => {
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValidationError({ message: `${name} must be an integer between 1 and ${max}, got '${String(raw)}'` })
  }
  return n
}

/** A range whose ends are in order. */
export const checkRange = (from: Date | undefined, to: Date | undefined): void => {
  if (from !== undefined && to !== undefined && from > to) {
    throw new ValidationError({ message: "from must not be after to" })
  }
}

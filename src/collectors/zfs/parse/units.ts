import { bad } from "./fail.ts"
import { isoFromMillis } from "../../shared/time.ts"

/** ZFS "nicenum" suffixes are powers of 1024 (zfs_nicenum), both for bytes and for counts. */
const SUFFIX_POWER: Readonly<Record<string, number>> = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7 }

const isMissing = (s: string): boolean => s === "" || s === "-" || s === "none"

/** "1.03T", "0B", "21K", raw "4000249020416" (-p) or "-" → bytes or null; anything else is an error. */
export const parseSize = (token: string, at?: string): number | null => {
  const s = token.trim()
  if (isMissing(s)) return null
  if (/^\d+$/.test(s)) return Number(s)
  const m = /^(\d+(?:\.\d+)?)([BKMGTPEZ])(?:i?B)?$/i.exec(s)
  if (m === null) return bad(`'${s}' is not a size`, at)
  const power = SUFFIX_POWER[(m[2] as string).toUpperCase()] as number
  return Math.round(Number(m[1]) * 1024 ** power)
}

/** Error counters: raw with -p, otherwise nicenum like "1.2K" (approximate by nature). */
export const parseCount = (token: string, at?: string): number | null => parseSize(token, at)

/** True when the token looks like an error counter (used to tell counter columns from notes). */
export const isCountToken = (token: string | undefined): boolean =>
  token !== undefined && /^(\d+(?:\.\d+)?[KMGTPE]?|-)$/i.test(token)

/** "48%", "48" or "-" → 48 / null. */
export const parsePercent = (token: string, at?: string): number | null => {
  const s = token.trim()
  if (isMissing(s)) return null
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(s)
  return m === null ? bad(`'${s}' is not a percentage`, at) : Number(m[1])
}

/** Dedup / compression ratios: "1.00x", "1.00" or "-". */
export const parseRatio = (token: string, at?: string): number | null => {
  const s = token.trim()
  if (isMissing(s)) return null
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(s)
  return m === null ? bad(`'${s}' is not a ratio`, at) : Number(m[1])
}

/** Scan durations in every wording zpool has used: "07:12:57", "0 days 00:19:47", "4h8m", "1h2m3s". */
export const parseDuration = (text: string): number | null => {
  const s = text.trim()
  const clock = /^(?:(\d+) days? )?(\d+):(\d{2}):(\d{2})$/.exec(s)
  if (clock !== null) {
    return Number(clock[1] ?? 0) * 86400 + Number(clock[2]) * 3600 + Number(clock[3]) * 60 + Number(clock[4])
  }
  const units = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s)
  if (units !== null && s !== "") {
    return Number(units[1] ?? 0) * 86400 + Number(units[2] ?? 0) * 3600 + Number(units[3] ?? 0) * 60 +
      Number(units[4] ?? 0)
  }
  return null
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/**
 * ctime(3) dates ("Sun Feb  4 20:54:25 2024") carry no zone. The collection script runs
 * `zpool status` with TZ=UTC, so they are read as UTC. Returns ISO-8601 or null if unreadable.
 */
export const parseCtime = (text: string): string | null => {
  const m = /^(?:[A-Z][a-z]{2}\s+)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(\d{4})$/.exec(
    text.trim(),
  )
  if (m === null) return null
  const month = MONTHS.indexOf(m[1] as string)
  if (month < 0) return null
  const ms = Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0))
  return isoFromMillis(ms)
}

/** Unix seconds → ISO-8601; 0 or negative means "never" in ZFS output. */
export const epochToIso = (seconds: number): string | null =>
  Number.isFinite(seconds) && seconds > 0 && seconds < 1e11 ? new Date(seconds * 1000).toISOString() : null

/** -H output is tab-separated; some recorded outputs had tabs expanded to spaces, so fall back to runs. */
export const splitColumns = (line: string): Array<string> =>
  line.includes("\t") ? line.split("\t").map((s) => s.trim()) : line.trim().split(/\s+/)

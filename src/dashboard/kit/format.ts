/** Text for numbers and times as the pages show them (the same on server and in the row fragments). */

export const percent = (n: number | null): string => (n === null ? "–" : `${n.toFixed(n < 10 ? 1 : 0)} %`)

export const load = (n: number | null): string => (n === null ? "–" : n.toFixed(2))

export const duration = (seconds: number | null): string => {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–"
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  if (d > 0) return `${d} d ${h} h`
  if (h > 0) return `${h} h ${m} min`
  return `${m} min`
}

export const ago = (iso: string | null, now: number): string => {
  if (iso === null) return "never"
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86400)} d ago`
}

/** The words for a device status; colour is only a second cue. */
export const STATUS_TEXT: Record<string, string> = {
  online: "Online",
  degraded: "Degraded",
  offline: "Offline",
  host_key_mismatch: "Host key mismatch",
  unknown: "Not polled yet",
}

export const statusText = (status: string): string => STATUS_TEXT[status] ?? status.replace(/_/g, " ")

export const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === "") return null
  const n = typeof v === "number" ? v : Number(v)
  return Number.isFinite(n) ? n : null
}

export const isoOf = (v: unknown): string | null => {
  if (v instanceof Date) return v.toISOString()
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString()
  return null
}

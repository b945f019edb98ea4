/**
 * The feeds' filters as the query string carries them (so a filtered view is a link), read once
 * here for the pages and their row fragments alike.
 */
import { oneOf, type Query, queryText } from "../kit/query.ts"

export const PAGE_SIZE = 50
/** The application reads' own ceiling on one answer. */
export const MAX_LIMIT = 10_000

export const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const
export const CHANGE_TYPES = ["CREATE", "MODIFY", "DELETE", "MOVE"] as const
export const CONFIG_TYPES = ["proxy_configs", "docker_compose", "systemd_services", "env_files"] as const
export const METHODS = ["api", "mcp", "polling", "watch", "cli", "library"] as const
export const OUTCOMES = ["success", "error", "partial"] as const
/** Audit time ranges, in minutes. */
export const RANGES: ReadonlyArray<readonly [key: string, label: string, minutes: number]> = [
  ["15m", "last 15 minutes", 15],
  ["1h", "last hour", 60],
  ["24h", "last 24 hours", 1440],
  ["7d", "last 7 days", 10_080],
  ["30d", "last 30 days", 43_200],
]

const limitOf = (q: Query): number => {
  const n = Number.parseInt(q("limit") ?? "", 10)
  return Number.isFinite(n) && n > 0 ? Math.min(n, MAX_LIMIT) : PAGE_SIZE
}

export interface ChangeQuery {
  readonly device: string
  /** "" (any), one level, or a comma list of levels ("HIGH,CRITICAL"). */
  readonly risk: string
  readonly changeType: string
  readonly configType: string
  readonly limit: number
}

export const changeQuery = (q: Query): ChangeQuery => {
  const risks = queryText(q, "risk").toUpperCase().split(",").map((r) => r.trim()).filter((r) => r !== "")
  return {
    device: queryText(q, "device"),
    risk: risks.filter((r) => (RISKS as ReadonlyArray<string>).includes(r)).join(","),
    changeType: oneOf(CHANGE_TYPES, queryText(q, "change_type").toUpperCase()),
    configType: oneOf(CONFIG_TYPES, queryText(q, "config_type")),
    limit: limitOf(q),
  }
}

export interface AuditQuery {
  readonly device: string
  readonly operation: string
  readonly method: string
  readonly outcome: string
  readonly token: string
  readonly range: string
  readonly limit: number
}

export const auditQuery = (q: Query): AuditQuery => ({
  device: queryText(q, "device"),
  operation: queryText(q, "operation"),
  method: oneOf(METHODS, queryText(q, "method")),
  outcome: oneOf(OUTCOMES, queryText(q, "outcome")),
  token: queryText(q, "token"),
  range: RANGES.some(([key]) => key === queryText(q, "range")) ? queryText(q, "range") : "",
  limit: limitOf(q),
})

export const sinceOf = (range: string, now: number): Date | undefined => {
  const found = RANGES.find(([key]) => key === range)
  return found === undefined ? undefined : new Date(now - found[2] * 60_000)
}

/** The query string of a view (empty values left out), for links and the client's fetches. */
export const searchOf = (params: Record<string, string | number>): string => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== "" && !(k === "limit" && v === PAGE_SIZE)) s.set(k, String(v))
  const out = s.toString()
  return out === "" ? "" : `?${out}`
}

export const changeParams = (f: ChangeQuery): Record<string, string | number> => ({
  device: f.device,
  risk: f.risk,
  change_type: f.changeType,
  config_type: f.configType,
  limit: f.limit,
})

export const auditParams = (f: AuditQuery): Record<string, string | number> => ({
  device: f.device,
  operation: f.operation,
  method: f.method,
  outcome: f.outcome,
  token: f.token,
  range: f.range,
  limit: f.limit,
})

/** The config diff page of one change (owned by the configs area). */
export const diffHref = (device: string, path: string, to: unknown, from: unknown): string => {
  const parts = [`path=${encodeURIComponent(path)}`]
  if (from !== null && from !== undefined && from !== "") parts.push(`from=${encodeURIComponent(String(from))}`)
  parts.push(`to=${encodeURIComponent(String(to))}`)
  return `/devices/${encodeURIComponent(device)}/configs/diff?${parts.join("&")}`
}

export const fileHref = (device: string, path: string): string =>
  `/devices/${encodeURIComponent(device)}/configs/file?path=${encodeURIComponent(path)}`

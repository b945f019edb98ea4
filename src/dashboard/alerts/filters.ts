/**
 * The alerts page's filters as the query string carries them (a filtered view is a link), read once
 * here for the page and its live fragment alike. Unknown values are dropped, never an error page.
 */
import { oneOf, type Query, queryText } from "../kit/query.ts"

export const STATES = ["firing", "pending", "resolved"] as const
export const SEVERITIES = ["critical", "warning", "info"] as const
/** How much resolved history the page shows. */
export const HISTORY_SIZE = 50
/** Active alerts are all shown, up to the API's own ceiling. */
export const ACTIVE_LIMIT = 1000

export interface AlertQuery {
  readonly state: (typeof STATES)[number] | ""
  readonly severity: (typeof SEVERITIES)[number] | ""
  readonly device: string
  readonly rule: string
}

export const alertQuery = (q: Query): AlertQuery => ({
  state: oneOf(STATES, queryText(q, "state").toLowerCase()),
  severity: oneOf(SEVERITIES, queryText(q, "severity").toLowerCase()),
  device: queryText(q, "device"),
  rule: queryText(q, "rule"),
})

/** The query string of a view (empty values left out). */
export const searchOf = (f: AlertQuery): string => {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(f)) if (v !== "") s.set(k, v)
  const out = s.toString()
  return out === "" ? "" : `?${out}`
}

import type { RiskLevel, SemanticChange } from "./types.ts"

/** A semantic change plus the risk it carries and the services it touches (internal to analysis). */
export interface Finding {
  readonly change: SemanticChange
  readonly level: RiskLevel
  /** Rule name reported when this finding decides the file's risk. */
  readonly rule: string
  readonly services: ReadonlyArray<string>
}

export const RISK_ORDER: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 }

export const finding = (
  level: RiskLevel,
  rule: string,
  change: SemanticChange,
  services: ReadonlyArray<string> = [],
): Finding => ({ change, level, rule, services })

/** A medium-risk change with the generic rule name. */
export const medium = (change: SemanticChange, services: ReadonlyArray<string> = []): Finding =>
  finding("MEDIUM", "semantic-change", change, services)

/** JSON with object keys sorted, so that key order does not count as a change. */
export const stableJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => {
    if (x === null || typeof x !== "object" || Array.isArray(x)) return x
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(x).sort()) out[k] = (x as Record<string, unknown>)[k]
    return out
  }) ?? "undefined"

export const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b)

export const setDiff = (
  before: Iterable<string>,
  after: Iterable<string>,
): { added: Array<string>; removed: Array<string> } => {
  const b = new Set(before)
  const a = new Set(after)
  return { added: [...a].filter((x) => !b.has(x)), removed: [...b].filter((x) => !a.has(x)) }
}

export const describeSets = (what: string, d: { added: Array<string>; removed: Array<string> }): string =>
  [
    d.added.length > 0 ? `${what} added: ${d.added.join(", ")}` : "",
    d.removed.length > 0 ? `${what} removed: ${d.removed.join(", ")}` : "",
  ]
    .filter((s) => s !== "")
    .join("; ")

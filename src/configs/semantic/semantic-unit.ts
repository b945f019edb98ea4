import type { UnitFile } from "./unit-file.ts"
import { describeSets, type Finding, finding, medium, same, setDiff } from "../findings.ts"
import type { EnvFileData, SystemdUnitData } from "../parse-config.ts"

/** Semantic differences of systemd unit files and env files (key by key). */

const values = (u: UnitFile, section: string, key: string): ReadonlyArray<string> =>
  Object.hasOwn(u, section) && Object.hasOwn(u[section] as object, key) ? (u[section]?.[key] ?? []) : []

/** The effective last value of a key (systemd: a later assignment wins for single-valued keys). */
const last = (u: UnitFile, section: string, key: string): string | undefined => {
  const v = values(u, section, key)
  return v[v.length - 1]
}

/** A service without User= (and without DynamicUser=) runs as root. */
const runsAsRoot = (u: UnitFile): boolean => {
  if (!Object.hasOwn(u, "Service")) return false
  if (/^(yes|true|on|1)$/i.test(last(u, "Service", "DynamicUser") ?? "")) return false
  const user = last(u, "Service", "User")
  return user === undefined || user === "root" || user === "0"
}

const envKeys = (u: UnitFile): Array<string> =>
  values(u, "Service", "Environment").flatMap((line) =>
    [...line.matchAll(/(?:^|\s)["']?([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] as string)
  )

const HIGH_KEYS: Record<string, string> = { ExecStart: "exec-changed" }

export const compareUnits = (b: SystemdUnitData | undefined, a: SystemdUnitData): Array<Finding> => {
  const before = b?.unit ?? {}
  const after = a.unit
  const svc = [a.name]
  const out: Array<Finding> = []
  if (b !== undefined && !runsAsRoot(before) && runsAsRoot(after) && Object.hasOwn(before, "Service")) {
    out.push(finding("CRITICAL", "runs-as-root", {
      kind: "unit.User",
      path: "[Service]",
      before: last(before, "Service", "User") ?? null,
      after: last(after, "Service", "User") ?? null,
      description: "the service now runs as root",
    }, svc))
  }
  for (const section of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const keys = new Set([...Object.keys(before[section] ?? {}), ...Object.keys(after[section] ?? {})])
    for (const key of keys) {
      const vb = values(before, section, key)
      const va = values(after, section, key)
      if (same(vb, va)) continue
      const path = `[${section}]`
      if (key === "Environment") {
        const d = setDiff(envKeys(before), envKeys(after))
        out.push(medium({
          kind: "unit.Environment",
          path,
          before: envKeys(before),
          after: envKeys(after),
          description: describeSets("variable", d) || "environment values changed",
        }, svc))
        continue
      }
      if (key === "User" && out.some((f) => f.rule === "runs-as-root")) continue
      const change = { kind: `unit.${key}`, path, before: vb, after: va, description: `${section}.${key} changed` }
      const rule = HIGH_KEYS[key]
      out.push(rule !== undefined && b !== undefined ? finding("HIGH", rule, change, svc) : medium(change, svc))
    }
  }
  return out
}

export const compareEnv = (b: EnvFileData | undefined, a: EnvFileData): Array<Finding> => {
  const before = b?.vars ?? {}
  const keys = setDiff(Object.keys(before), Object.keys(a.vars))
  const changed = Object.keys(a.vars).filter((k) => Object.hasOwn(before, k) && before[k] !== a.vars[k])
  if (keys.added.length + keys.removed.length + changed.length === 0) return []
  return [
    medium({
      kind: "env",
      path: "file",
      before: Object.keys(before),
      after: Object.keys(a.vars),
      description: [describeSets("variable", keys), changed.length > 0 ? `value changed: ${changed.join(", ")}` : ""]
        .filter((s) => s !== "")
        .join("; "),
    }),
  ]
}

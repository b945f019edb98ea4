/**
 * The alert lifecycle, pure: pending → firing (once the condition held for the rule's `for`) →
 * resolved (once past the resolve threshold, or the subject is gone). A pending alert whose
 * condition stops holding is dropped (kept as resolved history, never announced).
 */
import type { Observation } from "./evaluate.ts"
import type { AlertRule, RulePatch, Scope } from "./model.ts"

export interface OpenAlert {
  readonly id: number
  readonly state: "pending" | "firing"
  readonly startedAt: number
}

export type Transition =
  | { readonly kind: "none" }
  | { readonly kind: "open"; readonly state: "pending" | "firing" }
  | { readonly kind: "update" }
  | { readonly kind: "fire" }
  | { readonly kind: "resolve" }
  | { readonly kind: "drop" }

/** What happens to `open` (if any) given this observation (undefined: the subject is gone). */
export const transition = (
  open: OpenAlert | undefined,
  observed: Observation | undefined,
  forMs: number,
  now: number,
): Transition => {
  const fires = observed?.verdict === "fire"
  if (open === undefined) return fires ? { kind: "open", state: forMs <= 0 ? "firing" : "pending" } : { kind: "none" }
  if (open.state === "pending") {
    if (!fires) return { kind: "drop" }
    return now - open.startedAt >= forMs ? { kind: "fire" } : { kind: "update" }
  }
  return observed === undefined || observed.verdict === "clear" ? { kind: "resolve" } : { kind: "update" }
}

export interface DeviceRef {
  readonly name: string
  readonly tags: ReadonlyArray<string>
}

export const inScope = (scope: Scope, device: DeviceRef): boolean =>
  "all" in scope ? true : "tag" in scope ? device.tags.includes(scope.tag) : scope.devices.includes(device.name)

export interface Silence {
  readonly id: number
  readonly ruleId: string | null
  readonly device: string | null
  readonly tag: string | null
  readonly subject: string | null
  readonly until: number
}

/** A silence matches when every matcher it has matches (and it has not expired). */
export const silenced = (
  silences: ReadonlyArray<Silence>,
  alert: { readonly ruleId: string; readonly device: DeviceRef; readonly subject: string },
  now: number,
): boolean =>
  silences.some((s) =>
    s.until > now &&
    (s.ruleId === null || s.ruleId === alert.ruleId) &&
    (s.device === null || s.device === alert.device.name) &&
    (s.tag === null || alert.device.tags.includes(s.tag)) &&
    (s.subject === null || s.subject === alert.subject)
  )

/** A rule with a partial override on top (a built-in retuned by YAML or a stored row). */
export const applyPatch = (rule: AlertRule, patch: RulePatch): AlertRule => {
  const { threshold, resolve_threshold, ...fields } = patch
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))
  const next: AlertRule = { ...rule, ...defined }
  if (next.condition.kind !== "threshold" || (threshold === undefined && resolve_threshold === undefined)) return next
  return {
    ...next,
    condition: {
      ...next.condition,
      ...(threshold === undefined ? {} : { threshold }),
      ...(resolve_threshold === undefined ? {} : { resolve_threshold }),
    },
  }
}

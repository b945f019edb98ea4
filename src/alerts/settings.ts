import { Context, Schema } from "effect"
import { AlertRule, msOf, RuleDuration, RulePatch } from "./model.ts"
import { builtinIds } from "./builtins.ts"

/** How alerts run: the YAML `alerts:` section, resolved. */
export interface AlertSettings {
  /** Evaluate at all (default true). */
  readonly enabled: boolean
  /** How often pending alerts are promoted once their `for` passed, and reminders are due. */
  readonly tickMs: number
  /** Built-in overrides by id: false switches one off, an object retunes it. */
  readonly builtins: Readonly<Record<string, false | RulePatch>>
  /** Rules from the config file (read-only through the API: change them in the file). */
  readonly rules: ReadonlyArray<AlertRule>
}

export const defaultAlertSettings: AlertSettings = { enabled: true, tickMs: 15_000, builtins: {}, rules: [] }

export const AlertSettings = Context.Reference<AlertSettings>("infrastructor/AlertSettings", {
  defaultValue: () => defaultAlertSettings,
})

const opt = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

const BuiltinId = Schema.String.check(
  Schema.makeFilter((id: string) =>
    builtinIds.has(id) || `expected a built-in rule id (${[...builtinIds].join(", ")}), got ${JSON.stringify(id)}`
  ),
)

/**
 * alerts:
 *   evaluation_interval: 15s
 *   builtins: { device_offline: { for: 5m }, cpu_high: false }
 *   rules: [{ id, name, severity, scope, condition, for, repeat_interval }]
 */
export const AlertsSection = Schema.Struct({
  enabled: opt(Schema.Boolean),
  evaluation_interval: opt(RuleDuration),
  builtins: opt(Schema.Record(BuiltinId, Schema.Union([Schema.Literal(false), RulePatch]))),
  rules: opt(
    Schema.Array(AlertRule).check(Schema.makeFilter((rules) => {
      const ids = rules.map((r) => r.id)
      const builtin = ids.find((id) => builtinIds.has(id))
      if (builtin !== undefined) return `rule id '${builtin}' is a built-in's: retune it under alerts.builtins`
      const twice = ids.find((id, i) => ids.indexOf(id) !== i)
      return twice === undefined ? undefined : `rule id '${twice}' is used twice`
    })),
  ),
})
export type AlertsSection = typeof AlertsSection.Type

/** The YAML section resolved: defaults where absent; the tick no faster than 100 ms. */
export const alertSettingsFrom = (section: AlertsSection | null | undefined): AlertSettings => ({
  enabled: section?.enabled ?? true,
  tickMs: section?.evaluation_interval == null
    ? defaultAlertSettings.tickMs
    : Math.max(100, msOf(section.evaluation_interval)),
  builtins: section?.builtins ?? {},
  rules: section?.rules ?? [],
})

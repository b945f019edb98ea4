import { Context, Effect, Layer, Schema } from "effect"
import { AlertEngine, silenceView } from "../alerts/Engine.ts"
import { builtinIds } from "../alerts/builtins.ts"
import { applyPatch } from "../alerts/lifecycle.ts"
import { AlertRule, AlertState, type RulePatch, Severity, type SilenceCreate } from "../alerts/model.ts"
import { NotFound, ValidationError } from "../domain/errors.ts"
import { Store } from "../store/Store.ts"
import { Caller } from "./caller.ts"
import { operationsIn, readOp, writeOp } from "./operation.ts"
import { parseWhen } from "./when.ts"

export const alertOperations = {
  list: readOp("Alerts.list", "alerts (pending, firing, resolved history), filtered by state, device, severity"),
  get: readOp("Alerts.get", "one alert"),
  rules: readOp("Alerts.rules", "alert rules: built-ins (with overrides), the config file's and the API's"),
  createRule: writeOp("Alerts.createRule", "add an alert rule"),
  updateRule: writeOp("Alerts.updateRule", "change an alert rule, or override a built-in (e.g. switch it off)"),
  deleteRule: writeOp("Alerts.deleteRule", "delete an alert rule, or drop a built-in's override"),
  testRule: readOp("Alerts.testRule", "evaluate a rule now against stored data, without side effects"),
  acknowledge: writeOp("Alerts.acknowledge", "acknowledge an alert (stops reminders; resolves a config-change alert)"),
  silences: readOp("Alerts.silences", "alert silences in force (or all)"),
  silence: writeOp("Alerts.silence", "silence alerts by rule, device, tag and subject until a time"),
  unsilence: writeOp("Alerts.unsilence", "remove a silence"),
} as const

export interface AlertListFilter {
  readonly state?: ReadonlyArray<string> | undefined
  readonly device?: string | undefined
  readonly severity?: ReadonlyArray<string> | undefined
  readonly rule?: string | undefined
  readonly limit?: number | undefined
}

const checkAll = (name: string, values: ReadonlyArray<string> | undefined, allowed: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    const bad = (values ?? []).filter((v) => !allowed.includes(v))
    return bad.length === 0 ? Effect.void : Effect.fail(
      new ValidationError({ message: `${name} must be one of ${allowed.join(", ")}; got ${bad.join(", ")}` }),
    )
  })

const decodeRule = (value: unknown) =>
  Effect.mapError(
    Schema.decodeUnknownEffect(AlertRule)(value, { onExcessProperty: "error" }),
    (issue) => new ValidationError({ message: `invalid rule: ${issue.message.replace(/\s*\n\s*/g, " ")}` }),
  )

const alertId = (raw: string | number) =>
  Effect.suspend(() => {
    const id = Number(raw)
    return Number.isSafeInteger(id) && id > 0
      ? Effect.succeed(id)
      : Effect.fail(new ValidationError({ message: `alert id must be a positive integer, got '${String(raw)}'` }))
  })

/** Alerts: rules, the alerts they raised, acknowledgements and silences, on behalf of the Caller. */
export const makeAlerts = Effect.gen(function* () {
  const operation = operationsIn(yield* Effect.context<Store | AlertEngine>())
  const store = yield* Store
  const engine = yield* AlertEngine

  const ruleById = (id: string) =>
    Effect.flatMap(engine.rules(), (rules) => {
      const rule = rules.find((r) => r.id === id)
      return rule === undefined ? Effect.fail(new NotFound({ message: `no alert rule '${id}'` })) : Effect.succeed(rule)
    })

  const list = operation(alertOperations.list, (filter: AlertListFilter) =>
    Effect.gen(function* () {
      yield* checkAll("state", filter.state, AlertState.literals)
      yield* checkAll("severity", filter.severity, Severity.literals)
      const rows = yield* store.listAlerts({
        state: filter.state,
        device: filter.device,
        severity: filter.severity,
        ruleId: filter.rule,
        limit: filter.limit,
      })
      const silences = yield* engine.activeSilences()
      const tags = yield* engine.tagsByDevice()
      const alerts = rows.map((r) => engine.alertView(r, silences, tags.get(String(r["device_name"]))))
      return { count: alerts.length, alerts }
    }))

  const get = operation(alertOperations.get, (id: string | number) =>
    Effect.gen(function* () {
      const row = yield* store.getAlert(yield* alertId(id))
      if (row === undefined) return yield* Effect.fail(new NotFound({ message: `no alert ${id}` }))
      const tags = (yield* engine.tagsByDevice()).get(String(row["device_name"]))
      return engine.alertView(row, yield* engine.activeSilences(), tags)
    }))

  const rules = operation(
    alertOperations.rules,
    () => Effect.map(engine.rules(), (all) => ({ count: all.length, rules: all })),
  )

  const createRule = operation(alertOperations.createRule, (input: unknown) =>
    Effect.gen(function* () {
      const rule = yield* decodeRule(input)
      const existing = yield* engine.rules()
      if (existing.some((r) => r.id === rule.id)) {
        return yield* Effect.fail(
          new ValidationError({ message: `an alert rule '${rule.id}' exists; change it with PATCH` }),
        )
      }
      yield* store.upsertAlertRule(rule.id, rule)
      engine.invalidate()
      return yield* ruleById(rule.id)
    }))

  const updateRule = operation(alertOperations.updateRule, (id: string, patch: RulePatch) =>
    Effect.gen(function* () {
      const rule = yield* ruleById(id)
      if (rule.origin === "config") {
        return yield* Effect.fail(
          new ValidationError({ message: `alert rule '${id}' comes from the config file: change it there` }),
        )
      }
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
      const condition = patch.condition ?? rule.condition
      if ((patch.threshold !== undefined || patch.resolve_threshold !== undefined) && condition.kind !== "threshold") {
        return yield* Effect.fail(
          new ValidationError({ message: `alert rule '${id}' has no threshold: its condition is a predicate` }),
        )
      }
      if (rule.origin === "builtin") {
        // A built-in keeps its code definition; the row is an override on top of it.
        const stored = (yield* store.alertRuleRows()).find((r) => r["id"] === id)
        const before = typeof stored?.["definition"] === "string"
          ? JSON.parse(stored["definition"])
          : (stored?.["definition"] ?? {})
        yield* store.upsertAlertRule(id, { ...(before as object), ...defined })
      } else {
        const { origin: _o, overridden: _v, ...current } = rule
        yield* store.upsertAlertRule(id, yield* decodeRule(applyPatch(current, patch)))
      }
      engine.invalidate()
      return yield* ruleById(id)
    }))

  const deleteRule = operation(alertOperations.deleteRule, (id: string) =>
    Effect.gen(function* () {
      const rule = yield* ruleById(id)
      if (rule.origin === "config") {
        return yield* Effect.fail(
          new ValidationError({ message: `alert rule '${id}' comes from the config file: remove it there` }),
        )
      }
      yield* store.deleteAlertRule(id)
      engine.invalidate()
      return builtinIds.has(id)
        ? { deleted: false, reset: true, rule: yield* ruleById(id) }
        : { deleted: true, reset: false, id }
    }))

  const testRule = operation(
    alertOperations.testRule,
    (ref: { readonly id?: string; readonly rule?: unknown }) =>
      Effect.gen(function* () {
        const rule = ref.rule !== undefined ? yield* decodeRule(ref.rule) : yield* ruleById(ref.id ?? "")
        const results = yield* engine.test(rule, yield* store.listDevices())
        return { rule_id: rule.id, devices: results }
      }),
  )

  const acknowledge = operation(
    alertOperations.acknowledge,
    (id: string | number, by?: string) =>
      Effect.gen(function* () {
        const caller = yield* Caller
        const who = by ?? (caller.tokenId === null ? caller.method : `token ${caller.tokenId}`)
        const view = yield* engine.acknowledge(yield* alertId(id), who)
        if (view === undefined) return yield* Effect.fail(new NotFound({ message: `no alert ${id}` }))
        return view
      }),
  )

  const silences = operation(
    alertOperations.silences,
    (all: boolean) =>
      Effect.map(store.listSilences(all), (rows) => ({ count: rows.length, silences: rows.map(silenceView) })),
  )

  const silence = operation(alertOperations.silence, (input: SilenceCreate) =>
    Effect.gen(function* () {
      const caller = yield* Caller
      const now = Date.now()
      // "2h" means two hours from now here (parseWhen reads durations back from now).
      const ahead = /^\s*\d+(?:\.\d+)?\s*[smhdw]\s*$/.test(input.until)
      const until = yield* Effect.try({
        try: () =>
          ahead
            ? new Date(2 * now - (parseWhen("until", input.until, now) as Date).getTime())
            : (parseWhen("until", input.until, now) as Date),
        catch: (e) => (e instanceof ValidationError ? e : new ValidationError({ message: String(e) })),
      })
      if (until === undefined || until.getTime() <= now) {
        return yield* Effect.fail(new ValidationError({ message: "until must be in the future" }))
      }
      if ([input.rule_id, input.device, input.tag, input.subject].every((m) => m === undefined)) {
        return yield* Effect.fail(
          new ValidationError({ message: "give at least one matcher: rule_id, device, tag or subject" }),
        )
      }
      const row = yield* store.insertSilence({
        ruleId: input.rule_id ?? null,
        device: input.device ?? null,
        tag: input.tag ?? null,
        subject: input.subject ?? null,
        until,
        createdBy: caller.tokenId === null ? caller.method : `token ${caller.tokenId}`,
        reason: input.reason ?? "",
      })
      engine.invalidate()
      return silenceView(row)
    }))

  const unsilence = operation(alertOperations.unsilence, (id: string | number) =>
    Effect.gen(function* () {
      const deleted = yield* store.deleteSilence(yield* alertId(id))
      engine.invalidate()
      if (!deleted) return yield* Effect.fail(new NotFound({ message: `no silence ${id}` }))
      return { deleted: true, id: Number(id) }
    }))

  return {
    list,
    get,
    rules,
    createRule,
    updateRule,
    deleteRule,
    testRule,
    acknowledge,
    silences,
    silence,
    unsilence,
  }
})

export type AlertsShape = Effect.Success<typeof makeAlerts>

export class Alerts extends Context.Service<Alerts, AlertsShape>()("infrastructor/app/Alerts") {
  static readonly layer = Layer.effect(Alerts, makeAlerts).pipe(Layer.provide(AlertEngine.layer))
}

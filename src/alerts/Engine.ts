/**
 * The alerts engine: evaluates rules when data arrives (DataCollected, CollectionFailed,
 * DeviceStatusChanged, ConfigurationChanged on the bus), reading only what the pipeline just
 * stored, and keeps the alerts table and the AlertFiring/AlertResolved events in step. No SSH.
 */
import { Context, Effect, Layer, Option, Queue, Schema } from "effect"
import type { Device } from "../domain/device.ts"
import type { StoreError } from "../domain/errors.ts"
import { type AlertEvent, Events, type InfraEventWithMeta } from "../events/Events.ts"
import { type Row, Store } from "../store/Store.ts"
import { builtinIds, builtinRules } from "./builtins.ts"
import {
  type ConfigChange,
  evaluate,
  type Evaluation,
  isEventRule,
  isTypeFailure,
  readsPrevious,
  type Source,
  sourceOf,
} from "./evaluate.ts"
import { applyPatch, inScope, type Silence, silenced, transition } from "./lifecycle.ts"
import { type AlertDataType, AlertRule, msOf, RulePatch } from "./model.ts"
import { AlertSettings } from "./settings.ts"
import { jsonColumn } from "../domain/json.ts"

export interface EffectiveRule extends AlertRule {
  /** builtin (in code), config (the YAML file) or api (stored by the API/MCP). */
  readonly origin: "builtin" | "config" | "api"
  /** A built-in with an override from the file or the API. */
  readonly overridden: boolean
}

/** An alert as the API shows it. */
export interface AlertView {
  readonly id: number
  readonly rule_id: string
  readonly rule_name: string
  readonly severity: string
  readonly device: string
  readonly subject: string
  readonly labels: Record<string, string>
  readonly state: string
  readonly value: number | null
  readonly threshold: number | null
  readonly summary: string
  readonly details: unknown
  readonly started_at: string
  readonly fired_at: string | null
  readonly resolved_at: string | null
  readonly acknowledged_at: string | null
  readonly acknowledged_by: string | null
  readonly last_notified_at: string | null
  readonly silenced: boolean
}

export const tableOf: Record<AlertDataType, string> = {
  system_metrics: "system_metrics",
  drive_health: "drive_health",
  zfs: "zfs_status",
  containers: "container_snapshots",
  systemd_services: "systemd_services",
}
const isAlertDataType = (t: string): t is AlertDataType => Object.hasOwn(tableOf, t)

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString()
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime())
/** Label maps equal whatever their key order (jsonb reorders keys). */
const sameLabels = (stored: unknown, labels: Readonly<Record<string, string>>): boolean => {
  if (typeof stored !== "object" || stored === null) return false
  const a = stored as Record<string, unknown>
  const keys = Object.keys(labels)
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === labels[k])
}
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

export const silenceOf = (r: Row): Silence => ({
  id: Number(r["id"]),
  ruleId: (r["rule_id"] as string | null) ?? null,
  device: (r["device_name"] as string | null) ?? null,
  tag: (r["tag"] as string | null) ?? null,
  subject: (r["subject"] as string | null) ?? null,
  until: ms(r["until"]),
})

export const silenceView = (r: Row) => ({
  id: Number(r["id"]),
  rule_id: r["rule_id"] ?? null,
  device: r["device_name"] ?? null,
  tag: r["tag"] ?? null,
  subject: r["subject"] ?? null,
  until: iso(r["until"]),
  created_by: r["created_by"] ?? null,
  reason: r["reason"] ?? "",
  created_at: iso(r["created_at"]),
})

/** How long rules and silences are reused between reads of their tables. */
const cacheTtlMs = 5000

const cached = <A, E>(ttlMs: number, load: () => Effect.Effect<A, E>) => {
  let value: { readonly at: number; readonly value: A } | undefined
  return {
    get: (): Effect.Effect<A, E> =>
      Effect.suspend(() =>
        value !== undefined && Date.now() - value.at < ttlMs
          ? Effect.succeed(value.value)
          : Effect.tap(load(), (v) => Effect.sync(() => void (value = { at: Date.now(), value: v })))
      ),
    invalidate: () => void (value = undefined),
  }
}

const decodeRule = Schema.decodeUnknownOption(AlertRule)
const decodePatch = Schema.decodeUnknownOption(RulePatch)

const makeEngine = Effect.gen(function* () {
  const store = yield* Store
  const events = yield* Events
  const settings = yield* AlertSettings
  /** Consecutive failures per "device\u0000dataType" (collection_failing). */
  const failures = new Map<string, number>()

  const loadRules = (): Effect.Effect<Array<EffectiveRule>, StoreError> =>
    Effect.map(store.alertRuleRows(), (rows) => {
      const stored = new Map(rows.map((r) => [String(r["id"]), jsonColumn(r["definition"])]))
      const out: Array<EffectiveRule> = []
      for (const b of builtinRules) {
        let rule: AlertRule = b
        const fromFile = settings.builtins[b.id]
        if (fromFile === false) rule = { ...rule, enabled: false }
        else if (fromFile !== undefined) rule = applyPatch(rule, fromFile)
        const patch = stored.has(b.id) ? decodePatch(stored.get(b.id)) : Option.none()
        if (Option.isSome(patch)) rule = applyPatch(rule, patch.value)
        out.push({ ...rule, id: b.id, origin: "builtin", overridden: fromFile !== undefined || Option.isSome(patch) })
      }
      const fileIds = new Set(settings.rules.map((r) => r.id))
      for (const r of settings.rules) if (!builtinIds.has(r.id)) out.push({ ...r, origin: "config", overridden: false })
      for (const [id, definition] of stored) {
        if (builtinIds.has(id) || fileIds.has(id)) continue
        const rule = decodeRule(definition)
        if (Option.isSome(rule)) out.push({ ...rule.value, id, origin: "api", overridden: false })
      }
      return out
    })

  // Rules and silences change rarely and are read on every event: kept for a few seconds, and
  // dropped at once when this process changes them (another instance's change shows within the TTL).
  const ruleCache = cached(cacheTtlMs, loadRules)
  const silenceCache = cached(cacheTtlMs, () => Effect.map(store.listSilences(false), (rows) => rows.map(silenceOf)))
  const rules = ruleCache.get
  const activeSilences = silenceCache.get
  const invalidate = () => {
    ruleCache.invalidate()
    silenceCache.invalidate()
  }

  // The device of an event (id, tags for scopes): reused for a few seconds, like rules.
  const devices = new Map<string, { readonly at: number; readonly device: Device }>()
  const deviceOf = (name: string) =>
    Effect.suspend(() => {
      const hit = devices.get(name)
      if (hit !== undefined && Date.now() - hit.at < cacheTtlMs) return Effect.succeed(hit.device)
      return Effect.tap(store.getDevice(name), (device) =>
        Effect.sync(() => void devices.set(name, { at: Date.now(), device })))
    })

  /** Device name → tags, for silences by tag (alert rows name their device, not its tags). */
  const tagsByDevice = () =>
    Effect.map(store.listDevices(), (ds) => new Map<string, ReadonlyArray<string>>(ds.map((d) => [d.name, d.tags])))

  const alertView = (r: Row, silences: ReadonlyArray<Silence>, tags: ReadonlyArray<string> = []): AlertView => ({
    id: Number(r["id"]),
    rule_id: String(r["rule_id"]),
    rule_name: String(r["rule_name"]),
    severity: String(r["severity"]),
    device: String(r["device_name"]),
    subject: String(r["subject"]),
    labels: (jsonColumn(r["labels"]) ?? {}) as Record<string, string>,
    state: String(r["state"]),
    value: numOrNull(r["value"]),
    threshold: numOrNull(r["threshold"]),
    summary: String(r["summary"] ?? ""),
    details: jsonColumn(r["details"]) ?? null,
    started_at: iso(r["started_at"]) ?? "",
    fired_at: iso(r["fired_at"]),
    resolved_at: iso(r["resolved_at"]),
    acknowledged_at: iso(r["acknowledged_at"]),
    acknowledged_by: (r["acknowledged_by"] as string | null) ?? null,
    last_notified_at: iso(r["last_notified_at"]),
    silenced: silenced(silences, {
      ruleId: String(r["rule_id"]),
      device: { name: String(r["device_name"]), tags },
      subject: String(r["subject"]),
    }, Date.now()),
  })

  const announce = (
    tag: AlertEvent["_tag"],
    row: Row,
    silences: ReadonlyArray<Silence>,
    tags: ReadonlyArray<string>,
    reminder = false,
  ) => {
    const v = alertView(row, silences, tags)
    return events.publish({
      _tag: tag,
      alertId: v.id,
      ruleId: v.rule_id,
      ruleName: v.rule_name,
      severity: v.severity as AlertEvent["severity"],
      device: v.device,
      subject: v.subject,
      labels: v.labels,
      value: v.value,
      threshold: v.threshold,
      summary: v.summary,
      details: v.details,
      startedAt: v.started_at,
      silenced: v.silenced,
      reminder,
    })
  }

  /** Apply one rule's evaluation on one device: open, promote, update, resolve, drop. */
  const apply = (
    rule: EffectiveRule,
    device: Device,
    evaluation: Evaluation,
    open: ReadonlyArray<Row>,
    silences: ReadonlyArray<Silence>,
  ) =>
    Effect.gen(function* () {
      const now = Date.now()
      const forMs = msOf(rule.for)
      const mine = new Map(open.filter((r) => r["rule_id"] === rule.id).map((r) => [String(r["subject"]), r]))
      const seen = new Set<string>()
      for (const obs of evaluation.observations) {
        seen.add(obs.subject)
        const row = mine.get(obs.subject)
        const current = row === undefined
          ? undefined
          : { id: Number(row["id"]), state: row["state"] as "pending" | "firing", startedAt: ms(row["started_at"]) }
        const t = transition(current, obs, forMs, now)
        const fields = { value: obs.value, threshold: obs.threshold, summary: obs.summary, labels: obs.labels }
        if (t.kind === "open") {
          const inserted = yield* store.insertAlert({
            ruleId: rule.id,
            ruleName: rule.name,
            severity: rule.severity,
            deviceId: device.id,
            deviceName: device.name,
            subject: obs.subject,
            labels: obs.labels,
            state: t.state,
            value: obs.value,
            threshold: obs.threshold,
            summary: obs.summary,
            details: obs.details ?? null,
          })
          if (inserted !== undefined && t.state === "firing") {
            yield* announce("AlertFiring", inserted, silences, device.tags)
            yield* store.updateAlert(Number(inserted["id"]), "firing", { notified: true })
          }
        } else if (current !== undefined && row !== undefined && t.kind === "update") {
          // Most evaluations change nothing (a failed unit stays failed): no write then.
          const same = numOrNull(row["value"]) === obs.value && numOrNull(row["threshold"]) === obs.threshold &&
            row["summary"] === obs.summary && sameLabels(jsonColumn(row["labels"]), obs.labels)
          if (!same) yield* store.updateAlert(current.id, current.state, fields)
        } else if (current !== undefined && t.kind === "fire") {
          const fired = yield* store.updateAlert(current.id, "pending", {
            ...fields,
            state: "firing",
            fired: true,
            notified: true,
          })
          if (fired !== undefined) yield* announce("AlertFiring", fired, silences, device.tags)
        } else if (current !== undefined && (t.kind === "resolve" || t.kind === "drop")) {
          yield* close(current.id, current.state, silences, device.tags, fields)
        }
      }
      if (!evaluation.complete) return
      for (const [subject, row] of mine) {
        if (seen.has(subject)) continue
        yield* close(Number(row["id"]), row["state"] as "pending" | "firing", silences, device.tags, {})
      }
    })

  /** Resolve a firing alert (announced) or drop a pending one (not). */
  const close = (
    id: number,
    state: "pending" | "firing",
    silences: ReadonlyArray<Silence>,
    tags: ReadonlyArray<string>,
    fields: { readonly value?: number | null; readonly summary?: string },
  ) =>
    Effect.gen(function* () {
      const closed = yield* store.updateAlert(id, state, { ...fields, state: "resolved", resolved: true })
      if (closed !== undefined && state === "firing") yield* announce("AlertResolved", closed, silences, tags)
    })

  /** Evaluate every enabled rule in scope that reads `source` on `device`. */
  const evaluateOn = (
    device: Device,
    wants: (rule: EffectiveRule) => boolean,
    source: (relevant: ReadonlyArray<EffectiveRule>) => Effect.Effect<Source, StoreError>,
  ) =>
    Effect.gen(function* () {
      const relevant = (yield* rules()).filter((r) => r.enabled !== false && inScope(r.scope, device) && wants(r))
      if (relevant.length === 0) return
      const src = yield* source(relevant)
      const open = yield* store.openAlerts(device.name)
      const silences = yield* activeSilences()
      for (const rule of relevant) yield* apply(rule, device, evaluate(rule, src), open, silences)
    })

  /** The newest stored collection of a data type on a device, and the one before it. */
  const rowsSource = (
    device: Device,
    dataType: AlertDataType,
    relevant: ReadonlyArray<AlertRule>,
  ): Effect.Effect<Source, StoreError> =>
    Effect.map(store.newestCollections(device.id, tableOf[dataType], relevant.some(readsPrevious) ? 2 : 1), (rows) => {
      const newest = rows[0]?.["time"]
      const at = newest === undefined ? Number.NaN : ms(newest)
      return {
        kind: "rows",
        dataType,
        current: rows.filter((r) => ms(r["time"]) === at),
        previous: rows.filter((r) => ms(r["time"]) !== at),
      }
    })

  const statusRule = (r: EffectiveRule) => sourceOf(r.condition) === "status"
  const failureRule = (r: EffectiveRule) => sourceOf(r.condition) === "failures"

  const failuresSource = (device: Device, dataType: string): Source => ({
    kind: "failures",
    dataType,
    count: failures.get(`${device.name}\u0000${dataType}`) ?? 0,
  })

  const configSource = (e: Extract<InfraEventWithMeta, { _tag: "ConfigurationChanged" }>) =>
    Effect.map(store.configChangeOf(e.snapshotId), (row): Source => {
      const change: ConfigChange = {
        path: e.path,
        configType: e.configType,
        changeType: e.changeType,
        risk: e.risk,
        snapshotId: e.snapshotId,
        riskRule: (row?.["risk_rule"] as string | undefined) ?? null,
        diffSummary: jsonColumn(row?.["diff_summary"]) ?? null,
      }
      return { kind: "config", change }
    })

  /** One bus event → the rules it concerns, on its device. */
  const handle = (e: InfraEventWithMeta): Effect.Effect<void, unknown> =>
    Effect.gen(function* () {
      switch (e._tag) {
        case "DataCollected": {
          if (e.cache === "hit" || e.cache === "stale") return
          const device = yield* deviceOf(e.device)
          const key = `${device.name}\u0000${e.dataType}`
          if (failures.has(key)) {
            failures.delete(key)
            yield* evaluateOn(device, failureRule, () => Effect.succeed(failuresSource(device, e.dataType)))
          }
          const dataType = e.dataType
          if (!isAlertDataType(dataType)) return
          yield* evaluateOn(
            device,
            (r) => sourceOf(r.condition) === dataType,
            (relevant) => rowsSource(device, dataType, relevant),
          )
          return
        }
        case "CollectionFailed": {
          if (!isTypeFailure(e.error.code)) return
          const device = yield* deviceOf(e.device)
          const key = `${device.name}\u0000${e.dataType}`
          failures.set(key, (failures.get(key) ?? 0) + 1)
          yield* evaluateOn(device, failureRule, () => Effect.succeed(failuresSource(device, e.dataType)))
          return
        }
        case "DeviceStatusChanged": {
          const device = yield* deviceOf(e.device)
          yield* evaluateOn(device, statusRule, () => Effect.succeed<Source>({ kind: "status", status: e.to }))
          return
        }
        case "ConfigurationChanged": {
          const device = yield* deviceOf(e.device)
          yield* evaluateOn(device, (r) => sourceOf(r.condition) === "config", () => configSource(e))
          return
        }
        default:
          return
      }
    })

  /**
   * Timed duties: promote pending alerts whose `for` has passed (their condition held at the
   * last evaluation, else they were dropped), send reminders, close alerts of rules now gone.
   */
  const tick = () =>
    Effect.gen(function* () {
      const open = yield* store.openAlerts()
      if (open.length === 0) return
      const byId = new Map((yield* rules()).map((r) => [r.id, r]))
      const silences = yield* activeSilences()
      const tagsOf = silences.some((s) => s.tag !== null) ? yield* tagsByDevice() : new Map()
      const now = Date.now()
      for (const row of open) {
        const id = Number(row["id"])
        const state = row["state"] as "pending" | "firing"
        const rule = byId.get(String(row["rule_id"]))
        const tags: ReadonlyArray<string> = tagsOf.get(String(row["device_name"])) ?? []
        if (rule === undefined || rule.enabled === false) {
          yield* close(id, state, silences, tags, {})
        } else if (state === "pending" && now - ms(row["started_at"]) >= msOf(rule.for)) {
          const fired = yield* store.updateAlert(id, "pending", { state: "firing", fired: true, notified: true })
          if (fired !== undefined) yield* announce("AlertFiring", fired, silences, tags)
        } else if (state === "firing" && row["acknowledged_at"] == null) {
          const repeat = msOf(rule.repeat_interval)
          const last = row["last_notified_at"] == null ? ms(row["started_at"]) : ms(row["last_notified_at"])
          if (repeat > 0 && now - last >= repeat) {
            const again = yield* store.updateAlert(id, "firing", { notified: true })
            if (again !== undefined) yield* announce("AlertFiring", again, silences, tags, true)
          }
        }
      }
    })

  /** Rules evaluated now against the stored data, nothing written or announced. */
  const test = (rule: AlertRule, devices: ReadonlyArray<Device>) =>
    Effect.gen(function* () {
      const src = sourceOf(rule.condition)
      const out: Array<{ device: string; observations: Evaluation["observations"]; note?: string }> = []
      for (const device of devices.filter((d) => inScope(rule.scope, d))) {
        if (src === "status") {
          out.push({
            device: device.name,
            observations: evaluate(rule, { kind: "status", status: device.status }).observations,
          })
        } else if (src === "failures" || src === "config") {
          out.push({ device: device.name, observations: [], note: `${src} rules are evaluated when events arrive` })
        } else {
          const source = yield* rowsSource(device, src, [rule])
          const note = source.kind === "rows" && source.current.length === 0 ? `no stored ${src} yet` : undefined
          out.push({
            device: device.name,
            observations: evaluate(rule, source).observations,
            ...(note ? { note } : {}),
          })
        }
      }
      return out
    })

  /** Acknowledge; an event alert (a config change) is resolved by it. */
  const acknowledge = (id: number, by: string) =>
    Effect.gen(function* () {
      const row = yield* store.acknowledgeAlert(id, by)
      if (row === undefined) return undefined
      const rule = (yield* rules()).find((r) => r.id === row["rule_id"])
      const silences = yield* activeSilences()
      const tags = (yield* tagsByDevice()).get(String(row["device_name"])) ?? []
      if (rule !== undefined && isEventRule(rule) && row["state"] !== "resolved") {
        yield* close(id, row["state"] as "pending" | "firing", silences, tags, {})
        return alertView((yield* store.getAlert(id)) ?? row, silences, tags)
      }
      return alertView(row, silences, tags)
    })

  return { rules, invalidate, handle, tick, test, acknowledge, alertView, activeSilences, tagsByDevice, settings }
})

export type AlertEngineShape = Effect.Success<typeof makeEngine>

export class AlertEngine extends Context.Service<AlertEngine, AlertEngineShape>()("infrastructor/AlertEngine") {
  /**
   * The engine, and (when alerts are enabled) its two fibers for the life of the layer: one
   * takes bus events in order, one runs the timed duties. A failed evaluation is logged, never fatal.
   */
  static readonly layer = Layer.effect(
    AlertEngine,
    Effect.gen(function* () {
      const engine = yield* makeEngine
      if (!engine.settings.enabled) return engine
      const events = yield* Events
      const queue = yield* Queue.unbounded<InfraEventWithMeta>()
      const wanted = new Set(["DataCollected", "CollectionFailed", "DeviceStatusChanged", "ConfigurationChanged"])
      yield* Effect.acquireRelease(
        Effect.sync(() => events.listen((e) => (wanted.has(e._tag) ? void Queue.offerUnsafe(queue, e) : undefined))),
        (stop) => Effect.sync(stop),
      )
      const logged = (what: string) => (effect: Effect.Effect<void, unknown>) =>
        effect.pipe(Effect.catchCause((cause) => Effect.logWarning(`alerts: ${what} failed`, cause)))
      yield* Effect.forkScoped(
        Effect.forever(Effect.flatMap(Queue.take(queue), (e) => logged(`evaluating ${e._tag}`)(engine.handle(e)))),
      )
      yield* Effect.forkScoped(
        Effect.forever(Effect.andThen(Effect.sleep(engine.settings.tickMs), logged("tick")(engine.tick()))),
      )
      return engine
    }),
  )
}

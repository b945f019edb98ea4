import { Context, Effect, Layer, PubSub, type Scope } from "effect"

/** stale: an expired entry served at once while a refresh runs (cache.stale_while_revalidate). */
export type CacheStatus = "hit" | "miss" | "refresh" | "stale"

/**
 * An alert started firing (or, with `reminder`, is still firing after its repeat interval), or
 * resolved (src/alerts). Notification channels consume these; `silenced` ones are not sent.
 */
export interface AlertEvent {
  readonly _tag: "AlertFiring" | "AlertResolved"
  readonly alertId: number
  readonly ruleId: string
  readonly ruleName: string
  readonly severity: "info" | "warning" | "critical"
  readonly device: string
  readonly subject: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number | null
  readonly threshold: number | null
  readonly summary: string
  /** config_change_risk: snapshot id, the risk rule that fired and the diff summary. */
  readonly details: unknown
  readonly startedAt: string
  readonly silenced: boolean
  readonly reminder: boolean
}

export type InfraEvent =
  | {
    readonly _tag: "DataCollected"
    readonly device: string
    readonly dataType: string
    readonly collectedAt: string
    readonly cache: CacheStatus
    readonly recordsCreated: number
  }
  | {
    readonly _tag: "CollectionFailed"
    readonly device: string
    readonly dataType: string
    readonly error: { readonly code: string; readonly message: string }
  }
  | {
    readonly _tag: "DeviceStatusChanged"
    readonly device: string
    readonly from: string
    readonly to: string
  }
  | {
    /** A tracked config file got a new version (src/configs/history.ts). */
    readonly _tag: "ConfigurationChanged"
    readonly device: string
    readonly path: string
    readonly configType: string
    readonly changeType: "CREATE" | "MODIFY" | "DELETE" | "MOVE"
    readonly risk: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"
    readonly snapshotId: number
    readonly detectionSource: string
  }
  | AlertEvent
  | {
    /** Cached reads dropped on request (DELETE /api/cache); null device/dataType means "all". */
    readonly _tag: "CacheInvalidated"
    readonly device: string | null
    readonly dataType: string | null
    readonly entries: number
    readonly reason: string
  }
  | {
    /**
     * One per pipeline call (hits included), mirroring its audit row: feeds self-observability
     * (rollups, /metrics). Internal telemetry: not streamed over /api/events.
     */
    readonly _tag: "OperationCompleted"
    readonly kind: "collect" | "action"
    readonly device: string
    readonly dataType: string
    readonly method: string
    readonly status: "success" | "error"
    readonly cache: CacheStatus
    readonly durationMs: number
    readonly commands: number
    readonly bytes: number
    readonly recordsCreated: number
    readonly errorCode: string | null
  }

export type InfraEventWithMeta = InfraEvent & { readonly id: number; readonly time: string }

export interface EventsShape {
  readonly publish: (event: InfraEvent) => Effect.Effect<void>
  /** A subscription lives as long as the scope; slow subscribers drop the oldest events. */
  readonly subscribe: Effect.Effect<PubSub.Subscription<InfraEventWithMeta>, never, Scope.Scope>
  /** Plain callback listener for non-Effect code (library API); returns an unsubscribe function. */
  readonly listen: (fn: (e: InfraEventWithMeta) => void) => () => void
}

/** Typed in-process bus. Bounded and sliding: a stuck consumer never blocks collection. */
export class Events extends Context.Service<Events, EventsShape>()("infrastructor/Events") {
  static readonly layer = Layer.effect(
    Events,
    Effect.gen(function* () {
      const hub = yield* PubSub.sliding<InfraEventWithMeta>(4096)
      const listeners = new Set<(e: InfraEventWithMeta) => void>()
      let nextId = 1
      const publish = (event: InfraEvent) =>
        Effect.suspend(() => {
          const full: InfraEventWithMeta = { ...event, id: nextId++, time: new Date().toISOString() }
          for (const fn of listeners) {
            try {
              fn(full)
            } catch {
              // a listener's bug must not break collection
            }
          }
          return PubSub.publish(hub, full)
        }).pipe(Effect.asVoid)
      return Events.of({
        publish,
        subscribe: PubSub.subscribe(hub),
        listen: (fn) => {
          listeners.add(fn)
          return () => listeners.delete(fn)
        },
      })
    }),
  )
}

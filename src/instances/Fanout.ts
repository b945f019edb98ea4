import { Context, Effect, Exit, Layer, Queue, Scope } from "effect"
import { Events, type InfraEventWithMeta } from "../events/Events.ts"
import { internalKinds } from "../observe/events.ts"
import { fnv1a } from "../domain/hash.ts"
import { Store } from "../store/Store.ts"
import { decodeEvents, encodeEvents } from "./wire.ts"

export interface FanoutStatus {
  readonly running: boolean
  /** Why events stay local, when they do. */
  readonly disabled: string | null
  readonly channel: string | null
  readonly sent: number
  readonly received: number
  readonly dropped: number
}

export interface FanoutShape {
  /** Relay local events to the other instances and theirs to the local bus (idempotent). */
  readonly start: Effect.Effect<void>
  readonly stop: Effect.Effect<void>
  readonly status: () => FanoutStatus
}

/** An event republished from another instance carries `origin`; it is never sent on again. */
const isRemote = (e: InfraEventWithMeta): boolean => "origin" in e

/**
 * Events between instances over PostgreSQL LISTEN/NOTIFY. Every local event (not internal
 * telemetry, which each instance rolls up itself) is sent with this instance's id; received ones
 * from other instances are published on the local bus with `origin` set, so any instance's event
 * stream sees every change. The channel is per schema: instances share a schema, tests do not.
 */
export class Fanout extends Context.Service<Fanout, FanoutShape>()("infrastructor/Fanout") {
  static readonly make = (instanceId: string) =>
    Layer.effect(
      Fanout,
      Effect.gen(function* () {
        const store = yield* Store
        const events = yield* Events
        const layerScope = yield* Effect.scope
        let running: Scope.Closeable | undefined
        let channel: string | null = null
        let disabled: string | null = null
        let sent = 0
        let received = 0
        let dropped = 0
        let failing = false

        const startOrFail = Effect.gen(function* () {
          if (running !== undefined) return
          const notifications = store.notifications
          if (notifications === undefined) {
            disabled = `the ${store.backend} store is single-instance: events stay in this process`
            yield* Effect.logInfo("event fan-out off", { reason: disabled })
            return
          }
          const schema = yield* store.currentSchema()
          channel = `infra_events_${fnv1a(schema).toString(16)}`
          const scope = yield* Scope.fork(layerScope)
          const outgoing = yield* Queue.sliding<InfraEventWithMeta>(4096)
          const incoming = yield* Queue.sliding<InfraEventWithMeta | Parameters<typeof events.publish>[0]>(4096)

          const stopListening = events.listen((e) => {
            if (isRemote(e) || internalKinds.has(e._tag)) return
            Queue.offerUnsafe(outgoing, e)
          })
          yield* Scope.addFinalizer(scope, Effect.sync(stopListening))

          const name = channel
          const unlisten = yield* notifications.listen(name, (payload) => {
            const message = decodeEvents(payload)
            if (message === undefined || message.from === instanceId) return
            for (const event of message.events) Queue.offerUnsafe(incoming, event)
          }).pipe(Effect.tapError(() => Scope.close(scope, Exit.void)))
          yield* Scope.addFinalizer(scope, unlisten)

          yield* Effect.forkIn(
            Effect.forever(
              Effect.gen(function* () {
                const batch = yield* Queue.takeAll(outgoing)
                const packed = encodeEvents(instanceId, batch)
                dropped += packed.dropped
                for (const payload of packed.payloads) {
                  yield* notifications.notify(name, payload).pipe(
                    Effect.tap(() =>
                      Effect.suspend(() => {
                        sent += 1
                        if (!failing) return Effect.void
                        failing = false
                        return Effect.logInfo("event fan-out: NOTIFY works again", { dropped })
                      })
                    ),
                    Effect.catch((e) =>
                      Effect.suspend(() => {
                        dropped += 1
                        // Once per outage, not once per batch.
                        if (failing) return Effect.logDebug("event fan-out: NOTIFY failed", e.message)
                        failing = true
                        return Effect.logWarning("event fan-out: NOTIFY failed; events stay local", e.message)
                      })
                    ),
                  )
                }
              }),
            ),
            scope,
          )
          yield* Effect.forkIn(
            Effect.forever(
              Effect.gen(function* () {
                const event = yield* Queue.take(incoming)
                received += 1
                yield* events.publish(event as Parameters<typeof events.publish>[0])
              }),
            ),
            scope,
          )
          running = scope
          disabled = null
          yield* Effect.logInfo("event fan-out on", { channel: name, instance: instanceId })
        })

        // The API keeps working without fan-out: a database that cannot LISTEN only loses cross-instance events.
        const start = startOrFail.pipe(
          Effect.catch((e) =>
            Effect.sync(() => void (disabled = `LISTEN failed: ${e.message}`)).pipe(
              Effect.andThen(Effect.logWarning("event fan-out off", { reason: disabled })),
            )
          ),
        )

        const stop = Effect.suspend(() => {
          const scope = running
          running = undefined
          return scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
        })

        return Fanout.of({
          start,
          stop,
          status: () => ({ running: running !== undefined, disabled, channel, sent, received, dropped }),
        })
      }),
    )
}

import { Context, Effect, Layer } from "effect"
import { Events, type InfraEventWithMeta } from "../events/Events.ts"
import { internalKinds } from "./events.ts"
import { makeRing } from "./ring.ts"

export interface EventLogOptions {
  /** Events kept for Last-Event-ID resume (default 1000). */
  readonly replayBufferSize?: number | undefined
  /** SSE heartbeat comment interval (default 15 s). */
  readonly heartbeatMs?: number | undefined
}

export const defaultReplayBufferSize = 1000
export const defaultHeartbeatMs = 15_000

export interface Replay {
  readonly events: ReadonlyArray<InfraEventWithMeta>
  /** True when events after the requested id were already dropped from the buffer. */
  readonly missed: boolean
  /** Oldest id still buffered (0 when empty). */
  readonly oldestId: number
}

export interface EventLogShape {
  /** Buffered events with id > afterId, oldest first. */
  readonly since: (afterId: number) => Replay
  /** Live, client-facing events for a stream; counted as a subscriber until detached. */
  readonly attach: (fn: (e: InfraEventWithMeta) => void) => () => void
  readonly subscribers: () => number
  /** Highest id seen on the bus in this process (ids restart with the process). */
  readonly lastId: () => number
  /** Client-facing events seen since start, by kind. */
  readonly published: () => ReadonlyMap<string, number>
  readonly heartbeatMs: number
}

/** Bounded replay buffer over the event bus, and the fan-out point for SSE clients. */
export class EventLog extends Context.Service<EventLog, EventLogShape>()("infrastructor/EventLog") {
  static readonly layer = (options: EventLogOptions = {}) =>
    Layer.effect(
      EventLog,
      Effect.gen(function* () {
        const events = yield* Events
        const ring = makeRing<InfraEventWithMeta>(options.replayBufferSize ?? defaultReplayBufferSize)
        const clients = new Set<(e: InfraEventWithMeta) => void>()
        const published = new Map<string, number>()
        let lastId = 0
        let droppedUpTo = 0
        const onEvent = (e: InfraEventWithMeta) => {
          lastId = Math.max(lastId, e.id)
          if (internalKinds.has(e._tag)) return
          published.set(e._tag, (published.get(e._tag) ?? 0) + 1)
          const dropped = ring.push(e)
          if (dropped !== undefined) droppedUpTo = dropped.id
          for (const fn of clients) {
            try {
              fn(e)
            } catch {
              // one broken client must not starve the others
            }
          }
        }
        yield* Effect.acquireRelease(Effect.sync(() => events.listen(onEvent)), (stop) => Effect.sync(stop))
        return EventLog.of({
          since: (afterId) => {
            const all = ring.toArray()
            return {
              events: all.filter((e) => e.id > afterId),
              missed: afterId < droppedUpTo,
              oldestId: all[0]?.id ?? 0,
            }
          },
          attach: (fn) => {
            // a fresh wrapper per attach, so attaching one function twice counts twice
            const entry = (e: InfraEventWithMeta) => fn(e)
            clients.add(entry)
            return () => {
              clients.delete(entry)
            }
          },
          subscribers: () => clients.size,
          lastId: () => lastId,
          published: () => published,
          heartbeatMs: Math.max(10, options.heartbeatMs ?? defaultHeartbeatMs),
        })
      }),
    )
}

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

/**
 * Why a resuming client may have lost events: what it asked for was dropped from the buffer
 * ("evicted"), or its id is not one of this process's (ids restart with the process, so it is
 * from before a restart or from another instance: "unknown_id").
 */
export interface ReplayGap {
  readonly reason: "evicted" | "unknown_id"
  readonly requested_after: number
  /** Oldest and newest ids still buffered (0 when the buffer is empty). */
  readonly oldest_available: number
  readonly newest_available: number
}

export interface Replay {
  /** Buffered events the client missed, oldest first. */
  readonly events: ReadonlyArray<InfraEventWithMeta>
  /** Set when the client may have missed events that can no longer be replayed. */
  readonly gap: ReplayGap | undefined
  /** The replay starts after this id: live events at or below it were already sent or not wanted. */
  readonly after: number
}

export interface EventLogShape {
  /**
   * Where a new stream starts. Without a Last-Event-ID (undefined): now, nothing replayed. With one:
   * the buffered events after it, and a gap when some of what it missed is gone; an id this process
   * never issued replays the whole buffer, with a gap. Call it right after `attach`, in the same tick,
   * so that no event falls between the two.
   */
  readonly resume: (lastEventId: number | undefined) => Replay
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
          resume: (lastEventId) => {
            if (lastEventId === undefined) return { events: [], gap: undefined, after: lastId }
            const all = ring.toArray()
            const span = { oldest_available: all[0]?.id ?? 0, newest_available: all[all.length - 1]?.id ?? 0 }
            if (lastEventId > lastId) {
              // Not an id of this process: everything buffered is news to the client, and what
              // happened between its id and this process's start is gone.
              return {
                events: all,
                gap: { reason: "unknown_id", requested_after: lastEventId, ...span },
                after: 0,
              }
            }
            return {
              events: all.filter((e) => e.id > lastEventId),
              gap: lastEventId < droppedUpTo ? { reason: "evicted", requested_after: lastEventId, ...span } : undefined,
              after: lastEventId,
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

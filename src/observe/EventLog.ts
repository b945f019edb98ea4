import { Context, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
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
 * A stream event id: `<epoch>-<seq>`, where the epoch names this run of the process (random, base36)
 * and seq is the bus's event id, which restarts from 1 with the process. The epoch is what tells an
 * id from before a restart (or from another instance) apart from one of ours with the same seq.
 */
export const formatEventId = (epoch: string, seq: number): string => `${epoch}-${seq}`

/**
 * An id a client sent back: the epoch and seq of one we issued, or undefined when it is not in our
 * format at all. A bare `0` means "from the start of this run" (the whole buffer) whatever the epoch.
 */
export const parseEventId = (raw: string): { readonly epoch: string | undefined; readonly seq: number } | undefined => {
  if (raw === "0") return { epoch: undefined, seq: 0 }
  const m = /^([0-9a-z]{1,32})-(\d{1,15})$/.exec(raw)
  return m === null ? undefined : { epoch: m[1]!, seq: Number(m[2]) }
}

/** A fresh epoch: 64 random bits in base36, so two runs (or two instances) never share one. */
export const newEpoch = (): string => BigInt(`0x${randomBytes(8).toString("hex")}`).toString(36)

/**
 * Why a resuming client may have lost events: what it asked for was dropped from the buffer
 * ("evicted"), or its id is not one of this run's (another epoch: from before a restart or from
 * another instance; or not an id we issue at all: "unknown_id").
 */
export interface ReplayGap {
  readonly reason: "evicted" | "unknown_id"
  /** The Last-Event-ID as the client sent it (cut to 100 characters). */
  readonly requested_after: string
  /** Oldest and newest ids still buffered (null when the buffer is empty). */
  readonly oldest_available: string | null
  readonly newest_available: string | null
}

export interface Replay {
  /** Buffered events the client missed, oldest first. */
  readonly events: ReadonlyArray<InfraEventWithMeta>
  /** Set when the client may have missed events that can no longer be replayed. */
  readonly gap: ReplayGap | undefined
  /** The replay starts after this seq: live events at or below it were already sent or not wanted. */
  readonly after: number
}

export interface EventLogShape {
  /**
   * Where a new stream starts. Without a Last-Event-ID (undefined or blank): now, nothing replayed.
   * With one of this epoch: the buffered events after it, and a gap when some of what it missed is
   * gone. An id of another epoch, one this run never issued, or one not in our format replays the
   * whole buffer, after an "unknown_id" gap. Call it right after `attach`, in the same tick, so that
   * no event falls between the two.
   */
  readonly resume: (lastEventId: string | undefined) => Replay
  /** This run's epoch (see formatEventId). */
  readonly epoch: string
  /** The stream id of a bus event id: `<epoch>-<seq>`. */
  readonly eventId: (seq: number) => string
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
        const epoch = newEpoch()
        const eventId = (seq: number) => formatEventId(epoch, seq)
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
          resume: (raw) => {
            const sent = raw?.trim() ?? ""
            if (sent === "") return { events: [], gap: undefined, after: lastId }
            const all = ring.toArray()
            const first = all[0]
            const last = all[all.length - 1]
            const span = {
              oldest_available: first === undefined ? null : eventId(first.id),
              newest_available: last === undefined ? null : eventId(last.id),
            }
            const requested_after = sent.slice(0, 100)
            const parsed = parseEventId(sent)
            if (parsed === undefined || (parsed.epoch !== undefined && parsed.epoch !== epoch) || parsed.seq > lastId) {
              // Not an id of this run: everything buffered is news to the client, and what happened
              // between its id and this run's start is gone.
              return { events: all, gap: { reason: "unknown_id", requested_after, ...span }, after: 0 }
            }
            const after = parsed.seq
            return {
              events: all.filter((e) => e.id > after),
              gap: after < droppedUpTo ? { reason: "evicted", requested_after, ...span } : undefined,
              after,
            }
          },
          epoch,
          eventId,
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

import { Exit } from "effect"
import { Hono } from "hono"
import { streamSSE } from "hono/streaming"
import { Admin } from "../app/admin.ts"
import { ValidationError } from "../domain/errors.ts"
import type { InfraEventWithMeta } from "../events/Events.ts"
import type { EventLogShape } from "../observe/EventLog.ts"
import type { Bridge } from "./bridge.ts"
import { toHttpError } from "./errors.ts"

export interface EventFilter {
  readonly devices?: ReadonlySet<string> | undefined
  readonly dataTypes?: ReadonlySet<string> | undefined
  readonly kinds?: ReadonlySet<string> | undefined
}

const listParam = (name: string, raw: string | undefined): ReadonlySet<string> | undefined => {
  if (raw === undefined || raw.trim() === "") return undefined
  const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (items.length > 100 || items.some((s) => s.length > 200)) {
    throw new ValidationError({ message: `${name} must be a comma list of at most 100 names` })
  }
  return items.length === 0 ? undefined : new Set(items)
}

export const parseEventFilter = (query: (name: string) => string | undefined): EventFilter => ({
  devices: listParam("device", query("device")),
  dataTypes: listParam("data_type", query("data_type")),
  kinds: listParam("kind", query("kind")),
})

/**
 * A filter on a field applies to events that carry it: an event without the field (a status
 * change has no data type) is left out; null means "all" (a cache-wide invalidation) and passes.
 */
const fieldPasses = (set: ReadonlySet<string> | undefined, value: unknown): boolean => {
  if (set === undefined) return true
  if (value === null) return true
  return typeof value === "string" && set.has(value)
}

export const eventMatches = (f: EventFilter, e: InfraEventWithMeta): boolean => {
  const fields = e as unknown as Record<string, unknown>
  return (f.kinds === undefined || f.kinds.has(e._tag)) &&
    fieldPasses(f.devices, fields["device"]) &&
    fieldPasses(f.dataTypes, fields["dataType"])
}

/**
 * Last-Event-ID header (EventSource reconnects) or last_event_id query (first connection); undefined
 * when neither was sent. Any text is accepted: what it means is the event log's to say (an empty one,
 * as EventSource sends before its first id, is none; one that is not ours gets a ReplayGap), so that
 * a reconnecting EventSource is never refused, which would end its retries for good.
 */
export const lastEventIdOf = (header: string | undefined, query: string | undefined): string | undefined =>
  header ?? query

/** Events a client may fall behind by before it is cut off (it can resume with Last-Event-ID). */
const maxQueued = 10_000

/** How often an open stream re-checks its token: a revoked token's stream ends within this. */
export const REAUTH_INTERVAL_MS = 500

/**
 * GET /api/events: Server-Sent Events with filters and heartbeats. Event ids are `<epoch>-<seq>`
 * (see EventLog): a client that sends no Last-Event-ID gets the events from now on; one that sends
 * an id of this run gets what it missed after it from the replay buffer, first told by a `ReplayGap`
 * event (no id) when some of that is gone; one that sends any other id (before a restart, another
 * instance's, malformed) gets a `ReplayGap` and the whole buffer, then live events.
 */
export const eventRoutes = (bridge: Bridge<Admin>, log: EventLogShape): Hono => {
  const app = new Hono()

  app.get("/api/events", async (c) => {
    const allowed = await bridge.exit(c, Admin.use((a) => a.events()))
    if (Exit.isFailure(allowed)) return bridge.respond(c, allowed)
    let filter: EventFilter
    const lastEventId = lastEventIdOf(c.req.header("last-event-id"), c.req.query("last_event_id"))
    try {
      filter = parseEventFilter((n) => c.req.query(n))
    } catch (e) {
      const http = toHttpError(e)
      return c.json(http.body, http.status)
    }
    c.header("X-Accel-Buffering", "no")
    return streamSSE(c, async (stream) => {
      const queue: Array<InfraEventWithMeta> = []
      let wake: (() => void) | undefined
      let closed = false
      const close = () => {
        closed = true
        wake?.()
      }
      // Attach, then read where to start in the same tick: nothing published in between is lost
      // or counted twice (what the replay already sent is skipped by id).
      const detach = log.attach((e) => {
        if (!eventMatches(filter, e)) return
        if (queue.length >= maxQueued) return close()
        queue.push(e)
        wake?.()
      })
      const replay = log.resume(lastEventId)
      stream.onAbort(close)
      c.req.raw.signal.addEventListener("abort", close)
      const stillAuthorized = c.get("stillAuthorized")
      const reauth = setInterval(() => {
        if (closed || stillAuthorized === undefined) return
        stillAuthorized().then((ok) => {
          if (!ok) close()
        }, close)
      }, REAUTH_INTERVAL_MS)
      const heartbeat = setInterval(() => {
        void stream.write(": heartbeat\n\n")
      }, log.heartbeatMs)
      try {
        await stream.write(": connected\n\n")
        let lastSent = replay.after
        // No id: a client's own last id stays the last event it really received.
        if (replay.gap !== undefined) await stream.writeSSE({ event: "ReplayGap", data: JSON.stringify(replay.gap) })
        const send = async (e: InfraEventWithMeta) => {
          if (e.id <= lastSent) return
          lastSent = e.id
          // The data's id is the stream id too, so either one can be sent back as Last-Event-ID.
          const id = log.eventId(e.id)
          await stream.writeSSE({ id, event: e._tag, data: JSON.stringify({ ...e, id }) })
        }
        for (const e of replay.events) if (eventMatches(filter, e)) await send(e)
        while (!closed && !stream.aborted) {
          const next = queue.shift()
          if (next !== undefined) {
            await send(next)
            continue
          }
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          wake = undefined
        }
      } finally {
        clearInterval(heartbeat)
        clearInterval(reauth)
        detach()
        c.req.raw.signal.removeEventListener("abort", close)
      }
    })
  })

  return app
}

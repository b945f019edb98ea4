import { Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"
import { toStoreError } from "./errors.ts"
import type { SqlClient } from "./SqlClient.ts"

/**
 * PostgreSQL LISTEN/NOTIFY, for fanning events out between instances sharing a database.
 * Only the PostgreSQL backend offers it: PGlite is one process, so there is nobody to tell.
 * Channels are database-wide (not per schema); callers put the schema in the channel name.
 */
export interface StoreNotifications {
  /** Subscribe; the returned effect unsubscribes. postgres.js re-listens by itself after a reconnect. */
  readonly listen: (
    channel: string,
    onMessage: (payload: string) => void,
  ) => Effect.Effect<Effect.Effect<void>, StoreError>
  /** pg_notify(channel, payload); payloads must stay under 8000 bytes. */
  readonly notify: (channel: string, payload: string) => Effect.Effect<void, StoreError>
}

/** Notifications over a client that can do them, else undefined. */
export const makeNotifications = (client: SqlClient): StoreNotifications | undefined => {
  const { listen, notify } = client
  if (listen === undefined || notify === undefined) return undefined
  return {
    listen: (channel, onMessage) =>
      Effect.map(
        Effect.tryPromise({ try: () => listen(channel, onMessage), catch: (e) => toStoreError("listen", e) }),
        (unlisten) => Effect.promise(() => unlisten().catch(() => undefined)),
      ),
    notify: (channel, payload) =>
      Effect.tryPromise({ try: () => notify(channel, payload), catch: (e) => toStoreError("notify", e) }),
  }
}

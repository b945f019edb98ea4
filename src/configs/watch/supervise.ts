import { Effect, Schedule } from "effect"
import type { Device } from "../../domain/device.ts"
import { Ownership } from "../../instances/Ownership.ts"
import { Store } from "../../store/Store.ts"
import { Watcher } from "./Watcher.ts"

/** How often watches are reconciled with the device list (adds, edits, removals, leases). */
export const WATCH_RECONCILE = Schedule.spaced("15 seconds")

/** A watch restarts when anything that shapes it changes: connection details or capabilities. */
const watchKey = (d: Device): string => `${d.id}|${d.updatedAt.getTime()}`

/**
 * Keep exactly the enabled devices this instance owns under watch. Runs until interrupted;
 * interruption stops every watch. Ownership changes trigger an immediate pass.
 */
export const superviseWatches = Effect.gen(function* () {
  const watcher = yield* Watcher
  const store = yield* Store
  const ownership = yield* Ownership
  const watched = new Map<string, string>() // device name → watchKey

  const reconcile = Effect.gen(function* () {
    const devices = yield* store.listDevices()
    const wanted = new Map(
      devices
        .filter((d) => ownership.owns(d.id) && watcher.watches(d))
        .map((d) => [d.name, d] as const),
    )
    for (const [name] of watched) {
      if (!wanted.has(name)) {
        yield* watcher.stopDevice(name)
        watched.delete(name)
      }
    }
    for (const [name, d] of wanted) {
      const key = watchKey(d)
      if (watched.get(name) === key) continue
      yield* watcher.startDevice(d.id).pipe(Effect.catchTag("DeviceNotFound", () => Effect.void))
      watched.set(name, key)
    }
  }).pipe(
    Effect.catch((e) => Effect.logWarning("watch reconcile failed", String(e))),
    // One span per pass: the supervisor itself runs for the life of the process.
    Effect.withSpan("Watcher.reconcile"),
  )

  const unsubscribe = ownership.onChange(() => reconcile)
  yield* Effect.addFinalizer(() => Effect.andThen(Effect.sync(unsubscribe), watcher.stop()))
  yield* reconcile.pipe(Effect.repeat(WATCH_RECONCILE))
}).pipe(Effect.scoped)

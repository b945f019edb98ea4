import { Layer } from "effect"
import { Fanout } from "../instances/Fanout.ts"
import { Ownership } from "../instances/Ownership.ts"
import { Store } from "../store/Store.ts"
import { DeviceHealth } from "../pipeline/DeviceHealth.ts"
import { Scheduler } from "./Scheduler.ts"
import { defaultSchedulerSettings, type SchedulerSettings } from "./settings.ts"

/** "auto": leases when the store is PostgreSQL (several instances may share it), else one owner. */
export const ownershipLayer = (settings: SchedulerSettings) =>
  Layer.unwrap(
    Store.useSync((store) =>
      Ownership.make({
        instanceId: settings.instanceId,
        leaseTtlMs: settings.leaseTtlMs,
        mode: settings.ownership === "auto" ? (store.backend === "postgres" ? "leases" : "single") : settings.ownership,
      })
    ),
  )

/**
 * The scheduler's layers, by where they sit in the graph: `health` under the Collector (which
 * reports every result to it), `instances` (ownership, event fan-out) under anything that polls
 * or watches, and `scheduler` on top. Nothing runs until Scheduler.start.
 */
export const schedulerLayers = (settings: SchedulerSettings = defaultSchedulerSettings()) => ({
  health: DeviceHealth.make(settings.health),
  instances: Layer.mergeAll(ownershipLayer(settings), Fanout.make(settings.instanceId)),
  scheduler: Scheduler.make(settings),
})

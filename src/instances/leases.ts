import { Effect } from "effect"
import os from "node:os"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"

/** This instance's view of the lease tables: its id and TTL bound into the store's lease repository. */
export const instanceLeases = (store: StoreShape, instanceId: string, ttlMs: number) => {
  const ttlSeconds = ttlMs / 1000

  /** Heartbeat: this instance is alive for one more TTL. */
  const heartbeat = (): Effect.Effect<void, StoreError> =>
    store.heartbeatInstance(instanceId, os.hostname(), process.pid, ttlSeconds)

  /** Another live process already using this instance id (a misconfiguration: both would poll the same devices). */
  const liveTwin = (): Effect.Effect<{ hostname: string; pid: number } | undefined, StoreError> =>
    Effect.map(
      store.liveInstance(instanceId),
      (row) =>
        row !== undefined && (row.hostname !== os.hostname() || row.pid !== process.pid)
          ? { hostname: row.hostname, pid: row.pid }
          : undefined,
    )

  /**
   * Every registered instance and whether its heartbeat is live (this one included once it has
   * sent one). A row that lapsed is still there until swept or left: after an outage it tells an
   * instance that lapsed only because nobody could renew from one that left.
   */
  const instances = (): Effect.Effect<Array<{ instanceId: string; live: boolean }>, StoreError> => store.listInstances()

  const enabledDevices = (): Effect.Effect<Array<number>, StoreError> => store.enabledDeviceIds()

  /** Every lease with whether it is still live, as the database sees it. */
  const leases = (): Effect.Effect<Array<{ deviceId: number; owner: string; live: boolean }>, StoreError> =>
    store.listLeases()

  /**
   * Acquire or renew, atomically: only a row that has expired or is ours is taken.
   * Returns the device ids this instance holds afterwards (of those asked for).
   */
  const acquire = (deviceIds: ReadonlyArray<number>): Effect.Effect<Array<number>, StoreError> =>
    store.acquireLeases(instanceId, ttlSeconds, deviceIds)

  /** Give leases back so another instance can take them at once (only rows we still own). */
  const release = (deviceIds: ReadonlyArray<number> | "all"): Effect.Effect<void, StoreError> =>
    store.releaseLeases(instanceId, deviceIds)

  /** Leave the cluster: others stop counting this instance at once. */
  const leave = (): Effect.Effect<void, StoreError> => store.removeInstance(instanceId)

  /** Old dead rows are swept too. */
  const sweep = (): Effect.Effect<void, StoreError> => store.sweepInstances()

  return { heartbeat, liveTwin, instances, enabledDevices, leases, acquire, release, leave, sweep }
}

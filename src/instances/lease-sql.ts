import { Effect } from "effect"
import os from "node:os"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"

/** The SQL behind leases; every statement is one round trip and safe to race with other instances. */
export const leaseSql = (store: StoreShape, instanceId: string, ttlMs: number) => {
  const ttlSeconds = ttlMs / 1000

  /** Heartbeat: this instance is alive for one more TTL. */
  const heartbeat = (): Effect.Effect<void, StoreError> =>
    Effect.asVoid(
      store.query(
        `INSERT INTO scheduler_instances (instance_id, hostname, pid, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision))
         ON CONFLICT (instance_id) DO UPDATE
           SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at`,
        [instanceId, os.hostname(), process.pid, ttlSeconds],
      ),
    )

  /** Another live process already using this instance id (a misconfiguration: both would poll the same devices). */
  const liveTwin = (): Effect.Effect<{ hostname: string; pid: number } | undefined, StoreError> =>
    Effect.map(
      store.query<{ hostname: string; pid: number }>(
        "SELECT hostname, pid FROM scheduler_instances WHERE instance_id = $1 AND expires_at > now()",
        [instanceId],
      ),
      (rows) => {
        const row = rows[0]
        return row !== undefined && (row.hostname !== os.hostname() || Number(row.pid) !== process.pid)
          ? row
          : undefined
      },
    )

  /**
   * Every registered instance and whether its heartbeat is live (this one included once it has
   * sent one). A row that lapsed is still there until swept or left: after an outage it tells an
   * instance that lapsed only because nobody could renew from one that left.
   */
  const instances = (): Effect.Effect<Array<{ instanceId: string; live: boolean }>, StoreError> =>
    Effect.map(
      store.query<{ instance_id: string; live: boolean }>(
        "SELECT instance_id, expires_at > now() AS live FROM scheduler_instances ORDER BY instance_id",
      ),
      (rows) => rows.map((r) => ({ instanceId: r.instance_id, live: r.live === true })),
    )

  const enabledDevices = (): Effect.Effect<Array<number>, StoreError> =>
    Effect.map(
      store.query<{ id: number }>("SELECT id FROM devices WHERE enabled ORDER BY id"),
      (rows) => rows.map((r) => Number(r.id)),
    )

  /** Every lease with whether it is still live, as the database sees it. */
  const leases = (): Effect.Effect<Array<{ deviceId: number; owner: string; live: boolean }>, StoreError> =>
    Effect.map(
      store.query<{ device_id: number; owner: string; live: boolean }>(
        "SELECT device_id, owner, expires_at > now() AS live FROM scheduler_leases",
      ),
      (rows) => rows.map((r) => ({ deviceId: Number(r.device_id), owner: r.owner, live: r.live === true })),
    )

  /**
   * Acquire or renew, atomically: the UPSERT only takes a row that has expired or is ours.
   * Returns the device ids this instance holds afterwards (of those asked for).
   */
  const acquire = (deviceIds: ReadonlyArray<number>): Effect.Effect<Array<number>, StoreError> =>
    deviceIds.length === 0 ? Effect.succeed([]) : Effect.map(
      store.query<{ device_id: number }>(
        `INSERT INTO scheduler_leases AS l (device_id, owner, expires_at)
         SELECT d.id, $1, now() + make_interval(secs => $2::double precision)
           FROM devices d
          WHERE d.id IN (SELECT (jsonb_array_elements_text($3::jsonb))::integer)
         ON CONFLICT (device_id) DO UPDATE
           SET owner = EXCLUDED.owner,
               expires_at = EXCLUDED.expires_at,
               renewed_at = now(),
               acquired_at = CASE WHEN l.owner = EXCLUDED.owner THEN l.acquired_at ELSE now() END
         WHERE l.expires_at < now() OR l.owner = EXCLUDED.owner
         RETURNING device_id`,
        [instanceId, ttlSeconds, JSON.stringify(deviceIds)],
      ),
      (rows) => rows.map((r) => Number(r.device_id)),
    )

  /** Give leases back so another instance can take them at once (only rows we still own). */
  const release = (deviceIds: ReadonlyArray<number> | "all"): Effect.Effect<void, StoreError> =>
    deviceIds === "all"
      ? Effect.asVoid(store.query("DELETE FROM scheduler_leases WHERE owner = $1", [instanceId]))
      : deviceIds.length === 0
      ? Effect.void
      : Effect.asVoid(
        store.query(
          `DELETE FROM scheduler_leases
            WHERE owner = $1 AND device_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::integer)`,
          [instanceId, JSON.stringify(deviceIds)],
        ),
      )

  /** Leave the cluster: others stop counting this instance at once. Old dead rows are swept too. */
  const leave = (): Effect.Effect<void, StoreError> =>
    Effect.asVoid(store.query("DELETE FROM scheduler_instances WHERE instance_id = $1", [instanceId]))

  const sweep = (): Effect.Effect<void, StoreError> =>
    Effect.asVoid(store.query("DELETE FROM scheduler_instances WHERE expires_at < now() - interval '1 hour'"))

  return { heartbeat, liveTwin, instances, enabledDevices, leases, acquire, release, leave, sweep }
}

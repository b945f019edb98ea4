import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import type { Sql } from "./sql.ts"

export interface LeaseRow {
  readonly deviceId: number
  readonly owner: string
  /** Still live, as the database clock sees it. */
  readonly live: boolean
}

/**
 * Scheduler instances and device leases (scheduler_instances, scheduler_leases). Every statement
 * is one round trip and safe to race with other instances.
 */
export interface LeasesRepo {
  /** This instance is alive for ttlSeconds more. */
  readonly heartbeatInstance: (
    instanceId: string,
    hostname: string,
    pid: number,
    ttlSeconds: number,
  ) => Effect.Effect<void, StoreError>
  /** The live registration of an instance id, if any. */
  readonly liveInstance: (
    instanceId: string,
  ) => Effect.Effect<{ readonly hostname: string; readonly pid: number } | undefined, StoreError>
  /** Every registered instance and whether its heartbeat is live. */
  readonly listInstances: () => Effect.Effect<
    Array<{ readonly instanceId: string; readonly live: boolean }>,
    StoreError
  >
  readonly listLeases: () => Effect.Effect<Array<LeaseRow>, StoreError>
  /** Acquire or renew: only rows that expired or are ours. The device ids held afterwards (of those asked for). */
  readonly acquireLeases: (
    instanceId: string,
    ttlSeconds: number,
    deviceIds: ReadonlyArray<number>,
  ) => Effect.Effect<Array<number>, StoreError>
  /** Give leases back (only rows still owned by instanceId). */
  readonly releaseLeases: (
    instanceId: string,
    deviceIds: ReadonlyArray<number> | "all",
  ) => Effect.Effect<void, StoreError>
  readonly removeInstance: (instanceId: string) => Effect.Effect<void, StoreError>
  /** Forget instances dead for over an hour. */
  readonly sweepInstances: () => Effect.Effect<void, StoreError>
}

export const makeLeasesRepo = (sql: Sql): LeasesRepo => ({
  heartbeatInstance: (instanceId, hostname, pid, ttlSeconds) =>
    Effect.asVoid(
      sql.run(
        "heartbeatInstance",
        `INSERT INTO scheduler_instances (instance_id, hostname, pid, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision))
         ON CONFLICT (instance_id) DO UPDATE
           SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at`,
        [instanceId, hostname, pid, ttlSeconds],
      ),
    ),

  liveInstance: (instanceId) =>
    Effect.map(
      sql.rows<{ hostname: string; pid: number }>(
        "liveInstance",
        "SELECT hostname, pid FROM scheduler_instances WHERE instance_id = $1 AND expires_at > now()",
        [instanceId],
      ),
      (rows) => rows[0] === undefined ? undefined : { hostname: String(rows[0].hostname), pid: Number(rows[0].pid) },
    ),

  listInstances: () =>
    Effect.map(
      sql.rows<{ instance_id: string; live: boolean }>(
        "listInstances",
        "SELECT instance_id, expires_at > now() AS live FROM scheduler_instances ORDER BY instance_id",
      ),
      (rows) => rows.map((r) => ({ instanceId: r.instance_id, live: r.live === true })),
    ),

  listLeases: () =>
    Effect.map(
      sql.rows<{ device_id: number; owner: string; live: boolean }>(
        "listLeases",
        "SELECT device_id, owner, expires_at > now() AS live FROM scheduler_leases",
      ),
      (rows) => rows.map((r) => ({ deviceId: Number(r.device_id), owner: r.owner, live: r.live === true })),
    ),

  acquireLeases: Effect.fn("Store.acquireLeases")((
    instanceId: string,
    ttlSeconds: number,
    deviceIds: ReadonlyArray<number>,
  ): Effect.Effect<Array<number>, StoreError> =>
    deviceIds.length === 0 ? Effect.succeed([]) : Effect.map(
      sql.rows<{ device_id: number }>(
        "acquireLeases",
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
  ),

  releaseLeases: (instanceId, deviceIds) =>
    deviceIds === "all"
      ? Effect.asVoid(sql.run("releaseLeases", "DELETE FROM scheduler_leases WHERE owner = $1", [instanceId]))
      : deviceIds.length === 0
      ? Effect.void
      : Effect.asVoid(
        sql.run(
          "releaseLeases",
          `DELETE FROM scheduler_leases
            WHERE owner = $1 AND device_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::integer)`,
          [instanceId, JSON.stringify(deviceIds)],
        ),
      ),

  removeInstance: (instanceId) =>
    Effect.asVoid(sql.run("removeInstance", "DELETE FROM scheduler_instances WHERE instance_id = $1", [instanceId])),

  sweepInstances: () =>
    Effect.asVoid(
      sql.run("sweepInstances", "DELETE FROM scheduler_instances WHERE expires_at < now() - interval '1 hour'"),
    ),
})

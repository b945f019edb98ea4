import { Effect } from "effect"
import type { HostKeysShape } from "../ssh/HostKeys.ts"
import { makeNotifications } from "./notify.ts"
import { registerRawQuery } from "./raw-sql.ts"
import { makeAlertsRepo } from "./repos/alerts.ts"
import { makeAuditRepo } from "./repos/audit.ts"
import { makeConfigsRepo } from "./repos/configs.ts"
import { makeDevicesRepo } from "./repos/devices.ts"
import { makeFleetRepo } from "./repos/fleet.ts"
import { makeHostKeysRepo } from "./repos/host-keys.ts"
import { makeLeasesRepo } from "./repos/leases.ts"
import { makeMaintenanceRepo } from "./repos/maintenance.ts"
import { makeMetricsRepo } from "./repos/metrics.ts"
import { makeSeriesRepo } from "./repos/series.ts"
import { makeSql } from "./repos/sql.ts"
import { makeTokensRepo } from "./repos/tokens.ts"
import { type SecretKey, secretKeyFromEnv } from "./secrets.ts"
import type { SqlClient } from "./SqlClient.ts"
import type { StoreConnection, StoreShape } from "./Store.ts"

export interface MakeStoreOptions {
  /** Key for device passwords at rest (default: INFRA_SECRET_KEY from the environment). */
  readonly secretKey?: SecretKey | undefined
}

/** Every repository over one client, composed into the Store. */
export const makeStore = (client: SqlClient, storeOptions: MakeStoreOptions = {}): StoreShape => {
  const sql = makeSql(client)
  const connection: StoreConnection = {
    backend: client.backend,
    ping: () => Effect.asVoid(sql.run("ping", "SELECT 1")),
    notifications: makeNotifications(client),
    close: () => Effect.promise(() => client.close().catch(() => undefined)),
  }
  const store: StoreShape = {
    ...connection,
    ...makeDevicesRepo(sql, storeOptions.secretKey ?? secretKeyFromEnv()),
    ...makeSeriesRepo(sql),
    ...makeAuditRepo(sql),
    ...makeConfigsRepo(sql),
    ...makeLeasesRepo(sql),
    ...makeTokensRepo(sql),
    ...makeMetricsRepo(sql),
    ...makeMaintenanceRepo(sql),
    ...makeFleetRepo(sql),
    ...makeAlertsRepo(sql),
  }
  registerRawQuery(store, (text, params) => sql.rows("query", text, params))
  return store
}

/** Trusted SSH host keys in the host_keys table (the HostKeys service of the ssh floor). */
export const makeHostKeys = (client: SqlClient): HostKeysShape => makeHostKeysRepo(makeSql(client))

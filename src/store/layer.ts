import { Context, Effect, Layer } from "effect"
import { StoreError } from "../domain/errors.ts"
import { HostKeys } from "../ssh/HostKeys.ts"
import { toStoreError } from "./errors.ts"
import { makeHostKeys, makeStore } from "./makeStore.ts"
import { runMigrations } from "./migrations.ts"
import { openPglite } from "./pglite.ts"
import { openPostgres } from "./postgres.ts"
import { isPlainIdentifier, type SqlClient } from "./SqlClient.ts"
import { packageMigrations } from "./sqlDir.ts"
import { Store } from "./Store.ts"

export interface StoreOptions {
  /** postgres://... : use PostgreSQL. Otherwise embedded PGlite. */
  readonly databaseUrl?: string | undefined
  /** PGlite data directory; undefined or "memory://" keeps it in memory. */
  readonly dataDir?: string | undefined
  /** Create this schema if missing and use it as search_path (tests isolate with one schema each). */
  readonly schema?: string | undefined
}

/** Opens the backend client (no migrations). Fails with StoreError, unavailable when unreachable. */
export const openSqlClient = (options: StoreOptions): Effect.Effect<SqlClient, StoreError> => {
  if (options.schema !== undefined && !isPlainIdentifier(options.schema)) {
    return Effect.fail(
      new StoreError({
        op: "open",
        message: `invalid schema name ${JSON.stringify(options.schema)}`,
        unavailable: false,
      }),
    )
  }
  const url = options.databaseUrl
  return Effect.tryPromise({
    try: () =>
      url !== undefined && url !== ""
        ? openPostgres({ databaseUrl: url, schema: options.schema })
        : openPglite({ dataDir: options.dataDir, schema: options.schema }),
    catch: (e) => toStoreError("open", e),
  })
}

/** Applies pending sql/NNN_*.sql migrations; returns the versions applied now. */
export const migrate = (client: SqlClient): Effect.Effect<Array<number>, StoreError> =>
  Effect.tryPromise({
    try: () => runMigrations(client, packageMigrations()),
    catch: (e) => toStoreError("migrate", e),
  })

/** Store + HostKeys over one client; the client is closed when the layer is released. */
export const makeStoreLayer = (options: StoreOptions): Layer.Layer<Store | HostKeys, StoreError> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const client = yield* Effect.acquireRelease(openSqlClient(options), (c) =>
        Effect.promise(() => c.close().catch(() => undefined)))
      yield* migrate(client)
      return Context.make(Store, makeStore(client)).pipe(Context.add(HostKeys, makeHostKeys(client)))
    }),
  )

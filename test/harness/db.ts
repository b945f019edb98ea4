import { testQuery } from "../../src/store/raw-sql.ts"
import process from "node:process"
import { clearTimeout, setTimeout } from "node:timers"
import { Context, Effect, Layer } from "effect"
import { StoreError } from "../../src/domain/errors.ts"
import type { HostKeys } from "../../src/ssh/HostKeys.ts"
import { toStoreError } from "../../src/store/errors.ts"
import { makeStoreLayer, type StoreOptions } from "../../src/store/layer.ts"
import { retainPglite } from "../../src/store/pglite.ts"
import { Store } from "../../src/store/Store.ts"

export interface TestBackend {
  readonly name: "pglite" | "postgres"
  /** A fresh Store/HostKeys on its own schema; the schema is dropped when the layer is released. */
  readonly layer: (schema: string) => Layer.Layer<Store | HostKeys, StoreError>
  /**
   * Options for makeStoreLayer/openSqlClient on this backend, for tests that build layers
   * themselves. On PGlite, do that while a `layer(...)` is in use, or the in-memory instance
   * (and its data) goes away when the last client closes.
   */
  readonly options: (schema: string) => StoreOptions
}

let counter = 0

/** A schema name unique within this run and across concurrent runs on one database. */
export const uniqueSchema = (prefix: string): string => {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 24)
  counter += 1
  const random = Math.random().toString(36).slice(2, 8)
  return `t_${clean}_${Date.now().toString(36)}_${counter}_${random}`
}

/** Drops the schema before the store closes, so test schemas don't pile up. */
const dropOnRelease = (schema: string, layer: Layer.Layer<Store | HostKeys, StoreError>) =>
  Layer.effectContext(
    Effect.gen(function* () {
      const context = yield* Layer.build(layer)
      const store = Context.get(context, Store)
      yield* Effect.addFinalizer(() => Effect.ignore(testQuery(store, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`)))
      return context
    }),
  )

/**
 * One in-memory PGlite per test process: its init costs seconds, so it is kept between tests.
 * It must still be closed after the last test (its internal 10 s timer would hold the process
 * open), so it lingers briefly once unused and closes unless another test picks it up.
 */
const linger = {
  users: 0,
  retained: undefined as Promise<() => Promise<void>> | undefined,
  timer: undefined as ReturnType<typeof setTimeout> | undefined,
}

const holdPglite = Effect.acquireRelease(
  Effect.tryPromise({
    try: async () => {
      linger.users += 1
      if (linger.timer !== undefined) clearTimeout(linger.timer)
      linger.timer = undefined
      linger.retained ??= retainPglite()
      try {
        await linger.retained
      } catch (e) {
        linger.users -= 1
        linger.retained = undefined
        throw e
      }
    },
    catch: (e) => toStoreError("open", e),
  }),
  () =>
    Effect.sync(() => {
      linger.users -= 1
      if (linger.users > 0) return
      linger.timer = setTimeout(() => {
        const retained = linger.retained
        linger.retained = undefined
        linger.timer = undefined
        void retained?.then((release) => release()).catch(() => undefined)
      }, 250)
      linger.timer.unref()
    }),
)

/**
 * PGlite always; PostgreSQL too when TEST_DATABASE_URL is set. A set but unreachable URL makes
 * the tests fail (the layer fails), it never silently skips.
 */
export const testBackends = (): Array<TestBackend> => {
  const backends: Array<TestBackend> = [
    {
      name: "pglite",
      options: (schema) => ({ schema }),
      layer: (schema) =>
        Layer.effectContext(
          Effect.gen(function* () {
            yield* holdPglite
            return yield* Layer.build(dropOnRelease(schema, makeStoreLayer({ schema })))
          }),
        ),
    },
  ]
  const url = process.env["TEST_DATABASE_URL"]
  if (url !== undefined && url !== "") {
    backends.push({
      name: "postgres",
      options: (schema) => ({ databaseUrl: url, schema }),
      layer: (schema) => dropOnRelease(schema, makeStoreLayer({ databaseUrl: url, schema })),
    })
  }
  return backends
}

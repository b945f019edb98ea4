import process from "node:process"
import { Context, Effect, Layer } from "effect"
import type { StoreError } from "../../src/domain/errors.ts"
import type { HostKeys } from "../../src/ssh/HostKeys.ts"
import { makeStoreLayer, type StoreOptions } from "../../src/store/layer.ts"
import { retainPglite } from "../../src/store/pglite.ts"
import { Store } from "../../src/store/Store.ts"

export interface TestBackend {
  readonly name: "pglite" | "postgres"
  /** A fresh Store/HostKeys on its own schema; the schema is dropped when the layer is released. */
  readonly layer: (schema: string) => Layer.Layer<Store | HostKeys, StoreError>
  /** Options for makeStoreLayer on this backend (when a test needs to build layers itself). */
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
      yield* Effect.addFinalizer(() => Effect.ignore(store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)))
      return context
    }),
  )

// One PGlite per test process: its init costs seconds. Tests isolate by schema.
let pgliteRetained: Promise<void> | undefined
const sharedPglite = (): Promise<void> => (pgliteRetained ??= retainPglite())

/**
 * PGlite always; PostgreSQL too when TEST_DATABASE_URL is set. A set but unreachable URL makes
 * the tests fail (the layer fails), it never silently skips.
 */
export const testBackends = (): Array<TestBackend> => {
  // Retain now, so layers a test builds itself from options() join the same instance.
  sharedPglite().catch(() => undefined)
  const backends: Array<TestBackend> = [
    {
      name: "pglite",
      options: (schema) => ({ schema }),
      layer: (schema) =>
        dropOnRelease(schema, Layer.unwrap(Effect.promise(() => sharedPglite()).pipe(Effect.as(makeStoreLayer({ schema }))))),
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

/** Helpers for the security, fault and hostile-input tests (issue 7). */
import { Context, Effect, Layer, type ManagedRuntime } from "effect"
import type { Hono } from "hono"
import type { SecretKey } from "../../src/store/secrets.ts"
import type { StoreError } from "../../src/domain/errors.ts"
import { HostKeys } from "../../src/ssh/HostKeys.ts"
import { makeHostKeys, makeStore } from "../../src/store/makeStore.ts"
import { migrate, openSqlClient, type StoreOptions } from "../../src/store/layer.ts"
import { Store } from "../../src/store/Store.ts"
import { type TestAppOptions, withTestApp } from "./app.ts"
import type { TestBackend } from "./db.ts"

export interface SecureApp {
  readonly app: Hono
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>
  readonly run: <A>(effect: Effect.Effect<A, any, any>) => Promise<A>
  /** JSON request; `token` adds `Authorization: Bearer <token>`. */
  readonly request: (
    method: string,
    path: string,
    options?: { readonly body?: unknown; readonly token?: string; readonly headers?: Record<string, string> },
  ) => Promise<{ status: number; body: any; headers: Headers }>
}

/**
 * A Store/HostKeys layer on `storeOptions` with an explicit password key, instead of the
 * environment's. The backend layer is built first so a PGlite instance (and the schema) outlives it.
 */
export const keyedStoreLayer = (
  backend: TestBackend,
  schema: string,
  secretKey: SecretKey,
  storeOptions: StoreOptions = backend.options(schema),
): Layer.Layer<Store | HostKeys, StoreError> =>
  Layer.effectContext(
    Effect.gen(function* () {
      yield* Layer.build(backend.layer(schema))
      const client = yield* Effect.acquireRelease(openSqlClient(storeOptions), (c) => Effect.promise(() => c.close()))
      yield* migrate(client)
      return Context.make(Store, makeStore(client, { secretKey })).pipe(Context.add(HostKeys, makeHostKeys(client)))
    }),
  )

export interface SecureAppOptions extends TestAppOptions {
  /** The store layer for a schema (default: the backend's own). */
  readonly store?: ((schema: string) => Layer.Layer<Store | HostKeys, StoreError>) | undefined
}

/** withTestApp (the real service graph and HTTP app) with a chosen store layer and header-aware requests. */
export const withSecureApp = <A>(
  backend: TestBackend,
  options: SecureAppOptions,
  body: (t: SecureApp) => Promise<A>,
): Promise<A> => {
  const custom: TestBackend = options.store === undefined ? backend : { ...backend, layer: options.store }
  return withTestApp(custom, options, (t) => {
    const request: SecureApp["request"] = async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers }
      if (opts.token !== undefined) headers["authorization"] = `Bearer ${opts.token}`
      let payload: string | undefined
      if (opts.body !== undefined) {
        payload = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body)
        headers["content-type"] = "application/json"
      }
      const res = await t.app.request(path, { method, headers, body: payload })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed as any, headers: res.headers }
    }
    return body({ app: t.app, runtime: t.runtime, run: (e) => t.runtime.runPromise(e), request })
  })
}

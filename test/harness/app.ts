import { Effect, Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { makeCacheLayer } from "../../src/cache/CacheLive.ts"
import { makeHttpApp } from "../../src/http/app.ts"
import { composeServices } from "../../src/layers.ts"
import type { DataTypeSpec } from "../../src/registry/DataType.ts"
import { allDataTypes } from "../../src/registry/index.ts"
import { Registry } from "../../src/registry/Registry.ts"
import type { SshOptions } from "../../src/ssh/options.ts"
import { makeSshLayer } from "../../src/ssh/SshLive.ts"
import { type TestBackend, uniqueSchema } from "./db.ts"

export interface TestApp {
  readonly app: Hono
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>
  /** JSON request against the API (same routing, middleware and handlers as the server). */
  readonly request: (
    method: string,
    path: string,
    body?: unknown,
  ) => Promise<{ status: number; body: any }>
}

export interface TestAppOptions {
  readonly ssh?: SshOptions
  readonly specs?: ReadonlyArray<DataTypeSpec<any>>
  readonly ttl?: Record<string, number>
}

/** The real service graph on a test schema of `backend`, with this test's SSH options. */
export const withTestApp = async <A>(
  backend: TestBackend,
  options: TestAppOptions,
  body: (t: TestApp) => Promise<A>,
): Promise<A> => {
  const layer = composeServices({
    store: backend.layer(uniqueSchema("app")),
    ssh: makeSshLayer({ sshDir: "/nonexistent", ...options.ssh }),
    cache: makeCacheLayer({}),
    registry: Registry.make(options.specs ?? allDataTypes, options.ttl),
  }).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  try {
    const app = await runtime.runPromise(makeHttpApp)
    const request = async (method: string, path: string, body?: unknown) => {
      const init: RequestInit = body === undefined
        ? { method }
        : { method, body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } }
      const res = await app.request(path, init)
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed as any }
    }
    return await body({ app, runtime, request })
  } finally {
    await runtime.dispose()
  }
}

export const runIn = <A>(t: TestApp, effect: Effect.Effect<A, any, any>): Promise<A> => t.runtime.runPromise(effect)

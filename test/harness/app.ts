import { Effect, Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { type CacheOptions, makeCacheLayer } from "../../src/cache/CacheLive.ts"
import { makeHttpApp } from "../../src/http/app.ts"
import { composeServices } from "../../src/layers.ts"
import type { AnyDataTypeSpec } from "../../src/pipeline/DataType.ts"
import { allActions, allDataTypes } from "../../src/collectors/index.ts"
import { capabilities } from "../../src/collectors/capabilities/capabilities.ts"
import { Registry } from "../../src/pipeline/Registry.ts"
import type { SshOptions } from "../../src/ssh/options.ts"
import { makeSshLayer } from "../../src/ssh/SshLive.ts"
import type { WatchSettings } from "../../src/configs/watch/settings.ts"
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

/** JSON requests against a Hono app in-process: same routing, middleware and handlers as the server. */
export const jsonRequester = (app: Hono) => async (method: string, path: string, body?: unknown) => {
  const init: RequestInit = body === undefined ? { method } : {
    method,
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  }
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

export interface TestAppOptions {
  readonly ssh?: SshOptions
  readonly specs?: ReadonlyArray<AnyDataTypeSpec>
  readonly ttl?: Record<string, number>
  readonly cache?: CacheOptions
  readonly watch?: WatchSettings
}

/** Device add runs the capability probe, so custom spec lists keep it. */
const withProbe = (specs: ReadonlyArray<AnyDataTypeSpec>) =>
  specs.some((s) => s.name === capabilities.name) ? specs : [...specs, capabilities]

/** The real service graph on a test schema of `backend`, with this test's SSH options. */
export const withTestApp = async <A>(
  backend: TestBackend,
  options: TestAppOptions,
  body: (t: TestApp) => Promise<A>,
): Promise<A> => {
  const layer = composeServices({
    store: backend.layer(uniqueSchema("app")),
    ssh: makeSshLayer({ sshDir: "/nonexistent", ...options.ssh }),
    cache: makeCacheLayer(options.cache ?? {}),
    registry: Registry.make(withProbe(options.specs ?? allDataTypes), options.ttl, allActions),
    watch: options.watch,
  }).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  try {
    const app = await runtime.runPromise(makeHttpApp)
    const request = jsonRequester(app)
    return await body({ app, runtime, request })
  } finally {
    await runtime.dispose()
  }
}

export const runIn = <A>(t: TestApp, effect: Effect.Effect<A, any, any>): Promise<A> => t.runtime.runPromise(effect)

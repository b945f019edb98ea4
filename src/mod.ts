/**
 * Library entry. Effect users take the layers (`makeInfraLayer`, or single services);
 * everyone else uses the Promise API:
 *
 *   const infra = await createInfrastructor({ dataDir: "./data" })
 *   const m = await infra.collect("localhost", "system_metrics")
 *   await infra.close()
 */
import { Effect } from "effect"
import { type Collected, type CollectOptions, Collector } from "./collect/Collector.ts"
import { defaultConfig, type InfraConfig, resolveConfig } from "./config/config.ts"
import { type Device, type DeviceInput, type DevicePatch, publicDevice } from "./domain/device.ts"
import { Events, type InfraEventWithMeta } from "./events/Events.ts"
import { makeHttpApp } from "./http/app.ts"
import { listen, type RunningServer } from "./http/server.ts"
import { type InfraRuntime, startRuntime } from "./runtime.ts"
import { Registry } from "./registry/Registry.ts"
import { type HistoryQuery, Store } from "./store/Store.ts"

export { Cache, cacheKey } from "./cache/Cache.ts"
export { makeCacheLayer } from "./cache/CacheLive.ts"
export { Collector } from "./collect/Collector.ts"
export type { Collected, CollectOptions } from "./collect/Collector.ts"
export { defaultConfig, loadConfig, resolveConfig } from "./config/config.ts"
export type { InfraConfig } from "./config/config.ts"
export type { Device, DeviceInput, DevicePatch } from "./domain/device.ts"
export * from "./domain/errors.ts"
export { Events } from "./events/Events.ts"
export type { InfraEvent, InfraEventWithMeta } from "./events/Events.ts"
export { makeHttpApp } from "./http/app.ts"
export { makeInfraLayer } from "./layers.ts"
export { makeMcpHttpHandler } from "./mcp/http.ts"
export type { McpCaller, McpHttpHandler } from "./mcp/http.ts"
export { makeMcpServer } from "./mcp/server.ts"
export type { McpServerFactory, McpServerOptions } from "./mcp/server.ts"
export { McpSettings } from "./mcp/settings.ts"
export { serveMcpStdio } from "./mcp/stdio.ts"
export type { DataTypeSpec } from "./registry/DataType.ts"
export { allDataTypes } from "./registry/index.ts"
export { Registry }
export { shq } from "./shell/quote.ts"
export { HostKeys } from "./ssh/HostKeys.ts"
export { Ssh } from "./ssh/Ssh.ts"
export { makeSshLayer } from "./ssh/SshLive.ts"
export { makeStoreLayer } from "./store/layer.ts"
export { Store } from "./store/Store.ts"

/** Config in the YAML file's snake_case shape, or the resolved camelCase shape. */
export type CreateOptions = Partial<InfraConfig> | Record<string, unknown>

export interface Infrastructor {
  readonly collect: (
    device: string | number,
    dataType: string,
    options?: Partial<CollectOptions>,
  ) => Promise<Collected>
  readonly devices: {
    readonly list: () => Promise<Array<ReturnType<typeof publicDevice>>>
    readonly get: (device: string | number) => Promise<ReturnType<typeof publicDevice>>
    readonly add: (input: DeviceInput) => Promise<ReturnType<typeof publicDevice>>
    readonly update: (device: string | number, patch: DevicePatch) => Promise<ReturnType<typeof publicDevice>>
    readonly remove: (device: string | number) => Promise<void>
  }
  readonly history: (
    device: string | number,
    dataType: string,
    q?: Omit<HistoryQuery, "table" | "deviceId">,
  ) => Promise<Array<Record<string, unknown>>>
  /** Listen to pipeline events; returns an unsubscribe function. */
  readonly onEvent: (fn: (e: InfraEventWithMeta) => void) => () => void
  /** Serve the REST API (port 0 = any free port). */
  readonly serve: (options?: { host?: string; port?: number }) => Promise<RunningServer>
  readonly runtime: InfraRuntime
  readonly close: () => Promise<void>
}

const isResolved = (o: CreateOptions): o is Partial<InfraConfig> =>
  "dataDir" in o || "databaseUrl" in o || "localDevice" in o || "logLevel" in o

/** Start the service graph in-process. Call close() to release SSH connections and the database. */
export const createInfrastructor = async (options: CreateOptions = {}): Promise<Infrastructor> => {
  const config: InfraConfig = isResolved(options)
    ? {
      ...defaultConfig,
      ...options,
      ssh: { ...defaultConfig.ssh, ...options.ssh },
      cache: { ...defaultConfig.cache, ...options.cache },
    }
    : resolveConfig(options as Record<string, unknown>, {})
  const runtime = await startRuntime(config)
  const run = <A, E>(effect: Effect.Effect<A, E, any>): Promise<A> =>
    runtime.runPromise(effect as Effect.Effect<A, E, never>)
  const servers: Array<RunningServer> = []
  const getDevice = (ref: string | number) => Store.use((s) => s.getDevice(ref))
  return {
    collect: (device, dataType, opts = {}) =>
      run(Collector.use((c) => c.collect(device, dataType, { method: "library", ...opts }))),
    devices: {
      list: () => run(Effect.map(Store.use((s) => s.listDevices()), (ds) => ds.map(publicDevice))),
      get: (ref) => run(Effect.map(getDevice(ref), publicDevice)),
      add: (input) => run(Effect.map(Store.use((s) => s.createDevice(input)), publicDevice)),
      update: (ref, patch) => run(Effect.map(Store.use((s) => s.updateDevice(ref, patch)), publicDevice)),
      remove: (ref) => run(Store.use((s) => s.removeDevice(ref))),
    },
    history: (device, dataType, q = {}) =>
      run(Effect.gen(function* () {
        const store = yield* Store
        const dev: Device = yield* store.getDevice(device)
        const s = yield* Registry.use((r) => r.get(dataType))
        return yield* store.history({ ...q, table: s.table, deviceId: dev.id })
      })),
    onEvent: (fn) => runtime.runSync(Events.use((e) => Effect.succeed(e.listen(fn)))),
    serve: async ({ host = "127.0.0.1", port = 0 } = {}) => {
      const app = await run(makeHttpApp)
      const server = await listen(app, host, port)
      servers.push(server)
      return server
    },
    runtime,
    close: async () => {
      for (const s of servers.splice(0)) await s.close()
      await runtime.dispose()
    },
  }
}

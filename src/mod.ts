/**
 * Library entry. Effect users take the layers (`makeInfraLayer`, or single services);
 * everyone else uses the Promise API:
 *
 *   const infra = await createInfrastructor({ dataDir: "./data" })
 *   const m = await infra.collect("localhost", "system_metrics")
 *   await infra.close()
 */
import { Effect } from "effect"
import { Caller, localCaller } from "./app/caller.ts"
import { Data } from "./app/data.ts"
import { deviceBodyOf } from "./app/device-input.ts"
import { Devices, type PublicDevice } from "./app/devices.ts"
import { isLoopbackHost } from "./auth/cli.ts"
import type { Collected, CollectOptions } from "./pipeline/Collector.ts"
import { type InfraConfig, resolveConfig, resolveOptions } from "./settings/load.ts"
import type { DeviceInput, DevicePatch } from "./domain/device.ts"
import { Events, type InfraEventWithMeta } from "./events/Events.ts"
import { makeHttpApp } from "./http/app.ts"
import { listen, type RunningServer } from "./http/server.ts"
import { HttpSettings } from "./http/settings.ts"
import { type InfraRuntime, startRuntime } from "./runtime.ts"
import { Registry } from "./pipeline/Registry.ts"
import type { HistoryQuery } from "./store/Store.ts"

export { Cache, cacheKey } from "./cache/Cache.ts"
export { makeCacheLayer } from "./cache/CacheLive.ts"
export { Admin } from "./app/admin.ts"
export { Caller, localCaller } from "./app/caller.ts"
export { Configs } from "./app/configs.ts"
export { Data } from "./app/data.ts"
export { Devices } from "./app/devices.ts"
export { allOperations } from "./app/operations.ts"
export type { OperationSpec } from "./app/operation.ts"
export { Collector } from "./pipeline/Collector.ts"
export type { Collected, CollectOptions } from "./pipeline/Collector.ts"
export { defaultConfig, loadConfig, resolveConfig } from "./settings/load.ts"
export type { InfraConfig } from "./settings/load.ts"
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
export type { DataTypeSpec } from "./pipeline/DataType.ts"
export { allDataTypes } from "./collectors/index.ts"
export { Registry }
export { shq } from "./domain/quote.ts"
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
    options?: Pick<Partial<CollectOptions>, "forceRefresh" | "params">,
  ) => Promise<Collected>
  readonly devices: {
    readonly list: () => Promise<Array<PublicDevice>>
    readonly get: (device: string | number) => Promise<PublicDevice>
    /** Adds and probes the device (pass `{ probe: false }` to defer the probe to the first read that needs a tool). */
    readonly add: (input: DeviceInput, options?: { readonly probe?: boolean }) => Promise<PublicDevice>
    readonly update: (device: string | number, patch: DevicePatch) => Promise<PublicDevice>
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
    ? resolveOptions(options)
    : resolveConfig(options as Record<string, unknown>, {})
  const runtime = await startRuntime(config)
  // The embedding program is the local user: full scope, audited as "library".
  const caller = localCaller("library", "library")
  const run = <A, E>(effect: Effect.Effect<A, E, any>): Promise<A> =>
    runtime.runPromise(effect.pipe(Effect.provideService(Caller, caller)) as Effect.Effect<A, E, never>)
  const servers: Array<RunningServer> = []
  return {
    collect: (device, dataType, opts = {}) => run(Data.use((d) => d.collect(device, dataType, opts))),
    devices: {
      list: () => run(Devices.use((d) => d.list())),
      get: (ref) => run(Devices.use((d) => d.get(ref))),
      add: (input, opts = {}) => run(Devices.use((d) => d.add(deviceBodyOf(input), opts))),
      update: (ref, patch) => run(Devices.use((d) => d.update(ref, deviceBodyOf(patch)))),
      remove: (ref) => run(Effect.asVoid(Devices.use((d) => d.remove(ref)))),
    },
    history: (device, dataType, q = {}) =>
      run(Effect.map(Data.use((d) => d.history(device, dataType, q)), (h) => h.rows)),
    onEvent: (fn) => runtime.runSync(Events.use((e) => Effect.succeed(e.listen(fn)))),
    serve: async ({ host = "127.0.0.1", port = 0 } = {}) => {
      const app = await run(
        makeHttpApp.pipe(
          Effect.provideService(HttpSettings, {
            exposed: !isLoopbackHost(host),
            maxBodyBytes: config.http?.maxBodyBytes ?? 1024 * 1024,
          }),
        ),
      )
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

import { Effect, type Layer, ManagedRuntime } from "effect"
import type { InfraConfig } from "./settings/load.ts"
import { DeviceNotFound } from "./domain/errors.ts"
import { type InfraLayerOptions, makeInfraLayer } from "./layers.ts"
import { Store } from "./store/Store.ts"

export type InfraServices = Layer.Success<ReturnType<typeof makeInfraLayer>>
export type InfraRuntime = ManagedRuntime.ManagedRuntime<InfraServices, Layer.Error<ReturnType<typeof makeInfraLayer>>>

/** Devices that must exist at start: `localhost` (local transport) and those in the config file. */
export const seedDevices = (config: InfraConfig) =>
  Effect.gen(function* () {
    const store = yield* Store
    const wanted = [
      ...(config.localDevice ? [{ name: "localhost", host: "localhost", transport: "local" as const }] : []),
      ...config.devices,
    ]
    for (const input of wanted) {
      const exists = yield* store.getDevice(input.name).pipe(
        Effect.as(true),
        Effect.catchTag("DeviceNotFound", (_: DeviceNotFound) => Effect.succeed(false)),
      )
      if (!exists) yield* store.createDevice(input)
    }
  })

/** Build the runtime for a config: opens the store (migrations) and seeds devices. */
export const startRuntime = async (config: InfraConfig, options: InfraLayerOptions = {}): Promise<InfraRuntime> => {
  const runtime = ManagedRuntime.make(makeInfraLayer(config, options))
  try {
    await runtime.runPromise(seedDevices(config))
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  return runtime
}

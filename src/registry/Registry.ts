import { Context, Effect, Layer } from "effect"
import { UnknownDataType } from "../domain/errors.ts"
import type { DataTypeSpec } from "./DataType.ts"

export interface RegistryShape {
  readonly get: (name: string) => Effect.Effect<DataTypeSpec, UnknownDataType>
  readonly list: () => ReadonlyArray<DataTypeSpec>
}

/** The one list of data types; freshness overrides from config are applied here. */
export class Registry extends Context.Service<Registry, RegistryShape>()("infrastructor/Registry") {
  static readonly make = (
    specs: ReadonlyArray<DataTypeSpec<any>>,
    ttlOverrides: Readonly<Record<string, number>> = {},
  ): Layer.Layer<Registry> => {
    const byName = new Map<string, DataTypeSpec>()
    for (const spec of specs) {
      const ttl = ttlOverrides[spec.name]
      byName.set(spec.name, ttl === undefined ? spec : { ...spec, ttlSeconds: ttl })
    }
    return Layer.succeed(
      Registry,
      Registry.of({
        get: (name) => {
          const spec = byName.get(name)
          return spec === undefined ? Effect.fail(new UnknownDataType({ dataType: name })) : Effect.succeed(spec)
        },
        list: () => [...byName.values()],
      }),
    )
  }
}

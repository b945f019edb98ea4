import { Context, Effect, Layer } from "effect"
import { UnknownDataType } from "../domain/errors.ts"
import type { ActionSpec, AnyDataTypeSpec } from "./DataType.ts"

export interface RegistryShape {
  readonly get: (name: string) => Effect.Effect<AnyDataTypeSpec, UnknownDataType>
  readonly list: () => ReadonlyArray<AnyDataTypeSpec>
  readonly getAction: (name: string) => Effect.Effect<ActionSpec, UnknownDataType>
}

/** The one list of data types; freshness overrides from config are applied here. */
export class Registry extends Context.Service<Registry, RegistryShape>()("infrastructor/Registry") {
  static readonly make = (
    specs: ReadonlyArray<AnyDataTypeSpec>,
    ttlOverrides: Readonly<Record<string, number>> = {},
    actions: ReadonlyArray<ActionSpec<any>> = [],
  ): Layer.Layer<Registry> => {
    const actionsByName = new Map(actions.map((a) => [a.name, a as ActionSpec]))
    const byName = new Map<string, AnyDataTypeSpec>()
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
        getAction: (name) => {
          const action = actionsByName.get(name)
          return action === undefined ? Effect.fail(new UnknownDataType({ dataType: name })) : Effect.succeed(action)
        },
      }),
    )
  }
}

import { type Context, Effect } from "effect"
import { CurrentTokenId } from "../auth/context.ts"
import { scopeAllows, type TokenScope } from "../auth/tokens.ts"
import { Forbidden } from "../domain/errors.ts"
import { Caller } from "./caller.ts"

/**
 * What an application operation is, declared once beside it: the scope it needs and what it may
 * change. Authorization is decided from this and the Caller, nowhere else; SECURITY.md's scope
 * table is checked against these declarations by a test.
 */
export interface OperationSpec {
  /** "Service.operation", also the span name. */
  readonly name: string
  readonly scope: TokenScope
  /** Runs something on a host that changes it (container actions, config restore). */
  readonly changesHost: boolean
  /** Deletes stored history (device removal): gated like host changes on MCP. */
  readonly destroysData: boolean
  /** One line for the scope table. */
  readonly summary: string
}

export const readOp = (name: string, summary: string): OperationSpec => ({
  name,
  scope: "read",
  changesHost: false,
  destroysData: false,
  summary,
})

export const writeOp = (
  name: string,
  summary: string,
  effects: { readonly changesHost?: boolean; readonly destroysData?: boolean } = {},
): OperationSpec => ({
  name,
  scope: "write",
  changesHost: effects.changesHost ?? false,
  destroysData: effects.destroysData ?? false,
  summary,
})

/** Fails with Forbidden unless the Caller may run `spec`. */
export const authorize = (spec: OperationSpec): Effect.Effect<void, Forbidden, Caller> =>
  Effect.flatMap(Effect.service(Caller), (caller) => {
    if (!scopeAllows(caller.scope, spec.scope)) {
      return Effect.fail(
        new Forbidden({
          operation: spec.name,
          reason: "scope",
          message: `${spec.name} needs a token with scope '${spec.scope}'; this one has '${caller.scope}'`,
        }),
      )
    }
    if ((spec.changesHost || spec.destroysData) && !caller.hostWrites) {
      return Effect.fail(
        new Forbidden({
          operation: spec.name,
          reason: "writes_disabled",
          message: `${spec.name} ${spec.changesHost ? "changes hosts" : "deletes history"} and is disabled here. ` +
            "Enable it by starting `infrastructor mcp --allow-writes` (or `infrastructor serve --allow-writes`), " +
            "by setting `mcp: { allow_writes: true }` in infrastructor.yaml, or INFRA_MCP_ALLOW_WRITES=1.",
        }),
      )
    }
    return Effect.void
  })

/**
 * An application operation: authorized first (before its input is even looked at), named for
 * tracing, and run with the caller's token id in context for the pipeline's audit rows.
 */
export const operation = <Args extends ReadonlyArray<unknown>, A, E, R>(
  spec: OperationSpec,
  body: (...args: Args) => Effect.Effect<A, E, R>,
): (...args: Args) => Effect.Effect<A, E | Forbidden, R | Caller> =>
  Effect.fn(spec.name)(function* (...args: Args) {
    yield* authorize(spec).pipe(
      Effect.tapError((e) => Effect.logWarning("refused", { operation: spec.name, reason: e.reason })),
    )
    const caller = yield* Caller
    return yield* body(...args).pipe(Effect.provideService(CurrentTokenId, caller.tokenId))
  })

/**
 * `operation` for a service whose bodies use services captured when it was built (the store, the
 * pipeline): they are provided here, so an operation only asks its caller for the Caller.
 */
export const operationsIn = <S>(context: Context.Context<S>) =>
<Args extends ReadonlyArray<unknown>, A, E, R>(
  spec: OperationSpec,
  body: (...args: Args) => Effect.Effect<A, E, R>,
): (...args: Args) => Effect.Effect<A, E | Forbidden, Exclude<R, S> | Caller> =>
  operation(spec, (...args: Args) => Effect.provideContext(body(...args), context))

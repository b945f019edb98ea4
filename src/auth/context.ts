import { Context, Effect } from "effect"
import type { TokenScope } from "./tokens.ts"

/**
 * Who is asking, for audit rows: the API token id of the current request (never the secret).
 * null outside HTTP (polling, CLI, library) and in open mode. The Collector reads it when
 * CollectOptions.tokenId is not given.
 */
export const CurrentTokenId = Context.Reference<string | null>("infrastructor/CurrentTokenId", {
  defaultValue: () => null,
})

/** Run `effect` on behalf of a token (the HTTP layer does this per request). */
export const withTokenId = (tokenId: string | null | undefined) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, CurrentTokenId, tokenId ?? null)

declare module "hono" {
  interface ContextVariableMap {
    /** Scope of the request's token ("write" in open mode); the MCP route checks it for write tools. */
    tokenScope: TokenScope
    /** Id of the request's token; null in open mode. */
    tokenId: string | null
  }
}

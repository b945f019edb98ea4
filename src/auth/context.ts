import { Context } from "effect"
import type { TokenScope } from "./tokens.ts"

/**
 * The API token id of the operation running now, for audit rows (never the secret). null for local
 * callers (polling, CLI, library) and open mode. Application operations set it from their Caller;
 * the pipeline reads it when CollectOptions.tokenId is not given.
 */
export const CurrentTokenId = Context.Reference<string | null>("infrastructor/CurrentTokenId", {
  defaultValue: () => null,
})

declare module "hono" {
  interface ContextVariableMap {
    /** Scope of the request's token ("write" in open mode). */
    tokenScope: TokenScope
    /** Id of the request's token; null in open mode. */
    tokenId: string | null
    /** Whether the request's credentials are still accepted now (token not revoked since). */
    stillAuthorized: () => Promise<boolean>
  }
}

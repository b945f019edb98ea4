import { Context, Layer } from "effect"
import type { TokenScope } from "../auth/tokens.ts"
import type { AuditEntry } from "../store/Store.ts"

export type Method = AuditEntry["method"]

export interface CallerShape {
  /** Which front end asked; lands in audit rows. */
  readonly method: Method
  /** What the caller's token allows. Trusted local callers (CLI, library, stdio MCP) hold "write". */
  readonly scope: TokenScope
  /** API token id for audit rows (never the secret); null for local callers and open mode. */
  readonly tokenId: string | null
  /** The route or tool, e.g. "POST /api/devices" or "mcp add_device". */
  readonly source: string
  /**
   * Whether this front end may change hosts at all. MCP switches it off unless `mcp.allow_writes`
   * (an agent should not restart containers by default); the others are on.
   */
  readonly hostWrites: boolean
}

/**
 * Who is asking. Every application operation requires it, so a front end cannot call one without
 * saying who on behalf of: there is no default caller to fall back to.
 */
export class Caller extends Context.Service<Caller, CallerShape>()("infrastructor/Caller") {
  static readonly layer = (caller: CallerShape): Layer.Layer<Caller> => Layer.succeed(Caller, caller)
}

/** A trusted local caller (CLI, library, stdio MCP with writes enabled): full scope, no token. */
export const localCaller = (method: Method, source: string, hostWrites = true): CallerShape => ({
  method,
  scope: "write",
  tokenId: null,
  source,
  hostWrites,
})

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { Cause, Effect, Exit, Option } from "effect"
import type { Cache } from "../cache/Cache.ts"
import type { Collector } from "../collect/Collector.ts"
import { errorCode, errorMessage } from "../collect/error-info.ts"
import type { Events } from "../events/Events.ts"
import type { Observability } from "../observe/Observability.ts"
import type { Registry } from "../registry/Registry.ts"
import { withTokenId } from "../auth/context.ts"
import type { Ssh } from "../ssh/Ssh.ts"
import type { Store } from "../store/Store.ts"
import type { Watcher } from "../watch/Watcher.ts"

/** Everything the MCP server calls, in-process: the same services the REST API uses. */
export type McpServices = Collector | Store | Registry | Ssh | Cache | Events | Observability | Watcher

/** A failure the agent should read: a typed error turned into code + one-line message. */
export interface ToolFailure {
  readonly code: string
  readonly message: string
}

/** Who is calling: over HTTP the bearer token's scope and id (set by the auth middleware); stdio is local, full. */
export interface Caller {
  readonly scope: "read" | "write"
  readonly tokenId: string | null
}

/** What the SDK hands a handler that we use: authInfo from the HTTP transport (absent on stdio). */
export interface HandlerExtra {
  readonly authInfo?: { readonly extra?: Record<string, unknown> | undefined } | undefined
}

export const callerOf = (extra: HandlerExtra | undefined): Caller => {
  const info = extra?.authInfo?.extra
  if (info === undefined) return { scope: "write", tokenId: null }
  const tokenId = typeof info["tokenId"] === "string" ? info["tokenId"] : null
  return { scope: info["scope"] === "write" ? "write" : "read", tokenId }
}

export type RunOutcome<A> = { ok: true; value: A } | { ok: false; error: ToolFailure }

export interface ToolContext {
  readonly allowWrites: boolean
  /** Run an effect against the services; typed errors come back as a ToolFailure, defects are logged. */
  readonly run: <A>(effect: Effect.Effect<A, unknown, McpServices>, extra?: HandlerExtra) => Promise<RunOutcome<A>>
  /** Run and shape the outcome as a tool result (JSON text + structuredContent, or isError). */
  readonly tool: <A>(effect: Effect.Effect<A, unknown, McpServices>, extra?: HandlerExtra) => Promise<CallToolResult>
  /** The refusal for a host-changing tool, or undefined when this server and caller may write. */
  readonly refuseWrite: (tool: string, extra: HandlerExtra | undefined) => CallToolResult | undefined
}

/** JSON-safe copy: Dates → ISO strings, bigints → numbers (or strings past 2^53), no undefined. */
export const toJson = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
  ) ?? null

export const okResult = (value: unknown): CallToolResult => {
  const json = toJson(value)
  // structuredContent must be an object; lists are wrapped so clients still get structure.
  const structured = typeof json === "object" && json !== null && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : { result: json }
  return { content: [{ type: "text", text: JSON.stringify(json) }], structuredContent: structured }
}

export const errorResult = (error: ToolFailure): CallToolResult => ({
  content: [{ type: "text", text: `error [${error.code}]: ${error.message}` }],
  isError: true,
})

const isTagged = (e: unknown): e is { readonly _tag: string } =>
  typeof e === "object" && e !== null && typeof (e as { _tag?: unknown })._tag === "string"

export const makeToolContext = (
  runExit: <A>(effect: Effect.Effect<A, unknown, McpServices>) => Promise<Exit.Exit<A, unknown>>,
  allowWrites: boolean,
): ToolContext => {
  const run: ToolContext["run"] = async (effect, extra) => {
    // The token id lands in audit rows, as for REST requests.
    const exit = await runExit(Effect.suspend(() => effect).pipe(withTokenId(callerOf(extra).tokenId)))
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isSome(failure) && isTagged(failure.value)) {
      return { ok: false, error: { code: errorCode(failure.value), message: errorMessage(failure.value) } }
    }
    // A defect (a bug): the agent gets a plain message, the trace goes to the log on stderr.
    await runExit(Effect.logError("mcp tool failed", Cause.pretty(exit.cause)))
    return { ok: false, error: { code: "internal_error", message: "internal error (details in the server log)" } }
  }
  return {
    allowWrites,
    run,
    tool: async (effect, extra) => {
      const outcome = await run(effect, extra)
      return outcome.ok ? okResult(outcome.value) : errorResult(outcome.error)
    },
    refuseWrite: (tool, extra) => {
      if (!allowWrites) {
        return errorResult({
          code: "writes_disabled",
          message: `${tool} changes infrastructure and is disabled on this server. Enable it by starting ` +
            "`infrastructor mcp --allow-writes` (or `infrastructor serve --allow-writes`), by setting " +
            "`mcp: { allow_writes: true }` in infrastructor.yaml, or INFRA_MCP_ALLOW_WRITES=1.",
        })
      }
      if (callerOf(extra).scope !== "write") {
        return errorResult({ code: "forbidden", message: `${tool} needs an API token with scope 'write'` })
      }
      return undefined
    },
  }
}

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { Cause, Effect, Exit, Option } from "effect"
import type { Admin } from "../app/admin.ts"
import type { Alerts } from "../app/alerts.ts"
import { Caller, type CallerShape } from "../app/caller.ts"
import type { Configs } from "../app/configs.ts"
import type { Data } from "../app/data.ts"
import type { Devices } from "../app/devices.ts"
import { describeError, isTaggedError } from "../domain/errors.ts"
import type { Events } from "../events/Events.ts"

/** What the MCP server calls: the application operations (which authorize and audit), and the bus. */
export type McpServices = Data | Devices | Configs | Admin | Alerts | Events

/** A failure the agent should read: a typed error turned into code + one-line message. */
export interface ToolFailure {
  readonly code: string
  readonly message: string
}

/** What the SDK hands a handler that we use: authInfo from the HTTP transport (absent on stdio). */
export interface HandlerExtra {
  readonly authInfo?: { readonly extra?: Record<string, unknown> | undefined } | undefined
}

/**
 * The caller of one tool call. Over HTTP: the bearer token's scope and id (set per request by the
 * auth middleware); a call that carries none (a completion callback) gets the least, read. On
 * stdio: the local user, full scope. Host changes follow `allow_writes` on both.
 */
export const mcpCaller = (
  tool: string,
  extra: HandlerExtra | undefined,
  server: { readonly allowWrites: boolean; readonly local: boolean },
): CallerShape => {
  const info = extra?.authInfo?.extra
  const base = { method: "mcp" as const, source: `mcp ${tool}`, hostWrites: server.allowWrites }
  if (info === undefined) return { ...base, scope: server.local ? "write" : "read", tokenId: null }
  return {
    ...base,
    scope: info["scope"] === "write" ? "write" : "read",
    tokenId: typeof info["tokenId"] === "string" ? info["tokenId"] : null,
  }
}

export type RunOutcome<A> = { ok: true; value: A } | { ok: false; error: ToolFailure }

export interface ToolContext {
  /** Run an operation for a tool call (as its Caller); typed errors come back as a ToolFailure. */
  readonly run: <A>(
    tool: string,
    effect: Effect.Effect<A, unknown, McpServices | Caller>,
    extra?: HandlerExtra,
  ) => Promise<RunOutcome<A>>
  /** Run and shape the outcome as a tool result (JSON text + structuredContent, or isError). */
  readonly tool: <A>(
    tool: string,
    effect: Effect.Effect<A, unknown, McpServices | Caller>,
    extra?: HandlerExtra,
  ) => Promise<CallToolResult>
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

export const makeToolContext = (
  runExit: <A>(effect: Effect.Effect<A, unknown, McpServices>) => Promise<Exit.Exit<A, unknown>>,
  server: { readonly allowWrites: boolean; readonly local: boolean },
): ToolContext => {
  const run: ToolContext["run"] = async (tool, effect, extra) => {
    const exit = await runExit(
      Effect.suspend(() => effect).pipe(Effect.provideService(Caller, mcpCaller(tool, extra, server))),
    )
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
    const failure = Cause.findErrorOption(exit.cause)
    const error = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
    if (isTaggedError(error)) {
      const { code, message } = describeError(error)
      return { ok: false, error: { code, message } }
    }
    // A defect (a bug): the agent gets a plain message, the trace goes to the log on stderr.
    await runExit(Effect.logError("mcp tool failed", Cause.pretty(exit.cause)))
    return { ok: false, error: { code: "internal_error", message: "internal error (details in the server log)" } }
  }
  return {
    run,
    tool: async (tool, effect, extra) => {
      const outcome = await run(tool, effect, extra)
      return outcome.ok ? okResult(outcome.value) : errorResult(outcome.error)
    },
  }
}

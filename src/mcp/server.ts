import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { Events } from "../events/Events.ts"
import { makeToolContext, type McpServices } from "./context.ts"
import { registerConfigResources } from "./config-resources.ts"
import { registerPrompts } from "./prompts.ts"
import { registerDeviceResources } from "./resources.ts"
import { enableSubscriptions } from "./subscriptions.ts"
import { registerAlertTools } from "./tools/alerts.ts"
import { registerConfigTools } from "./tools/configs.ts"
import { registerDataTools } from "./tools/data.ts"
import { registerDeviceTools } from "./tools/devices.ts"
import { registerHistoryTools } from "./tools/history.ts"
import { registerOperationTools } from "./tools/operations.ts"

export interface McpServerOptions {
  readonly allowWrites: boolean
  /** Served over this process's stdio to the local user (full scope), rather than over HTTP with tokens. */
  readonly local: boolean
}

/** A fresh MCP server per connection (an McpServer serves one transport); all share the services. */
export type McpServerFactory = () => McpServer

const instructions = `infrastructor manages Linux hosts over SSH. Start with list_devices; every data tool takes a
device name. Reads are cached (each result carries collected_at, age_seconds and cache hit/miss/refresh): pass
force_refresh=true only when fresh data matters. Changes (devices, cache) need a token with scope write; container
actions, config restores and device removal also need a server started with --allow-writes.`

/**
 * Build the MCP server factory from the services in context. Every tool calls those services
 * in-process (reads through Collector.collect with method "mcp", audited) — never another path to a host.
 */
export const makeMcpServer = (options: McpServerOptions): Effect.Effect<McpServerFactory, never, McpServices> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<McpServices>()
    const runExit = Effect.runPromiseExitWith(context)
    const events = yield* Events
    return () => {
      const server = new McpServer(
        { name: "infrastructor", version: "0.1.0" },
        { instructions },
      )
      const ctx = makeToolContext(runExit, options)
      registerDeviceTools(server, ctx)
      registerDataTools(server, ctx)
      registerHistoryTools(server, ctx)
      registerOperationTools(server, ctx)
      registerConfigTools(server, ctx)
      registerAlertTools(server, ctx)
      registerDeviceResources(server, ctx)
      registerConfigResources(server, ctx)
      registerPrompts(server, true)
      enableSubscriptions(server, events)
      return server
    }
  })

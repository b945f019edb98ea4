import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import type { ManagedRuntime } from "effect"
import type { McpServices } from "./context.ts"
import { makeMcpServer } from "./server.ts"

/**
 * Serve MCP over this process's stdin/stdout until the client closes stdin or a signal arrives.
 * stdout carries only protocol messages: logs go to stderr (see loggingLayer).
 */
export const serveMcpStdio = async (
  runtime: ManagedRuntime.ManagedRuntime<McpServices, unknown>,
  options: { readonly allowWrites: boolean },
): Promise<void> => {
  const create = await runtime.runPromise(makeMcpServer({ allowWrites: options.allowWrites, local: true }))
  const server = create()
  const transport = new StdioServerTransport()
  const done = new Promise<void>((resolve) => {
    transport.onclose = () => resolve()
    process.stdin.once("end", () => resolve())
    process.stdin.once("close", () => resolve())
    process.once("SIGINT", () => resolve())
    process.once("SIGTERM", () => resolve())
  })
  await server.connect(transport)
  await done
  await server.close().catch(() => undefined)
}

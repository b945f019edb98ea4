import { Effect, Fiber } from "effect"
import { checkServeExposure, isLoopbackHost } from "../auth/cli.ts"
import { superviseWatches } from "../configs/watch/supervise.ts"
import { makeHttpApp } from "../http/app.ts"
import { listen } from "../http/server.ts"
import { HttpSettings } from "../http/settings.ts"
import { McpSettings } from "../mcp/settings.ts"
import { serveMcpStdio } from "../mcp/stdio.ts"
import { startRuntime } from "../runtime.ts"
import { Scheduler } from "../scheduler/Scheduler.ts"
import type { InfraConfig } from "../settings/load.ts"

/** `infrastructor serve`: REST API and MCP over HTTP, the scheduler and config watching, until a signal. */
export const serveCommand = async (config: InfraConfig, mcp: McpSettings): Promise<void> => {
  const runtime = await startRuntime(config)
  try {
    await runtime.runPromise(checkServeExposure(config.host))
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  const app = await runtime.runPromise(
    makeHttpApp.pipe(
      Effect.provideService(McpSettings, mcp),
      Effect.provideService(HttpSettings, {
        exposed: !isLoopbackHost(config.host),
        maxBodyBytes: config.http?.maxBodyBytes ?? 1024 * 1024,
      }),
    ),
  )
  const server = await listen(app, config.host, config.port)
  await runtime.runPromise(
    Effect.logInfo("infrastructor listening", { url: server.url, store: config.databaseUrl ? "postgres" : "pglite" }),
  )
  // Listen for signals before anyone can see we are up. The first drains; a second gives up waiting.
  const signalled = new Promise<void>((resolve) => {
    let signals = 0
    const onSignal = (exitCode: number) => () => (++signals === 1 ? resolve() : process.exit(exitCode))
    process.on("SIGINT", onSignal(130))
    process.on("SIGTERM", onSignal(143))
  })
  process.stdout.write(`infrastructor listening on ${server.url}\n`)
  await runtime.runPromise(Scheduler.use((s) => s.start))
  // Config watching for the devices this instance owns, reconciled as devices and leases change.
  const watching = runtime.runFork(superviseWatches)
  await signalled
  // Drain: no new polls, in-flight ones finish within schedule.drain_timeout (then are cancelled),
  // leases are given back; dispose then flushes buffered writes and closes SSH connections.
  await runtime.runPromise(Scheduler.use((s) => s.stop())).catch(() => undefined)
  await runtime.runPromise(Fiber.interrupt(watching)).catch(() => undefined)
  await server.close()
  await runtime.dispose()
}

/** `infrastructor mcp`: MCP over stdio. stdout belongs to the protocol: nothing else may be written there. */
export const mcpCommand = async (config: InfraConfig, mcp: McpSettings): Promise<void> => {
  const runtime = await startRuntime(config)
  try {
    await serveMcpStdio(runtime, mcp)
  } finally {
    await runtime.dispose()
  }
}

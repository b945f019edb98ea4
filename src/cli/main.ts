import { Effect, Fiber } from "effect"
import { parseArgs } from "node:util"
import { Caller, localCaller } from "../app/caller.ts"
import { Data } from "../app/data.ts"
import { deviceBodyOf } from "../app/device-input.ts"
import { Devices } from "../app/devices.ts"
import { checkServeExposure, isLoopbackHost } from "../auth/cli.ts"
import { type InfraConfig, loadConfig, loadMcpSettings } from "../settings/load.ts"
import { makeHttpApp } from "../http/app.ts"
import { listen } from "../http/server.ts"
import { HttpSettings } from "../http/settings.ts"
import { McpSettings } from "../mcp/settings.ts"
import { serveMcpStdio } from "../mcp/stdio.ts"
import { startRuntime } from "../runtime.ts"
import { tokenCommand } from "./token-command.ts"
import { Scheduler } from "../scheduler/Scheduler.ts"
import { superviseWatches } from "../configs/watch/supervise.ts"

export const usage = `infrastructor — agentless infrastructure manager

usage:
  infrastructor serve [--config FILE] [--allow-writes]      REST API + MCP (Streamable HTTP) on /mcp
  infrastructor mcp [--config FILE] [--allow-writes]        MCP over stdio (for Claude Desktop / Code)
  infrastructor device add NAME --host HOST [--port N] [--user U] [--key PATH] [--transport ssh|local] [--tags a,b]
  infrastructor device list [--json]
  infrastructor device rm NAME
  infrastructor collect DEVICE DATA_TYPE [--fresh] [--json]
  infrastructor token create --name NAME [--scope read|write] [--json]   prints the token once
  infrastructor token list [--json]
  infrastructor token revoke ID

--allow-writes enables MCP tools that change hosts (container start/stop/restart, config restore,
device removal); also config \`mcp: { allow_writes: true }\` or INFRA_MCP_ALLOW_WRITES=1.

Once a token exists, every route but /health needs \`Authorization: Bearer <token>\`; serve refuses a
non-loopback address until one exists. SSH passwords are only stored encrypted, with INFRA_SECRET_KEY.

environment: INFRA_HOST INFRA_PORT INFRA_DATA_DIR DATABASE_URL INFRA_LOG_LEVEL INFRA_CONFIG INFRA_MCP_ALLOW_WRITES
             INFRA_SECRET_KEY (base64 of 32 bytes: encrypts device passwords at rest)`

export class UsageError extends Error {}

const options = {
  config: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  user: { type: "string" },
  key: { type: "string" },
  transport: { type: "string" },
  tags: { type: "string" },
  fresh: { type: "boolean" },
  json: { type: "boolean" },
  "allow-writes": { type: "boolean" },
  name: { type: "string" },
  scope: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const

const serveCommand = async (config: InfraConfig, mcp: McpSettings): Promise<void> => {
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

/** A one-shot command as the local user: application operations with full scope, audited as "cli". */
const withRuntime = async <A>(config: InfraConfig, effect: Effect.Effect<A, unknown, any>): Promise<A> => {
  const runtime = await startRuntime(config, { spill: false })
  try {
    return await runtime.runPromise(
      effect.pipe(
        Effect.provideService(Caller, localCaller("cli", `cli ${process.argv.slice(2, 4).join(" ")}`)),
      ) as Effect.Effect<
        A,
        unknown,
        never
      >,
    )
  } finally {
    await runtime.dispose()
  }
}

export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${usage}\n`)
    return positionals.length === 0 && !values.help ? 2 : 0
  }
  const config = loadConfig(values.config)
  const [command, sub, ...rest] = positionals
  switch (command) {
    case "serve":
      await serveCommand(config, loadMcpSettings(values.config, values["allow-writes"]))
      return 0
    case "mcp": {
      // stdout belongs to the protocol: nothing else may be written there.
      const runtime = await startRuntime(config)
      try {
        await serveMcpStdio(runtime, loadMcpSettings(values.config, values["allow-writes"]))
      } finally {
        await runtime.dispose()
      }
      return 0
    }
    case "device": {
      if (sub === "list") {
        const devices = await withRuntime(config, Devices.use((d) => d.list()))
        if (values.json) process.stdout.write(`${JSON.stringify(devices, null, 2)}\n`)
        else {
          for (const d of devices) {
            process.stdout.write(
              `${d.id}\t${d.name}\t${d.transport}\t${d.username ?? ""}@${d.host}:${d.port ?? 22}\t${d.status}\n`,
            )
          }
        }
        return 0
      }
      if (sub === "add") {
        const name = rest[0]
        if (name === undefined) throw new UsageError("device add needs a NAME")
        const transport = values.transport === "local" ? "local" : "ssh"
        const body = deviceBodyOf({
          name,
          host: values.host ?? (transport === "local" ? "localhost" : name),
          port: values.port === undefined ? null : Number(values.port),
          username: values.user ?? null,
          privateKeyPath: values.key ?? null,
          transport,
          tags: values.tags?.split(",").map((t) => t.trim()).filter((t) => t !== "") ?? [],
        })
        const device = await withRuntime(config, Devices.use((d) => d.add(body, { probe: false })))
        process.stdout.write(`${JSON.stringify(device)}\n`)
        return 0
      }
      if (sub === "rm") {
        const name = rest[0]
        if (name === undefined) throw new UsageError("device rm needs a NAME")
        await withRuntime(config, Devices.use((d) => d.remove(name)))
        process.stdout.write(`removed ${name}\n`)
        return 0
      }
      throw new UsageError(`unknown device command '${sub ?? ""}'`)
    }
    case "token": {
      const text = await withRuntime(
        config,
        tokenCommand({ sub, rest, name: values.name, scope: values.scope, json: values.json === true }),
      )
      process.stdout.write(text)
      return 0
    }
    case "collect": {
      const dataType = rest[0]
      if (sub === undefined || dataType === undefined) throw new UsageError("collect needs DEVICE and DATA_TYPE")
      const result = await withRuntime(
        config,
        Data.use((d) => d.collect(sub, dataType, { forceRefresh: values.fresh === true })),
      )
      process.stdout.write(
        values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`,
      )
      return 0
    }
    default:
      throw new UsageError(`unknown command '${command}'`)
  }
}

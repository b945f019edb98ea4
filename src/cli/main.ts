import { Effect } from "effect"
import { Caller, localCaller } from "../app/caller.ts"
import { Data } from "../app/data.ts"
import { deviceBodyOf } from "../app/device-input.ts"
import { Devices } from "../app/devices.ts"
import { type InfraConfig, loadConfig, loadMcpSettings } from "../settings/load.ts"
import { startRuntime } from "../runtime.ts"
import type { Parsed } from "./parse.ts"
import { tokenCommand } from "./token-command.ts"
import { errorMessage } from "../pipeline/error-info.ts"

/** A one-shot command as the local user: application operations with full scope, audited as "cli". */
const withRuntime = async <A>(
  config: InfraConfig,
  command: string,
  effect: Effect.Effect<A, unknown, any>,
): Promise<A> => {
  const runtime = await startRuntime(config, { spill: false })
  try {
    return await runtime.runPromise(
      effect.pipe(Effect.provideService(Caller, localCaller("cli", `cli ${command}`))) as Effect.Effect<
        A,
        unknown,
        never
      >,
    )
  } finally {
    await runtime.dispose()
  }
}

/** One line for a failure: the typed error's message, never a stack trace. */
export const describeFailure = (e: unknown): string => {
  if (typeof e === "object" && e !== null && "_tag" in e) return errorMessage(e as { _tag: string })
  return e instanceof Error ? e.message : String(e)
}

/**
 * Runs a command parse.ts has accepted (arguments present, values checked). Resolves to the exit
 * status; rejects with the failure (exit status 1).
 */
export const runCommand = async (parsed: Extract<Parsed, { kind: "run" }>): Promise<number> => {
  const { command, args, values } = parsed
  const name = command.path.join(" ")
  const config = loadConfig(values.config)
  const out = (text: string) => process.stdout.write(text)
  switch (name) {
    case "serve": {
      // Hono and the MCP SDK load only for the servers.
      const { serveCommand } = await import("./serve.ts")
      await serveCommand(config, loadMcpSettings(values.config, values["allow-writes"]))
      return 0
    }
    case "mcp": {
      const { mcpCommand } = await import("./serve.ts")
      await mcpCommand(config, loadMcpSettings(values.config, values["allow-writes"]))
      return 0
    }
    case "device list": {
      const devices = await withRuntime(config, name, Devices.use((d) => d.list()))
      if (values.json) out(`${JSON.stringify(devices, null, 2)}\n`)
      else {
        for (const d of devices) {
          out(`${d.id}\t${d.name}\t${d.transport}\t${d.username ?? ""}@${d.host}:${d.port ?? 22}\t${d.status}\n`)
        }
      }
      return 0
    }
    case "device add": {
      const [deviceName] = args as [string]
      const transport = values.transport === "local" ? "local" : "ssh"
      const body = deviceBodyOf({
        name: deviceName,
        host: values.host ?? (transport === "local" ? "localhost" : deviceName),
        port: values.port === undefined ? null : Number(values.port),
        username: values.user ?? null,
        privateKeyPath: values.key ?? null,
        transport,
        tags: values.tags?.split(",").map((t) => t.trim()).filter((t) => t !== "") ?? [],
      })
      const device = await withRuntime(config, name, Devices.use((d) => d.add(body, { probe: false })))
      out(`${JSON.stringify(device)}\n`)
      return 0
    }
    case "device rm": {
      const [ref] = args as [string]
      await withRuntime(config, name, Devices.use((d) => d.remove(ref)))
      out(`removed ${ref}\n`)
      return 0
    }
    case "health": {
      // bin.ts runs it without loading this module; here for callers of runCommand.
      const { healthCommand } = await import("./health.ts")
      return await healthCommand(values)
    }
    case "token create":
    case "token list":
    case "token revoke":
      out(
        await withRuntime(
          config,
          name,
          tokenCommand({
            sub: command.path[1],
            rest: args,
            name: values.name,
            scope: values.scope,
            json: values.json === true,
          }),
        ),
      )
      return 0
    case "collect": {
      const [device, dataType] = args as [string, string]
      const result = await withRuntime(
        config,
        name,
        Data.use((d) => d.collect(device, dataType, { forceRefresh: values.fresh === true })),
      )
      out(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`)
      return 0
    }
    default:
      // parse.ts answers help and version itself, and accepts only the commands listed above.
      throw new Error(`no runner for '${name}'`)
  }
}

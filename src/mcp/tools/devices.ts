import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { z } from "zod"
import { Cache } from "../../cache/Cache.ts"
import { Collector } from "../../collect/Collector.ts"
import { errorCode, errorMessage } from "../../collect/error-info.ts"
import { type DeviceInput, type DevicePatch, publicDevice } from "../../domain/device.ts"
import type { CollectError } from "../../domain/errors.ts"
import { ValidationError } from "../../domain/errors.ts"
import { Ssh } from "../../ssh/Ssh.ts"
import { parseSshConfig, resolveSshHost } from "../../ssh/ssh-config.ts"
import { Store } from "../../store/Store.ts"
import type { ToolContext } from "../context.ts"
import { deviceArg, inventoryWrite, readOnly } from "./shared.ts"

/** Capability probe after an add, like the REST API: an unreachable host is still added. */
const probe = (deviceId: number, source: string) =>
  Collector.use((c) => c.collect(deviceId, "capabilities", { method: "mcp", source })).pipe(
    Effect.as({ ok: true as const }),
    Effect.catch((e: CollectError) =>
      Effect.succeed({ ok: false as const, error: { code: errorCode(e), message: errorMessage(e) } })
    ),
  )

const addDevice = (input: DeviceInput, withProbe: boolean, source: string) =>
  Effect.gen(function* () {
    const store = yield* Store
    const created = yield* store.createDevice(input)
    if (!withProbe) return publicDevice(created)
    const probed = yield* probe(created.id, source)
    return { ...publicDevice(yield* store.getDevice(created.id)), probe: probed }
  })

/** Connection details may change: drop the old connection and everything cached for the device. */
const forgetConnection = (name: string) =>
  Effect.gen(function* () {
    yield* (yield* Ssh).close(name)
    ;(yield* Cache).invalidate(`${name}\u0000`)
  })

/** Host aliases a config names literally (patterns with *, ? or ! are templates, not hosts). */
export const sshConfigAliases = (text: string): Array<string> => {
  const aliases = new Set<string>()
  for (const block of parseSshConfig(text)) {
    if (block.unsupported) continue
    for (const p of block.patterns) if (!/[*?!]/.test(p)) aliases.add(p)
  }
  return [...aliases]
}

const localUser = (): string => {
  try {
    return os.userInfo().username
  } catch {
    return process.env["USER"] ?? "root"
  }
}

/** Devices an ssh config describes: alias → device input, wildcard hosts skipped. */
export const devicesFromSshConfig = (text: string, only?: ReadonlyArray<string>) => {
  const blocks = parseSshConfig(text)
  const env = { home: os.homedir(), localUser: localUser() }
  const skipped: Array<{ host: string; reason: string }> = []
  for (const block of blocks) {
    for (const p of block.patterns) if (/[*?!]/.test(p)) skipped.push({ host: p, reason: "wildcard pattern" })
  }
  const wanted = sshConfigAliases(text).filter((a) => only === undefined || only.includes(a))
  const inputs = wanted.map((alias) => {
    const r = resolveSshHost(blocks, alias, env)
    return {
      input: {
        name: alias,
        host: r.hostName,
        port: r.port ?? null,
        username: r.user ?? null,
        privateKeyPath: r.identityFiles[0] ?? null,
        transport: "ssh" as const,
      } satisfies DeviceInput,
      problems: r.problems,
    }
  })
  return { inputs, skipped }
}

export const registerDeviceTools = (server: McpServer, ctx: ToolContext): void => {
  server.registerTool("list_devices", {
    title: "List devices",
    description: "All managed hosts with status (online/offline/unknown), last contact and tags. " +
      "Start here to learn device names for the other tools.",
    inputSchema: {
      tag: z.string().optional().describe("Only devices carrying this tag"),
      status: z.string().optional().describe("Only devices with this status, e.g. online, offline, unknown"),
    },
    annotations: readOnly,
  }, ({ tag, status }, extra) =>
    ctx.tool(
      Effect.map(Store.use((s) => s.listDevices()), (devices) => {
        const list = devices
          .filter((d) => tag === undefined || d.tags.includes(tag))
          .filter((d) => status === undefined || d.status === status)
          .map((d) => {
            const { capabilities, ...rest } = publicDevice(d)
            const tools = capabilities?.tools
            return { ...rest, tools: tools === undefined ? null : Object.keys(tools).filter((k) => tools[k] === true) }
          })
        return { count: list.length, devices: list }
      }),
      extra,
    ))

  server.registerTool("get_device", {
    title: "Get device",
    description: "One device: connection settings (no secrets), status, last contact and the capability probe " +
      "(OS, which tools exist: docker, zpool, systemctl, virsh…), which decides what data can be read from it.",
    inputSchema: { device: deviceArg },
    annotations: readOnly,
  }, ({ device }, extra) => ctx.tool(Effect.map(Store.use((s) => s.getDevice(device)), publicDevice), extra))

  server.registerTool("add_device", {
    title: "Add device",
    description: "Register a host to manage over SSH (key-based; keys are referenced by path, never sent). " +
      "Probes its capabilities right away unless probe=false; an unreachable host is still added.",
    inputSchema: {
      name: z.string().min(1).describe("Unique device name: letters, digits, . _ - (max 63)"),
      host: z.string().min(1).describe("Hostname or IP address to connect to"),
      port: z.number().int().min(1).max(65535).optional().describe("SSH port (default 22)"),
      username: z.string().optional().describe("SSH user (default: the server's user)"),
      private_key_path: z.string().optional().describe("Path of the private key on the infrastructor server"),
      transport: z.enum(["ssh", "local"]).optional().describe("ssh (default) or local (this machine)"),
      tags: z.array(z.string()).optional().describe("Free-form labels"),
      probe: z.boolean().optional().describe("Probe capabilities after adding (default true)"),
    },
    annotations: inventoryWrite,
  }, (args, extra) =>
    ctx.tool(
      addDevice(
        {
          name: args.name,
          host: args.host,
          port: args.port ?? null,
          username: args.username ?? null,
          privateKeyPath: args.private_key_path ?? null,
          transport: args.transport,
          tags: args.tags,
        },
        args.probe !== false,
        "mcp add_device",
      ),
      extra,
    ))

  server.registerTool("update_device", {
    title: "Update device",
    description: "Change a device's connection settings, name, tags or enabled flag. " +
      "The open connection and cached data of the device are dropped.",
    inputSchema: {
      device: deviceArg,
      name: z.string().optional().describe("New name"),
      host: z.string().optional().describe("New hostname or IP"),
      port: z.number().int().min(1).max(65535).nullable().optional().describe("New SSH port (null = 22)"),
      username: z.string().nullable().optional().describe("New SSH user"),
      private_key_path: z.string().nullable().optional().describe("New private key path"),
      tags: z.array(z.string()).optional().describe("Replace the tags"),
      enabled: z.boolean().optional().describe("Disable to stop polling it"),
    },
    annotations: inventoryWrite,
  }, ({ device, private_key_path, ...rest }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        const patch: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(rest)) if (v !== undefined) patch[k] = v
        if (private_key_path !== undefined) patch["privateKeyPath"] = private_key_path
        if (Object.keys(patch).length === 0) {
          return yield* Effect.fail(new ValidationError({ message: "nothing to update: give at least one field" }))
        }
        const store = yield* Store
        const before = yield* store.getDevice(device)
        const after = yield* store.updateDevice(before.id, patch as DevicePatch)
        yield* forgetConnection(before.name)
        return publicDevice(after)
      }),
      extra,
    ))

  server.registerTool("remove_device", {
    title: "Remove device",
    description: "Delete a device and its collected history. Needs a server started with writes enabled.",
    inputSchema: { device: deviceArg },
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
  }, ({ device }, extra) => {
    const refused = ctx.refuseWrite("remove_device", extra)
    if (refused !== undefined) return refused
    return ctx.tool(
      Effect.gen(function* () {
        const store = yield* Store
        const found = yield* store.getDevice(device)
        yield* store.removeDevice(found.id)
        yield* forgetConnection(found.name)
        return { deleted: found.name }
      }),
      extra,
    )
  })

  server.registerTool("import_ssh_config", {
    title: "Import ssh config",
    description: "Add devices from an OpenSSH client config: each literal `Host` alias becomes a device of that " +
      "name (HostName, User, Port and the first IdentityFile applied); wildcard hosts are skipped, existing names " +
      "are left alone. Reads the server user's ~/.ssh/config unless config_text is given.",
    inputSchema: {
      config_text: z.string().optional().describe("ssh config text to import instead of ~/.ssh/config"),
      hosts: z.array(z.string()).optional().describe("Only these Host aliases"),
      dry_run: z.boolean().optional().describe("Only show what would be added"),
      probe: z.boolean().optional().describe("Probe each added device's capabilities (default false)"),
    },
    annotations: inventoryWrite,
  }, ({ config_text, hosts, dry_run, probe: withProbe }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        const text = config_text ?? (yield* Effect.try({
          try: () => readFileSync(path.join(os.homedir(), ".ssh", "config"), "utf8"),
          catch: (e) => new ValidationError({ message: `cannot read ~/.ssh/config: ${(e as Error).message}` }),
        }))
        const { inputs, skipped } = devicesFromSshConfig(text, hosts)
        const store = yield* Store
        const existing = new Set((yield* store.listDevices()).map((d) => d.name))
        const added: Array<unknown> = []
        const failed: Array<{ host: string; error: string }> = []
        for (const { input, problems } of inputs) {
          if (existing.has(input.name)) {
            skipped.push({ host: input.name, reason: "a device of that name exists" })
            continue
          }
          if (dry_run === true) {
            added.push({ ...input, problems })
            continue
          }
          const outcome = yield* addDevice(input, withProbe === true, "mcp import_ssh_config").pipe(
            Effect.map((d) => ({ ok: true as const, d })),
            Effect.catch((e: { readonly _tag: string }) => Effect.succeed({ ok: false as const, e })),
          )
          if (outcome.ok) added.push(problems.length > 0 ? { ...outcome.d, problems } : outcome.d)
          else failed.push({ host: input.name, error: errorMessage(outcome.e) })
        }
        return { dry_run: dry_run === true, added, skipped, failed }
      }),
      extra,
    ))
}

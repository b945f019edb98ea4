import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { Devices } from "../../app/devices.ts"
import type { ToolContext } from "../context.ts"
import { deviceArg, inventoryWrite, readOnly } from "./shared.ts"

/** Fields given (undefined dropped), in the REST API's snake_case: the operation validates them. */
const given = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))

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
      "list_devices",
      Devices.use((d) =>
        Effect.map(d.list({ tag, status }), (devices) => {
          const list = devices.map(({ capabilities, ...rest }) => {
            const tools = capabilities?.tools
            return { ...rest, tools: tools === undefined ? null : Object.keys(tools).filter((k) => tools[k] === true) }
          })
          return { count: list.length, devices: list }
        })
      ),
      extra,
    ))

  server.registerTool("get_device", {
    title: "Get device",
    description: "One device: connection settings (no secrets), status, last contact and the capability probe " +
      "(OS, which tools exist: docker, zpool, systemctl, virsh…), which decides what data can be read from it.",
    inputSchema: { device: deviceArg },
    annotations: readOnly,
  }, ({ device }, extra) => ctx.tool("get_device", Devices.use((d) => d.get(device)), extra))

  server.registerTool(
    "add_device",
    {
      title: "Add device",
      description: "Register a host to manage over SSH (key-based; keys are referenced by path, never sent). " +
        "Probes its capabilities right away unless probe=false; an unreachable host is still added. " +
        "Needs a token with scope write.",
      inputSchema: {
        name: z.string().min(1).describe("Unique device name: letters, digits, . _ - (max 63)"),
        host: z.string().min(1).describe("Hostname or IP address to connect to"),
        port: z.number().int().min(1).max(65535).optional().describe("SSH port (default 22)"),
        username: z.string().optional().describe("SSH user (default: the server's user)"),
        private_key_path: z.string().optional().describe("Path of the private key on the infrastructor server"),
        transport: z.enum(["ssh", "local"]).optional().describe("ssh (default) or local (this machine)"),
        proxy_jump: z.string().optional().describe(
          "Jump host(s), OpenSSH ProxyJump syntax: [user@]host[:port], comma-separated, first hop first; " +
            "'none' connects directly (default: ProxyJump from ~/.ssh/config for the host)",
        ),
        tags: z.array(z.string()).optional().describe("Free-form labels"),
        probe: z.boolean().optional().describe("Probe capabilities after adding (default true)"),
      },
      annotations: inventoryWrite,
    },
    ({ probe, ...fields }, extra) =>
      ctx.tool("add_device", Devices.use((d) => d.add(given(fields), { probe: probe !== false })), extra),
  )

  server.registerTool(
    "update_device",
    {
      title: "Update device",
      description: "Change a device's connection settings, name, tags or enabled flag. The open connection and " +
        "cached data of the device are dropped. A device given a new host or port keeps its trusted host key: the " +
        "new address must present it (re-trusting is a separate, explicit step). Needs a token with scope write.",
      inputSchema: {
        device: deviceArg,
        name: z.string().optional().describe("New name"),
        host: z.string().optional().describe("New hostname or IP"),
        port: z.number().int().min(1).max(65535).nullable().optional().describe("New SSH port (null = 22)"),
        username: z.string().nullable().optional().describe("New SSH user"),
        private_key_path: z.string().nullable().optional().describe("New private key path"),
        proxy_jump: z.string().nullable().optional().describe(
          "New jump host(s), OpenSSH ProxyJump syntax ([user@]host[:port], comma-separated) or 'none' " +
            "(direct); null = ProxyJump from ~/.ssh/config",
        ),
        tags: z.array(z.string()).optional().describe("Replace the tags"),
        enabled: z.boolean().optional().describe("Disable to stop polling it"),
      },
      annotations: inventoryWrite,
    },
    ({ device, ...fields }, extra) =>
      ctx.tool("update_device", Devices.use((d) => d.update(device, given(fields))), extra),
  )

  server.registerTool("remove_device", {
    title: "Remove device",
    description: "Delete a device and its collected history. Needs a token with scope write and a server " +
      "started with writes enabled.",
    inputSchema: { device: deviceArg },
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
  }, ({ device }, extra) => ctx.tool("remove_device", Devices.use((d) => d.remove(device)), extra))

  server.registerTool("import_ssh_config", {
    title: "Import ssh config",
    description: "Add devices from an OpenSSH client config: each literal `Host` alias becomes a device of that " +
      "name (HostName, User, Port, ProxyJump and the first IdentityFile applied); wildcard hosts are skipped, existing names " +
      "are left alone. Reads the server user's ~/.ssh/config unless config_text is given. Needs a token with " +
      "scope write.",
    inputSchema: {
      config_text: z.string().optional().describe("ssh config text to import instead of ~/.ssh/config"),
      hosts: z.array(z.string()).optional().describe("Only these Host aliases"),
      dry_run: z.boolean().optional().describe("Only show what would be added"),
      probe: z.boolean().optional().describe("Probe each added device's capabilities (default false)"),
    },
    annotations: inventoryWrite,
  }, ({ config_text, hosts, dry_run, probe }, extra) =>
    ctx.tool(
      "import_ssh_config",
      Devices.use((d) => d.importSshConfig({ configText: config_text, hosts, dryRun: dry_run, probe })),
      extra,
    ))
}

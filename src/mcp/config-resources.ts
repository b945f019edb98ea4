import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js"
import { ErrorCode, McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { Configs } from "../app/configs.ts"
import type { HandlerExtra, ToolContext } from "./context.ts"
import { jsonResource } from "./resources.ts"
import { configFileUri } from "./subscriptions.ts"

const byType = (configType: string) =>
  Effect.map(Configs.use((c) => c.current(configType)), ({ count, files }) => ({
    count,
    files: files.map((r) => ({ ...r, uri: configFileUri(String(r["device_name"]), String(r["path"])) })),
  }))

const first = (v: string | Array<string> | undefined): string => (Array.isArray(v) ? (v[0] ?? "") : (v ?? ""))

export const registerConfigResources = (server: McpServer, ctx: ToolContext): void => {
  server.registerResource("proxy-configs", "config://proxy-configs", {
    title: "Reverse proxy configs",
    description: "Current parsed reverse proxy configuration files of every device (server names, upstreams, auth)",
    mimeType: "application/json",
  }, (uri, extra) => jsonResource(ctx, uri, byType("proxy_configs"), extra))

  server.registerResource("docker-compose", "config://docker-compose", {
    title: "Docker compose files",
    description: "Current parsed docker compose files of every device (services, images, ports, volumes)",
    mimeType: "application/json",
  }, (uri, extra) => jsonResource(ctx, uri, byType("docker_compose"), extra))

  server.registerResource(
    "changes",
    "config://changes",
    {
      title: "Recent configuration changes",
      description: "The last 100 configuration change events with risk levels (subscribe: updates on every change)",
      mimeType: "application/json",
    },
    (uri, extra) =>
      jsonResource(
        ctx,
        uri,
        Configs.use((c) => c.changes({ limit: 100 })),
        extra,
      ),
  )

  server.registerResource(
    "config-file",
    new ResourceTemplate("config://{device}/{+path}", {
      list: async (extra) => {
        const outcome = await ctx.run("resource config://", Configs.use((c) => c.current()), extra)
        const rows = outcome.ok ? outcome.value.files : []
        return {
          resources: rows.map((r) => ({
            uri: configFileUri(String(r["device_name"]), String(r["path"])),
            name: `${String(r["device_name"])}:${String(r["path"])}`,
            description: `${String(r["config_type"])}, changed ${String(r["last_change"])}`,
            mimeType: "text/plain",
          })),
        }
      },
    }),
    {
      title: "Config file",
      description: "The current stored version of a tracked config file (secrets redacted)",
      mimeType: "text/plain",
    },
    async (uri, vars, extra: HandlerExtra): Promise<ReadResourceResult> => {
      const device = decodeURIComponent(first(vars["device"]))
      const path = `/${first(vars["path"])}`
      const outcome = await ctx.run("resource config://", Configs.use((c) => c.snapshot({ device, path })), extra)
      if (!outcome.ok) {
        const code = outcome.error.code === "not_found" || outcome.error.code === "device_not_found"
          ? ErrorCode.InvalidParams
          : ErrorCode.InternalError
        throw new McpError(code, `${outcome.error.code}: ${outcome.error.message}`)
      }
      if (outcome.value.content_hash === null) {
        throw new McpError(ErrorCode.InvalidParams, `${path} was deleted on ${device}`)
      }
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text: outcome.value.content }] }
    },
  )
}

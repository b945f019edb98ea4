import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js"
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { Devices } from "../app/devices.ts"
import type { Caller } from "../app/caller.ts"
import { type HandlerExtra, type McpServices, toJson, type ToolContext } from "./context.ts"

/** A resource body: JSON text, or a protocol error carrying the pipeline's message. */
export const jsonResource = async (
  ctx: ToolContext,
  uri: URL,
  effect: Effect.Effect<unknown, unknown, McpServices | Caller>,
  extra?: HandlerExtra,
): Promise<ReadResourceResult> => {
  const outcome = await ctx.run(`resource ${uri.protocol}//${uri.host}`, effect, extra)
  if (!outcome.ok) {
    const code = outcome.error.code === "device_not_found" || outcome.error.code === "not_found"
      ? ErrorCode.InvalidParams
      : ErrorCode.InternalError
    throw new McpError(code, `${outcome.error.code}: ${outcome.error.message}`)
  }
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(toJson(outcome.value)) }] }
}

const first = (v: string | Array<string> | undefined): string => (Array.isArray(v) ? (v[0] ?? "") : (v ?? ""))

export const registerDeviceResources = (server: McpServer, ctx: ToolContext): void => {
  server.registerResource(
    "devices",
    "infra://devices",
    {
      title: "Devices",
      description: "Every managed device with status and last contact (subscribe: updates when a status changes)",
      mimeType: "application/json",
    },
    (uri, extra) =>
      jsonResource(
        ctx,
        uri,
        Effect.map(Devices.use((d) => d.list()), (devices) => ({ devices })),
        extra,
      ),
  )

  server.registerResource(
    "device",
    new ResourceTemplate("infra://devices/{device}", {
      list: async (extra) => {
        const outcome = await ctx.run("resource infra://devices", Devices.use((d) => d.list()), extra)
        const devices = outcome.ok ? outcome.value : []
        return {
          resources: devices.map((d) => ({
            uri: `infra://devices/${encodeURIComponent(d.name)}`,
            name: d.name,
            description: `${d.name} (${d.host}, ${d.status})`,
            mimeType: "application/json",
          })),
        }
      },
      complete: {
        device: async (value) => {
          const outcome = await ctx.run("resource infra://devices", Devices.use((d) => d.list()))
          return outcome.ok ? outcome.value.map((d) => d.name).filter((n) => n.startsWith(value)) : []
        },
      },
    }),
    {
      title: "Device",
      description: "One device: connection settings (no secrets), status and capability probe",
      mimeType: "application/json",
    },
    (uri, vars, extra) =>
      jsonResource(
        ctx,
        uri,
        Devices.use((d) => d.get(decodeURIComponent(first(vars["device"])))),
        extra,
      ),
  )
}

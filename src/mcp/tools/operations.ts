import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { Admin } from "../../app/admin.ts"
import { Data } from "../../app/data.ts"
import { parseWhen } from "../../app/when.ts"
import type { ToolContext } from "../context.ts"
import { hostWrite, readOnly } from "./shared.ts"

export const registerOperationTools = (server: McpServer, ctx: ToolContext): void => {
  server.registerTool("get_audit_log", {
    title: "Audit log",
    description: "Recent pipeline operations, newest first: who asked (api, mcp, polling, cli), device, data type " +
      "or action, cache hit, duration, SSH commands, status and error message.",
    inputSchema: {
      device: z.string().optional().describe("Only this device name"),
      data_type: z.string().optional().describe("Only this data type or action, e.g. containers, container_restart"),
      method: z.enum(["polling", "api", "mcp", "watch", "cli", "library"]).optional().describe("Only this caller kind"),
      status: z.enum(["success", "error", "partial"]).optional().describe("Only this outcome"),
      since: z.string().optional().describe("ISO time or duration back from now like 1h"),
      limit: z.number().int().min(1).max(1000).optional().describe("At most this many (default 50)"),
    },
    annotations: readOnly,
  }, (args, extra) =>
    ctx.tool(
      "get_audit_log",
      Effect.suspend(() =>
        Admin.use((a) =>
          a.audit({
            device: args.device,
            dataType: args.data_type,
            method: args.method,
            status: args.status,
            since: parseWhen("since", args.since),
            limit: args.limit ?? 50,
          })
        )
      ),
      extra,
    ))

  server.registerTool("get_cache_stats", {
    title: "Cache statistics",
    description: "The read cache: entries, bytes, hits, misses, hit ratio, evictions, loads, coalesced callers.",
    inputSchema: {},
    annotations: readOnly,
  }, (extra) => ctx.tool("get_cache_stats", Admin.use((a) => a.cache()), extra))

  server.registerTool("invalidate_cache", {
    title: "Invalidate cache",
    description: "Drop cached reads so the next read goes to the host: one device, one data type, both, or " +
      "(with neither) everything. Audited. Needs a token with scope write.",
    inputSchema: {
      device: z.string().min(1).optional().describe("Only this device"),
      data_type: z.string().optional().describe("Only this data type, e.g. containers"),
      reason: z.string().max(500).optional().describe("Why, for the audit log"),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, ({ device, data_type, reason }, extra) =>
    ctx.tool(
      "invalidate_cache",
      Admin.use((a) => a.invalidateCache({ device, dataType: data_type, reason: reason ?? "mcp request" })),
      extra,
    ))

  server.registerTool("get_performance", {
    title: "Performance",
    description: "How the collection pipeline performs: per data type calls, cache hit rate, error count and " +
      "latency over a window (from the audit log), plus SSH connection and cache counters.",
    inputSchema: {
      since: z.string().optional().describe("Window start: ISO time or duration like 1h (default 1h)"),
    },
    annotations: readOnly,
  }, ({ since }, extra) =>
    ctx.tool(
      "get_performance",
      Effect.suspend(() =>
        Admin.use((a) => a.performanceSummary(parseWhen("since", since) ?? new Date(Date.now() - 3_600_000)))
      ),
      extra,
    ))

  for (const verb of ["start", "stop", "restart"] as const) {
    const tool = `${verb}_container`
    server.registerTool(tool, {
      title: `${verb[0]!.toUpperCase()}${verb.slice(1)} container`,
      description: `${verb[0]!.toUpperCase()}${verb.slice(1)} a Docker container on a device, then re-read the ` +
        "container list. Changes the host: needs a token with scope write and a server started with writes enabled.",
      inputSchema: {
        device: z.string().min(1).describe("Device name or id"),
        name: z.string().min(1).describe("Container name or id"),
      },
      annotations: hostWrite,
    }, ({ device, name }, extra) => ctx.tool(tool, Data.use((d) => d.containerAction(device, verb, name)), extra))
  }
}

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { Data } from "../../app/data.ts"
import { parseWhen } from "../../app/when.ts"
import type { ToolContext } from "../context.ts"
import { deviceArg, readOnly } from "./shared.ts"

export const registerHistoryTools = (server: McpServer, ctx: ToolContext): void => {
  server.registerTool("get_metrics_history", {
    title: "Metrics history",
    description: "Stored system metrics of a device over a time range, summarised: min/avg/max/last per metric " +
      "(CPU, iowait, memory, swap, load, processes, fullest disk, network rates) and a bounded number of " +
      "time-bucket averages. Reads the database only (what polling and earlier reads stored), never the host.",
    inputSchema: {
      device: deviceArg,
      from: z.string().optional().describe("Start: ISO time or duration back from now like 6h, 7d (default 24h)"),
      to: z.string().optional().describe("End: ISO time or duration back from now (default now)"),
      points: z.number().int().min(1).max(500).optional().describe("Max downsampled points (default 48)"),
    },
    annotations: readOnly,
  }, ({ device, from, to, points }, extra) =>
    ctx.tool(
      "get_metrics_history",
      Effect.suspend(() => {
        const now = Date.now()
        return Data.use((d) =>
          d.metricsSummary(device, {
            from: parseWhen("from", from, now) ?? new Date(now - 86_400_000),
            to: parseWhen("to", to, now) ?? new Date(now),
            points: points ?? 48,
          })
        )
      }),
      extra,
    ))
}

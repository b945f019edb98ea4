import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { ValidationError } from "../../domain/errors.ts"
import { Store } from "../../store/Store.ts"
import type { ToolContext } from "../context.ts"
import { METRIC_COLUMNS, parseRelative, summariseMetrics } from "./metrics-summary.ts"
import { deviceArg, readOnly } from "./shared.ts"

/** Rows read for one summary; past this the newest are kept. */
const MAX_ROWS = 20_000

/** ISO time or a relative duration back from now ("6h", "7d"). */
export const parseWhen = (label: string, text: string | undefined, now: number): Date | undefined => {
  if (text === undefined || text === "") return undefined
  const back = parseRelative(text)
  if (back !== undefined) return new Date(now - back)
  const t = Date.parse(text)
  if (Number.isNaN(t)) {
    throw new ValidationError({ message: `${label} must be an ISO time or a duration like 30m, 6h, 7d; got '${text}'` })
  }
  return new Date(t)
}

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
      Effect.gen(function* () {
        const now = Date.now()
        const range = yield* Effect.try({
          try: () => ({
            from: parseWhen("from", from, now) ?? new Date(now - 86_400_000),
            to: parseWhen("to", to, now) ?? new Date(now),
          }),
          catch: (e) => e as ValidationError,
        })
        if (range.from > range.to) {
          return yield* Effect.fail(new ValidationError({ message: "from must not be after to" }))
        }
        const store = yield* Store
        const dev = yield* store.getDevice(device)
        const rows = yield* store.query(
          `SELECT time, ${[...METRIC_COLUMNS, "net_rx_bytes", "net_tx_bytes"].join(", ")} FROM system_metrics
         WHERE device_id = $1 AND time >= $2 AND time <= $3 ORDER BY time DESC LIMIT ${MAX_ROWS}`,
          [dev.id, range.from, range.to],
        )
        const summary = summariseMetrics(rows, points ?? 48)
        return {
          device: dev.name,
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          truncated: rows.length >= MAX_ROWS,
          ...summary,
          ...(summary.samples === 0 ? { hint: "no stored samples in range: call get_system_metrics to take one" } : {}),
        }
      }),
      extra,
    ))
}

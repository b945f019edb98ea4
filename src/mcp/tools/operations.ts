import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { Cache } from "../../cache/Cache.ts"
import { Collector } from "../../collect/Collector.ts"
import { Observability } from "../../observe/Observability.ts"
import { Registry } from "../../registry/Registry.ts"
import { Store } from "../../store/Store.ts"
import { Ssh } from "../../ssh/Ssh.ts"
import { ValidationError } from "../../domain/errors.ts"
import type { ToolContext } from "../context.ts"
import { parseWhen } from "./history.ts"
import { hostWrite, readOnly } from "./shared.ts"

const cacheStats = Effect.map(Cache, (c) => {
  const s = c.stats()
  const lookups = s.hits + s.misses
  return { ...s, hit_ratio: lookups === 0 ? null : Math.round((s.hits / lookups) * 1000) / 1000 }
})

/** Per data type over a window: how often, how fast, how often from cache, how often failing. */
const performanceQuery = `SELECT data_type, count(*) AS calls,
    sum(CASE WHEN cache_hit THEN 1 ELSE 0 END) AS cache_hits,
    sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
    avg(duration_ms) AS avg_ms, max(duration_ms) AS max_ms,
    avg(CASE WHEN cache_hit THEN NULL ELSE duration_ms END) AS avg_uncached_ms
  FROM data_collection_audit WHERE time >= $1 GROUP BY data_type ORDER BY calls DESC`

const round = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10)

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
      Effect.gen(function* () {
        const since = yield* Effect.try({
          try: () => parseWhen("since", args.since, Date.now()),
          catch: (e) => e as ValidationError,
        })
        const rows = yield* Store.use((s) =>
          s.queryAudit({
            device: args.device,
            dataType: args.data_type,
            method: args.method,
            status: args.status,
            since,
            limit: args.limit ?? 50,
          })
        )
        return { count: rows.length, entries: rows }
      }),
      extra,
    ))

  server.registerTool("get_cache_stats", {
    title: "Cache statistics",
    description: "The read cache: entries, bytes, hits, misses, hit ratio, evictions, loads, coalesced callers.",
    inputSchema: {},
    annotations: readOnly,
  }, (extra) => ctx.tool(cacheStats, extra))

  server.registerTool("invalidate_cache", {
    title: "Invalidate cache",
    description: "Drop cached reads so the next read goes to the host: one device, one data type, both, or " +
      "(with neither) everything. Audited.",
    inputSchema: {
      device: z.string().min(1).optional().describe("Only this device"),
      data_type: z.string().optional().describe("Only this data type, e.g. containers"),
      reason: z.string().max(500).optional().describe("Why, for the audit log"),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, ({ device, data_type, reason }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        // Unknown names fail rather than silently dropping nothing: a typo should not look like success.
        const dev = device === undefined ? undefined : yield* Store.use((s) => s.getDevice(device))
        if (data_type !== undefined) yield* Registry.use((r) => r.get(data_type))
        return yield* Observability.use((o) =>
          o.invalidateCache({
            device: dev?.name,
            dataType: data_type,
            reason: reason ?? "mcp request",
            method: "mcp",
            source: "mcp invalidate_cache",
            deviceId: dev?.id ?? null,
          })
        )
      }),
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
      Effect.gen(function* () {
        const now = Date.now()
        const from = yield* Effect.try({
          try: () => parseWhen("since", since, now) ?? new Date(now - 3_600_000),
          catch: (e) => e as ValidationError,
        })
        const rows = yield* Store.use((s) => s.query(performanceQuery, [from]))
        // Per-minute rollups (flushed every minute) for trends; the audit summary above covers the current minute.
        const rollups = yield* Observability.use((o) =>
          o.performance({ from, to: new Date(now), method: "all", limit: 120 })
        )
        const ssh = (yield* Ssh).stats()
        return {
          since: from.toISOString(),
          data_types: rows.map((r) => ({
            data_type: String(r["data_type"]),
            calls: Number(r["calls"]),
            cache_hits: Number(r["cache_hits"]),
            errors: Number(r["errors"]),
            avg_ms: round(r["avg_ms"]),
            max_ms: round(r["max_ms"]),
            avg_uncached_ms: round(r["avg_uncached_ms"]),
          })),
          rollups,
          ssh,
          cache: yield* cacheStats,
        }
      }),
      extra,
    ))

  for (const verb of ["start", "stop", "restart"] as const) {
    const tool = `${verb}_container`
    server.registerTool(tool, {
      title: `${verb[0]!.toUpperCase()}${verb.slice(1)} container`,
      description: `${verb[0]!.toUpperCase()}${verb.slice(1)} a Docker container on a device, then re-read the ` +
        "container list. Changes the host: only on a server started with writes enabled.",
      inputSchema: {
        device: z.string().min(1).describe("Device name or id"),
        name: z.string().min(1).describe("Container name or id"),
      },
      annotations: hostWrite,
    }, ({ device, name }, extra) => {
      const refused = ctx.refuseWrite(tool, extra)
      if (refused !== undefined) return refused
      return ctx.tool(
        Collector.use((c) =>
          c.act(device, `container_${verb}`, { method: "mcp", source: `mcp ${tool}`, params: { name } })
        ),
        extra,
      )
    })
  }
}

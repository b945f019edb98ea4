import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { type Collected, Data } from "../../app/data.ts"
import type { Params } from "../../pipeline/DataType.ts"
import { allDataTypes } from "../../collectors/index.ts"
import type { ToolContext } from "../context.ts"
import { deviceArg, forceRefreshArg, readOnly } from "./shared.ts"

/** Every read is the Data.collect operation: the pipeline (cache → ssh → parse → store → audit). */
export const collectFor = (device: string, dataType: string, forceRefresh?: boolean, params?: Params) =>
  Data.use((d) => d.collect(device, dataType, { forceRefresh: forceRefresh === true, params }))

/** Same envelope as a collected read, with `data` replaced by a narrower view. */
const reshape = <K extends string>(c: Collected, key: K, value: unknown) => ({
  device: c.device,
  data_type: c.data_type,
  collected_at: c.collected_at,
  age_seconds: c.age_seconds,
  cache: c.cache,
  [key]: value,
})

export const registerDataTools = (server: McpServer, ctx: ToolContext): void => {
  // One tool per data type whose spec offers it (`mcpTool`); the rest have tools of their own below.
  for (const spec of allDataTypes) {
    const read = spec.mcpTool
    if (read === undefined) continue
    server.registerTool(
      read.name,
      {
        title: read.title,
        description: `${read.description} Result carries collected_at, age_seconds and cache (hit/miss/refresh).`,
        inputSchema: { device: deviceArg, force_refresh: forceRefreshArg },
        annotations: readOnly,
      },
      ({ device, force_refresh }, extra) => ctx.tool(read.name, collectFor(device, spec.name, force_refresh), extra),
    )
  }

  server.registerTool(
    "get_container",
    {
      title: "Get container",
      description: "One container's docker inspect: config, image, env names, mounts, networks, health check, " +
        "restart policy and count, state with exit code and times.",
      inputSchema: {
        device: deviceArg,
        name: z.string().min(1).describe("Container name or id"),
        force_refresh: forceRefreshArg,
      },
      annotations: readOnly,
    },
    ({ device, name, force_refresh }, extra) =>
      ctx.tool("get_container", collectFor(device, "container_inspect", force_refresh, { name }), extra),
  )

  server.registerTool(
    "get_container_logs",
    {
      title: "Container logs",
      description: "A container's recent log lines (stdout and stderr) with timestamps. Always read live.",
      inputSchema: {
        device: deviceArg,
        name: z.string().min(1).describe("Container name or id"),
        tail: z.number().int().min(1).max(10_000).optional().describe("Last N lines (default 200)"),
        since: z.string().optional().describe("Only lines since this time: RFC 3339 date or relative like 10m, 2h"),
      },
      annotations: readOnly,
    },
    ({ device, name, tail, since }, extra) =>
      ctx.tool(
        "get_container_logs",
        collectFor(device, "container_logs", false, { name, tail: tail ?? 200, since }),
        extra,
      ),
  )

  server.registerTool(
    "get_zfs_status",
    {
      title: "ZFS status",
      description: "ZFS pools (health, capacity, fragmentation, scrub/resilver, vdev tree with read/write/checksum " +
        "errors), datasets and ARC statistics. Snapshots are only counted here: use list_zfs_snapshots.",
      inputSchema: {
        device: deviceArg,
        pool: z.string().optional().describe("Only this pool"),
        force_refresh: forceRefreshArg,
      },
      annotations: readOnly,
    },
    ({ device, pool, force_refresh }, extra) =>
      ctx.tool(
        "get_zfs_status",
        Effect.map(collectFor(device, "zfs", force_refresh, { pool }), (c) => {
          const { snapshots, ...rest } = c.data as { snapshots: { available: boolean; items: Array<unknown> } }
          return {
            ...c,
            data: { ...rest, snapshots: { available: snapshots.available, count: snapshots.items.length } },
          }
        }),
        extra,
      ),
  )

  server.registerTool(
    "list_zfs_snapshots",
    {
      title: "List ZFS snapshots",
      description: "ZFS snapshots (dataset, name, used/referenced bytes, creation time), newest first.",
      inputSchema: {
        device: deviceArg,
        dataset: z.string().optional().describe("Only snapshots of this dataset (and its children)"),
        limit: z.number().int().min(1).max(5000).optional().describe("At most this many (default 200)"),
        force_refresh: forceRefreshArg,
      },
      annotations: readOnly,
    },
    ({ device, dataset, limit, force_refresh }, extra) =>
      ctx.tool(
        "list_zfs_snapshots",
        Effect.map(collectFor(device, "zfs", force_refresh), (c) => {
          type Snap = { dataset: string; created_at: string | null }
          const items = (c.data as { snapshots: { items: Array<Snap> } }).snapshots.items
            .filter((s) => dataset === undefined || s.dataset === dataset || s.dataset.startsWith(`${dataset}/`))
            .sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""))
          const max = limit ?? 200
          return { ...reshape(c, "snapshots", items.slice(0, max)), total: items.length, truncated: items.length > max }
        }),
        extra,
      ),
  )

  server.registerTool(
    "list_systemd_services",
    {
      title: "List systemd services",
      description: "systemd services with load/active/sub state, enabled state, restarts, main PID, exit status, " +
        "memory; plus failed units and counts. Filter to keep the answer short.",
      inputSchema: {
        device: deviceArg,
        state: z.string().optional().describe(
          "Only units whose active or sub state equals this (failed, running, inactive…)",
        ),
        name: z.string().optional().describe("Only units whose name contains this text"),
        force_refresh: forceRefreshArg,
      },
      annotations: readOnly,
    },
    ({ device, state, name, force_refresh }, extra) =>
      ctx.tool(
        "list_systemd_services",
        Effect.map(collectFor(device, "systemd_services", force_refresh), (c) => {
          type Unit = { name: string; active_state: string; sub_state: string }
          const data = c.data as { units: Array<Unit>; failed: unknown; counts?: unknown }
          const units = data.units
            .filter((u) => state === undefined || u.active_state === state || u.sub_state === state)
            .filter((u) => name === undefined || u.name.includes(name))
          return { ...reshape(c, "units", units), failed: data.failed, counts: data.counts ?? null }
        }),
        extra,
      ),
  )

  server.registerTool(
    "query_system_logs",
    {
      title: "Query system logs",
      description: "System journal entries (journalctl; dmesg where there is no journald). With unit, priority or " +
        "since: the newest matching entries. With no filter: entries new since the previous unfiltered read.",
      inputSchema: {
        device: deviceArg,
        unit: z.string().optional().describe("systemd unit name or glob, e.g. nginx.service, docker*"),
        priority: z.string().optional().describe("Max priority: 0-7 or emerg|alert|crit|err|warning|notice|info|debug"),
        since: z.string().optional().describe("journalctl time: '2024-05-01 10:00', '-1h', 'today', 'yesterday'"),
        limit: z.number().int().min(1).max(10_000).optional().describe("At most this many entries (default 200)"),
        force_refresh: forceRefreshArg,
      },
      annotations: readOnly,
    },
    ({ device, unit, priority, since, limit, force_refresh }, extra) =>
      ctx.tool(
        "query_system_logs",
        collectFor(device, "system_logs", force_refresh, {
          unit,
          priority,
          since,
          limit: limit ?? 200,
        }),
        extra,
      ),
  )
}

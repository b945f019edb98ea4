import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import {
  diffSnapshots,
  fileHistory,
  getSnapshot,
  listChanges,
  snapshotView,
  trackedFiles,
} from "../../configs/history.ts"
import { restoreSnapshot } from "../../configs/restore.ts"
import { buildDeviceServiceMap } from "../../configs/service-map-route.ts"
import { NotFound, ValidationError } from "../../domain/errors.ts"
import { Store } from "../../store/Store.ts"
import { Watcher } from "../../watch/Watcher.ts"
import type { ToolContext } from "../context.ts"
import { parseWhen } from "./history.ts"
import { deviceArg, hostWrite, readOnly } from "./shared.ts"

const CONFIG_TYPES = ["proxy_configs", "docker_compose", "systemd_services", "env_files"] as const
const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const

const snapshotId = z.number().int().min(1).describe(
  "Snapshot (version) id, from get_config_history or list_recent_changes",
)
const pathArg = z.string().min(1).describe(
  "Absolute path of the tracked file on the device, e.g. /etc/nginx/nginx.conf",
)

/** Newest snapshot id of one file, or NotFound. */
export const latestSnapshotId = (device: string, path: string) =>
  Effect.gen(function* () {
    const dev = yield* Store.use((s) => s.getDevice(device))
    const rows = yield* fileHistory(dev.id, path, 2)
    if (rows.length === 0) return yield* Effect.fail(new NotFound({ message: `${path} is not tracked on ${dev.name}` }))
    return { device: dev, ids: rows.map((r) => Number(r["id"])) }
  })

/** Risk filter: an exact list, or everything at or above `min_risk`. */
const risksFrom = (risk: ReadonlyArray<string> | undefined, minRisk: string | undefined): Array<string> | undefined => {
  if (risk !== undefined && risk.length > 0) return risk.map((r) => r.toUpperCase())
  if (minRisk === undefined) return undefined
  return RISKS.slice(RISKS.indexOf(minRisk.toUpperCase() as (typeof RISKS)[number]))
}

export const registerConfigTools = (server: McpServer, ctx: ToolContext): void => {
  server.registerTool("list_config_files", {
    title: "List tracked config files",
    description: "Configuration files tracked on a device (reverse proxy, docker compose, systemd units, env files): " +
      "type, current hash, number of versions, last change, whether deleted; plus the watcher's state for the device.",
    inputSchema: { device: deviceArg },
    annotations: readOnly,
  }, ({ device }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        const dev = yield* Store.use((s) => s.getDevice(device))
        const files = yield* trackedFiles(dev.id)
        const watch = (yield* Watcher).status().find((s) => s.device === dev.name) ?? null
        return { device: dev.name, count: files.length, files, watch }
      }),
      extra,
    ))

  server.registerTool("get_config_history", {
    title: "Config file history",
    description: "Versions of one tracked file, newest first (no content): time, change type, risk level and rule, " +
      "diff size, detection source. Read one with get_config_version, compare with diff_config_versions.",
    inputSchema: {
      device: deviceArg,
      path: pathArg,
      limit: z.number().int().min(1).max(1000).optional().describe("At most this many versions (default 50)"),
    },
    annotations: readOnly,
  }, ({ device, path, limit }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        const dev = yield* Store.use((s) => s.getDevice(device))
        const versions = yield* fileHistory(dev.id, path, limit ?? 50)
        return { device: dev.name, path, count: versions.length, versions }
      }),
      extra,
    ))

  server.registerTool("get_config_version", {
    title: "Config file version",
    description: "One stored version of a config file with its content (secrets redacted) and parsed form. Give " +
      "snapshot_id, or device + path for the current version.",
    inputSchema: {
      snapshot_id: snapshotId.optional(),
      device: deviceArg.optional(),
      path: pathArg.optional(),
    },
    annotations: readOnly,
  }, ({ snapshot_id, device, path }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        const id = snapshot_id ?? (device !== undefined && path !== undefined
          ? (yield* latestSnapshotId(device, path)).ids[0]!
          : yield* Effect.fail(new ValidationError({ message: "give snapshot_id, or device and path" })))
        return snapshotView(yield* getSnapshot(id), false)
      }),
      extra,
    ))

  server.registerTool("diff_config_versions", {
    title: "Diff config versions",
    description: "Unified diff between two stored versions (secrets redacted). Give from_snapshot_id and " +
      "to_snapshot_id, or device + path to diff the last change of that file.",
    inputSchema: {
      from_snapshot_id: snapshotId.optional(),
      to_snapshot_id: snapshotId.optional(),
      device: deviceArg.optional(),
      path: pathArg.optional(),
    },
    annotations: readOnly,
  }, ({ from_snapshot_id, to_snapshot_id, device, path }, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        if (from_snapshot_id !== undefined && to_snapshot_id !== undefined) {
          return yield* diffSnapshots(from_snapshot_id, to_snapshot_id, false)
        }
        if (device === undefined || path === undefined) {
          return yield* Effect.fail(
            new ValidationError({ message: "give from_snapshot_id and to_snapshot_id, or device and path" }),
          )
        }
        const { ids } = yield* latestSnapshotId(device, path)
        const [latest, previous] = ids
        if (previous === undefined) {
          return yield* Effect.fail(new ValidationError({ message: `${path} has a single version: nothing to diff` }))
        }
        return yield* diffSnapshots(previous, latest!, false)
      }),
      extra,
    ))

  server.registerTool("list_recent_changes", {
    title: "Recent config changes",
    description: "Configuration change events, newest first, each with change type, risk level (LOW…CRITICAL) " +
      "and the rule that set it, semantic diff summary, affected services and whether a restart is needed.",
    inputSchema: {
      device: z.string().optional().describe("Only this device"),
      config_type: z.enum(CONFIG_TYPES).optional().describe("Only this kind of file"),
      risk: z.array(z.enum(RISKS)).optional().describe("Only these risk levels"),
      min_risk: z.enum(RISKS).optional().describe("Only this risk level and above"),
      path: z.string().optional().describe("Only this file"),
      since: z.string().optional().describe("ISO time or duration back from now like 24h, 7d (default 7d)"),
      limit: z.number().int().min(1).max(1000).optional().describe("At most this many (default 50)"),
    },
    annotations: readOnly,
  }, (args, extra) =>
    ctx.tool(
      Effect.gen(function* () {
        const now = Date.now()
        const since = yield* Effect.try({
          try: () => parseWhen("since", args.since, now) ?? new Date(now - 7 * 86_400_000),
          catch: (e) => e as ValidationError,
        })
        const changes = yield* listChanges({
          device: args.device,
          configType: args.config_type,
          path: args.path,
          since,
          risk: risksFrom(args.risk, args.min_risk),
          limit: args.limit ?? 50,
        })
        return { since: since.toISOString(), count: changes.length, changes }
      }),
      extra,
    ))

  server.registerTool(
    "get_service_map",
    {
      title: "Service map",
      description: "Which public hostname routes to which container on a device: reverse proxy server names and " +
        "locations joined with upstreams, auth in force and the running containers (and compose dependencies).",
      inputSchema: { device: deviceArg },
      annotations: readOnly,
    },
    ({ device }, extra) =>
      ctx.tool(Effect.flatMap(Store.use((s) => s.getDevice(device)), (dev) => buildDeviceServiceMap(dev)), extra),
  )

  server.registerTool("restore_config_version", {
    title: "Restore config version",
    description: "Put a stored version of a config file back on its device. Without confirm=true it is a dry run: " +
      "the diff between the file as it is now and that version, nothing written. With confirm=true (needs a server " +
      "started with writes enabled): atomic write with a backup, a syntax check (nginx -t, compose config, " +
      "systemd-analyze verify) and a rollback if the check fails.",
    inputSchema: {
      device: deviceArg,
      snapshot_id: snapshotId,
      confirm: z.boolean().optional().describe("Actually write the file (default false: dry run)"),
      validate: z.boolean().optional().describe("Run the syntax check after writing (default true)"),
    },
    annotations: hostWrite,
  }, ({ device, snapshot_id, confirm, validate }, extra) => {
    const dryRun = confirm !== true
    // The dry run only reads the host, so it is allowed everywhere; writing needs writes enabled.
    if (!dryRun) {
      const refused = ctx.refuseWrite("restore_config_version with confirm=true", extra)
      if (refused !== undefined) return refused
    }
    return ctx.tool(
      Effect.gen(function* () {
        const watcher = yield* Watcher
        const outcome = yield* restoreSnapshot(device, {
          snapshotId: snapshot_id,
          dryRun,
          validate: validate !== false,
          method: "mcp",
          source: `mcp restore_config_version${dryRun ? " (dry run)" : ""}`,
        }, watcher.settings)
        return dryRun ? { ...outcome, hint: "dry run: call again with confirm=true to write this version" } : outcome
      }),
      extra,
    )
  })
}

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect } from "effect"
import { z } from "zod"
import { Configs } from "../../app/configs.ts"
import { parseWhen } from "../../app/when.ts"
import { ValidationError } from "../../domain/errors.ts"
import type { ToolContext } from "../context.ts"
import { deviceArg, hostWrite, readOnly } from "./shared.ts"

const CONFIG_TYPES = ["proxy_configs", "docker_compose", "systemd_services", "env_files"] as const
const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const

const snapshotId = z.number().int().min(1).describe(
  "Snapshot (version) id, from get_config_history or list_recent_changes",
)
const pathArg = z.string().min(1).describe(
  "Absolute path of the tracked file on the device, e.g. /etc/nginx/nginx.conf",
)

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
  }, ({ device }, extra) => ctx.tool("list_config_files", Configs.use((c) => c.tracked(device)), extra))

  server.registerTool(
    "get_config_history",
    {
      title: "Config file history",
      description: "Versions of one tracked file, newest first (no content): time, change type, risk level and rule, " +
        "diff size, detection source. Read one with get_config_version, compare with diff_config_versions.",
      inputSchema: {
        device: deviceArg,
        path: pathArg,
        limit: z.number().int().min(1).max(1000).optional().describe("At most this many versions (default 50)"),
      },
      annotations: readOnly,
    },
    ({ device, path, limit }, extra) =>
      ctx.tool("get_config_history", Configs.use((c) => c.history(device, path, limit ?? 50)), extra),
  )

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
      "get_config_version",
      snapshot_id !== undefined
        ? Configs.use((c) => c.snapshot({ snapshotId: snapshot_id }))
        : device !== undefined && path !== undefined
        ? Configs.use((c) => c.snapshot({ device, path }))
        : Effect.fail(new ValidationError({ message: "give snapshot_id, or device and path" })),
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
      "diff_config_versions",
      from_snapshot_id !== undefined && to_snapshot_id !== undefined
        ? Configs.use((c) => c.diff({ from: from_snapshot_id, to: to_snapshot_id }))
        : device !== undefined && path !== undefined
        ? Configs.use((c) => c.diff({ device, path }))
        : Effect.fail(new ValidationError({ message: "give from_snapshot_id and to_snapshot_id, or device and path" })),
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
      "list_recent_changes",
      Effect.suspend(() => {
        const now = Date.now()
        const since = parseWhen("since", args.since, now) ?? new Date(now - 7 * 86_400_000)
        return Effect.map(
          Configs.use((c) =>
            c.changes({
              device: args.device,
              configType: args.config_type,
              path: args.path,
              since,
              risk: risksFrom(args.risk, args.min_risk),
              limit: args.limit ?? 50,
            })
          ),
          (out) => ({ since: since.toISOString(), ...out }),
        )
      }),
      extra,
    ))

  server.registerTool("get_service_map", {
    title: "Service map",
    description: "Which public hostname routes to which container on a device: reverse proxy server names and " +
      "locations joined with upstreams, auth in force and the running containers (and compose dependencies).",
    inputSchema: { device: deviceArg },
    annotations: readOnly,
  }, ({ device }, extra) => ctx.tool("get_service_map", Configs.use((c) => c.serviceMap(device)), extra))

  server.registerTool("restore_config_version", {
    title: "Restore config version",
    description: "Put a stored version of a config file back on its device. Without confirm=true it is a dry run: " +
      "the diff between the file as it is now and that version, nothing written. With confirm=true (needs a token " +
      "with scope write and a server started with writes enabled): atomic write with a backup, a syntax check " +
      "(nginx -t, compose config, systemd-analyze verify) and a rollback if the check fails. `warnings` says when " +
      "the file is (or was) written without a check: no check exists for the type (env files), the tool is not on " +
      "the host, or validate=false. A version stored with its secrets redacted cannot be restored (error " +
      "restore_redacted, dry run too): its secret values are not kept.",
    inputSchema: {
      device: deviceArg,
      snapshot_id: snapshotId,
      confirm: z.boolean().optional().describe("Actually write the file (default false: dry run)"),
      validate: z.boolean().optional().describe("Run the syntax check after writing (default true)"),
    },
    annotations: hostWrite,
  }, ({ device, snapshot_id, confirm, validate }, extra) =>
    ctx.tool(
      "restore_config_version",
      confirm === true
        ? Configs.use((c) => c.restore(device, snapshot_id, { validate: validate !== false }))
        : Effect.map(
          Configs.use((c) => c.restorePreview(device, snapshot_id)),
          (outcome) => ({ ...outcome, hint: "dry run: call again with confirm=true to write this version" }),
        ),
      extra,
    ))
}

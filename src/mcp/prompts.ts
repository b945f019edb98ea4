import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import type { GetPromptResult } from "@modelcontextprotocol/sdk/types.js"
import { z } from "zod"

const user = (text: string): GetPromptResult => ({ messages: [{ role: "user", content: { type: "text", text } }] })

export const registerPrompts = (server: McpServer, configTools: boolean): void => {
  server.registerPrompt("infrastructure_health_check", {
    title: "Infrastructure health check",
    description: "Check every device and report problems, worst first",
  }, () =>
    user([
      "Run a health check of the whole infrastructure with the infrastructor tools.",
      "1. Call list_devices. Note devices that are offline or have not been seen recently.",
      "2. For each online device call get_system_metrics (CPU, memory, swap, load, disk usage).",
      "3. Depending on its capabilities (get_device shows them): list_containers (unhealthy, restarting, exited " +
      "unexpectedly), get_drive_health (SMART failures, reallocated/pending sectors, temperature), get_zfs_status " +
      "(pool health, errors, capacity > 80 %, scrub age), list_systemd_services with state=failed, list_vms.",
      "4. Call get_audit_log with status=error and since=24h for collection failures.",
      ...(configTools ? ["5. Call list_recent_changes with since=24h and mention HIGH/CRITICAL risk changes."] : []),
      "Report: a short summary line per device, then every problem ordered by severity with the evidence " +
      "(values and collected_at) and a suggested next step. Do not change anything.",
    ].join("\n")))

  server.registerPrompt("troubleshoot_device", {
    title: "Troubleshoot a device",
    description: "Investigate one device step by step and explain what is wrong",
    argsSchema: { device: z.string().describe("Device name") },
  }, ({ device }) =>
    user([
      `Troubleshoot the device "${device}" with the infrastructor tools.`,
      `1. get_device device=${device}: status, last_seen, capabilities. If offline, get_audit_log device=${device} ` +
      "status=error shows why (auth, timeout, refused) — stop there and explain how to fix the connection.",
      `2. get_system_metrics device=${device} force_refresh=true, and get_metrics_history device=${device} from=24h ` +
      "to see whether CPU, memory, load or disk usage changed recently.",
      `3. query_system_logs device=${device} priority=err since=-1h for recent errors.`,
      "4. If it runs containers: list_containers, then get_container and get_container_logs for any container " +
      "that is unhealthy, restarting or exited with a non-zero code.",
      "5. list_systemd_services state=failed; get_drive_health; get_zfs_status; get_network_interfaces (errors, drops, link down).",
      ...(configTools
        ? [`6. list_recent_changes device=${device} since=7d: did a configuration change precede the problem?`]
        : []),
      "Explain the most likely cause with evidence, then the fix. Only propose actions (restart_container…); " +
      "do not run them unless the user asks.",
    ].join("\n")))

  server.registerPrompt("review_recent_changes", {
    title: "Review recent changes",
    description: "Review configuration changes and actions for risk",
    argsSchema: {
      since: z.string().optional().describe("Window, e.g. 24h or 7d (default 24h)"),
      device: z.string().optional().describe("Only this device"),
    },
  }, ({ since, device }) => {
    const window = since ?? "24h"
    const on = device === undefined ? "" : ` device=${device}`
    return user([
      `Review what changed in the infrastructure in the last ${window}${device === undefined ? "" : ` on ${device}`}.`,
      ...(configTools
        ? [
          `1. list_recent_changes since=${window}${on}: configuration file changes with risk levels.`,
          "2. For each HIGH or CRITICAL change, and any change touching auth, TLS, ports or upstreams: " +
          "diff_config_versions (or get_config_history then get_config_version) to see exactly what changed.",
          "3. get_service_map to see which services each changed file affects.",
        ]
        : ["1. (Configuration history is not available on this server.)"]),
      `4. get_audit_log${on} method=mcp and method=api since=${window} for container actions and restores.`,
      "Summarise each change: what, when, risk, affected services, whether a restart is pending, and whether it " +
      "looks intended. Propose restore_config_version (dry run first) only for changes that look wrong.",
    ].join("\n"))
  })
}

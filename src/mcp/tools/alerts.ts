import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect, Schema } from "effect"
import { z } from "zod"
import { Alerts, type AlertsShape } from "../../app/alerts.ts"
import type { Caller } from "../../app/caller.ts"
import { RulePatch, SilenceCreate } from "../../alerts/model.ts"
import { ValidationError } from "../../domain/errors.ts"
import type { McpServices, ToolContext } from "../context.ts"
import { inventoryWrite, readOnly } from "./shared.ts"

const withAlerts = <A, E>(
  f: (s: AlertsShape) => Effect.Effect<A, E, Caller>,
): Effect.Effect<A, E, McpServices | Caller> => Alerts.use(f)

const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, what: string, value: unknown) =>
  Effect.mapError(
    Schema.decodeUnknownEffect(schema)(value, { onExcessProperty: "error" }),
    (issue) => new ValidationError({ message: `invalid ${what}: ${issue.message.replace(/\s*\n\s*/g, " ")}` }),
  )

const ruleIdArg = z.string().min(1).describe("Alert rule id, from list_alert_rules")
const alertIdArg = z.number().int().min(1).describe("Alert id, from list_alerts")
const ruleDoc = "A rule: { id, name, severity: info|warning|critical, scope: {all:true} | {tag} | {devices:[...]}, " +
  "condition: {kind:'threshold', data_type, records?: host|mounts, metric (dot path), comparator, threshold, " +
  "resolve_threshold?} or {kind:'predicate', predicate, count?, min_risk?, names?}, for?: '5m', repeat_interval?, enabled? }"

export const registerAlertTools = (server: McpServer, ctx: ToolContext): void => {
  server.registerTool(
    "list_alerts",
    {
      title: "List alerts",
      description: "Alerts, newest first: rule, device, subject (mount, container, drive...), state " +
        "(pending/firing/resolved), value and threshold, times, acknowledgement, whether silenced.",
      inputSchema: {
        state: z.array(z.enum(["pending", "firing", "resolved"])).optional().describe("Only these states"),
        device: z.string().min(1).optional().describe("Only this device (name)"),
        severity: z.array(z.enum(["info", "warning", "critical"])).optional().describe("Only these severities"),
        limit: z.number().int().min(1).max(1000).optional().describe("At most this many (default 100)"),
      },
      annotations: readOnly,
    },
    ({ state, device, severity, limit }, extra) =>
      ctx.tool("list_alerts", withAlerts((s) => s.list({ state, device, severity, limit: limit ?? 100 })), extra),
  )

  server.registerTool("list_alert_rules", {
    title: "List alert rules",
    description: "Every alert rule: the built-ins (with overrides), the config file's and those added through the API.",
    inputSchema: {},
    annotations: readOnly,
  }, (_args, extra) => ctx.tool("list_alert_rules", withAlerts((s) => s.rules()), extra))

  server.registerTool("create_alert_rule", {
    title: "Create alert rule",
    description: `Add an alert rule. ${ruleDoc}`,
    inputSchema: { rule: z.record(z.string(), z.unknown()).describe("The rule") },
    annotations: inventoryWrite,
  }, ({ rule }, extra) => ctx.tool("create_alert_rule", withAlerts((s) => s.createRule(rule)), extra))

  server.registerTool("update_alert_rule", {
    title: "Update alert rule",
    description: "Change fields of an alert rule (name, severity, scope, condition, for, repeat_interval, enabled). " +
      "On a built-in this stores an override, e.g. { enabled: false } switches it off.",
    inputSchema: { id: ruleIdArg, changes: z.record(z.string(), z.unknown()).describe("The fields to change") },
    annotations: inventoryWrite,
  }, ({ id, changes }, extra) =>
    ctx.tool(
      "update_alert_rule",
      withAlerts((s) => Effect.flatMap(decode(RulePatch, "changes", changes), (patch) => s.updateRule(id, patch))),
      extra,
    ))

  server.registerTool("delete_alert_rule", {
    title: "Delete alert rule",
    description: "Delete an alert rule added through the API, or reset a built-in to its defaults.",
    inputSchema: { id: ruleIdArg },
    annotations: inventoryWrite,
  }, ({ id }, extra) => ctx.tool("delete_alert_rule", withAlerts((s) => s.deleteRule(id)), extra))

  server.registerTool("test_alert_rule", {
    title: "Test alert rule",
    description: "Evaluate a rule now against the stored data of every device in its scope, without raising " +
      `alerts. Give id (a stored rule) or rule (${ruleDoc}).`,
    inputSchema: {
      id: ruleIdArg.optional(),
      rule: z.record(z.string(), z.unknown()).optional().describe("A whole rule, not saved"),
    },
    annotations: readOnly,
  }, ({ id, rule }, extra) =>
    ctx.tool(
      "test_alert_rule",
      withAlerts((s) => s.testRule(rule !== undefined ? { rule } : { id: id ?? "" })),
      extra,
    ))

  server.registerTool("acknowledge_alert", {
    title: "Acknowledge alert",
    description: "Acknowledge an alert: no more reminders; a config-change alert is resolved by it.",
    inputSchema: {
      id: alertIdArg,
      by: z.string().max(200).optional().describe("Who acknowledges (default: the token)"),
    },
    annotations: inventoryWrite,
  }, ({ id, by }, extra) => ctx.tool("acknowledge_alert", withAlerts((s) => s.acknowledge(id, by)), extra))

  server.registerTool("list_alert_silences", {
    title: "List alert silences",
    description: "Silences in force (all=true: expired ones too).",
    inputSchema: { all: z.boolean().optional().describe("Include expired silences") },
    annotations: readOnly,
  }, ({ all }, extra) => ctx.tool("list_alert_silences", withAlerts((s) => s.silences(all === true)), extra))

  server.registerTool("silence_alerts", {
    title: "Silence alerts",
    description: "Silence alerts matching every given matcher (rule_id, device, tag, subject) until a time " +
      '(ISO 8601, unix seconds, or a duration from now like "2h").',
    inputSchema: {
      rule_id: z.string().optional().describe("Only alerts of this rule"),
      device: z.string().optional().describe("Only alerts of this device (name)"),
      tag: z.string().optional().describe("Only alerts of devices with this tag"),
      subject: z.string().optional().describe("Only this subject: a mount point, container, drive, pool or unit"),
      until: z.string().min(1).describe('Until when: ISO 8601, unix seconds, or a duration from now ("2h")'),
      reason: z.string().max(1000).optional().describe("Why (shown in list_alert_silences)"),
    },
    annotations: inventoryWrite,
  }, (args, extra) =>
    ctx.tool(
      "silence_alerts",
      withAlerts((s) => Effect.flatMap(decode(SilenceCreate, "silence", args), (input) => s.silence(input))),
      extra,
    ))

  server.registerTool("unsilence_alerts", {
    title: "Remove alert silence",
    description: "Remove a silence by id (from list_alert_silences).",
    inputSchema: { id: z.number().int().min(1).describe("Silence id") },
    annotations: inventoryWrite,
  }, ({ id }, extra) => ctx.tool("unsilence_alerts", withAlerts((s) => s.unsilence(id)), extra))
}

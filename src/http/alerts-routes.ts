/** Alerts, alert rules and silences. */
import { Effect, Schema } from "effect"
import { Hono } from "hono"
import { Alerts } from "../app/alerts.ts"
import { AcknowledgeBody, AlertRule, RuleCreate, RulePatch, SilenceCreate } from "../alerts/model.ts"
import type { Bridge } from "./bridge.ts"
import { decodedBody } from "./body.ts"
import { optional, parseBool, parseLimit } from "./query.ts"

/** POST /api/alert-rules/test: a stored rule by id, or a rule given whole (not saved). */
export const RuleTestRequest = Schema.Struct({
  id: Schema.optional(Schema.String).annotate({ description: "a rule's id" }),
  rule: Schema.optional(AlertRule).annotate({ description: "or a whole rule, evaluated without saving it" }),
}).annotate({ identifier: "AlertRuleTest" })

const list = (raw: string | undefined): Array<string> | undefined =>
  optional(raw)?.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")

export const alertRoutes = (bridge: Bridge<Alerts>): Hono => {
  const app = new Hono()

  app.get("/api/alerts", (c) =>
    bridge.respond(
      c,
      Effect.suspend(() =>
        Alerts.use((s) =>
          s.list({
            state: list(c.req.query("state")),
            device: optional(c.req.query("device")),
            severity: list(c.req.query("severity")),
            rule: optional(c.req.query("rule")),
            limit: parseLimit(c.req.query("limit"), 100, 10_000),
          })
        )
      ),
    ))

  app.get("/api/alert-rules", (c) => bridge.respond(c, Alerts.use((s) => s.rules())))

  app.post("/api/alert-rules", (c) =>
    bridge.respond(
      c,
      Effect.flatMap(decodedBody(c, RuleCreate), (rule) => Alerts.use((s) => s.createRule(rule))),
      { status: 201 },
    ))

  app.patch("/api/alert-rules/:id", (c) =>
    bridge.respond(
      c,
      Effect.flatMap(decodedBody(c, RulePatch), (patch) => Alerts.use((s) => s.updateRule(c.req.param("id"), patch))),
    ))

  app.delete("/api/alert-rules/:id", (c) => bridge.respond(c, Alerts.use((s) => s.deleteRule(c.req.param("id")))))

  app.post("/api/alert-rules/test", (c) =>
    bridge.respond(
      c,
      Effect.flatMap(decodedBody(c, RuleTestRequest), (body) =>
        Alerts.use((s) => s.testRule(body.rule !== undefined ? { rule: body.rule } : { id: body.id ?? "" }))),
    ))

  app.get(
    "/api/alert-silences",
    (c) => bridge.respond(c, Effect.suspend(() => Alerts.use((s) => s.silences(parseBool("all", c.req.query("all")))))),
  )

  app.post("/api/alert-silences", (c) =>
    bridge.respond(
      c,
      Effect.flatMap(decodedBody(c, SilenceCreate), (body) => Alerts.use((s) => s.silence(body))),
      { status: 201 },
    ))

  app.delete(
    "/api/alert-silences/:id",
    (c) => bridge.respond(c, Alerts.use((s) => s.unsilence(c.req.param("id")))),
  )

  app.get("/api/alerts/:id", (c) => bridge.respond(c, Alerts.use((s) => s.get(c.req.param("id")))))

  app.post("/api/alerts/:id/acknowledge", (c) =>
    bridge.respond(
      c,
      Effect.flatMap(decodedBody(c, AcknowledgeBody), (body) =>
        Alerts.use((s) => s.acknowledge(c.req.param("id"), body.by))),
    ))

  return app
}

/**
 * The alerts area: /alerts (alerts, silences, and for a write session the forms), its live part
 * alone at /feeds/alerts/rows (outside /alerts/, so a signed-out fetch gets a JSON 401, not the
 * sign-in redirect), and the read-only rules at /alerts/rules.
 */
import { Effect, Exit } from "effect"
import type { Context } from "hono"
import { Alerts } from "../../app/alerts.ts"
import { Devices } from "../../app/devices.ts"
import { failureOf, fragment, html, type PageKit, readProblem, sessionOf } from "../kit/page-kit.ts"
import { AlertsLive, AlertsPage, type AlertsView } from "./alerts-page.tsx"
import { ACTIVE_LIMIT, type AlertQuery, alertQuery, HISTORY_SIZE } from "./filters.ts"
import { RulesPage } from "./rules-page.tsx"

const orUndefined = (s: string): string | undefined => (s === "" ? undefined : s)

/** Firing, then pending (each newest first), then recent resolved history; and the silences in force. */
const viewOf = (f: AlertQuery) =>
  Effect.gen(function* () {
    const alerts = yield* Alerts
    const base = {
      device: orUndefined(f.device),
      severity: f.severity === "" ? undefined : [f.severity],
      rule: orUndefined(f.rule),
    }
    const showActive = f.state !== "resolved"
    const showResolved = f.state === "" || f.state === "resolved"
    const states = f.state === "" || f.state === "resolved" ? ["firing", "pending"] : [f.state]
    const [active, resolved, silences] = yield* Effect.all([
      showActive ? alerts.list({ ...base, state: states, limit: ACTIVE_LIMIT }) : Effect.succeed({ alerts: [] }),
      showResolved
        ? alerts.list({ ...base, state: ["resolved"], limit: HISTORY_SIZE })
        : Effect.succeed({ alerts: [] }),
      alerts.silences(false),
    ])
    const rank = (s: string) => (s === "firing" ? 0 : 1)
    const view: AlertsView = {
      active: [...active.alerts].sort((a, b) => rank(a.state) - rank(b.state)),
      resolved: resolved.alerts,
      silences: silences.silences,
      filtered: f.severity !== "" || f.device !== "" || f.rule !== "" || f.state !== "",
      showActive,
      showResolved,
    }
    return view
  })

/** Names for the filters and the silence form; a session that may not list them still gets the alerts. */
const choices = Effect.all([
  Devices.use((d) => d.list()).pipe(
    Effect.map((devices) => devices.map((d) => d.name).sort()),
    Effect.orElseSucceed((): Array<string> => []),
  ),
  Alerts.use((a) => a.rules()).pipe(
    Effect.map(({ rules }) => rules.map((r) => r.id).sort()),
    Effect.orElseSucceed((): Array<string> => []),
  ),
])

export const registerAlertPages = (kit: PageKit): void => {
  kit.app.get("/alerts", async (c: Context) => {
    const filter = alertQuery((n) => c.req.query(n))
    const session = sessionOf(c)
    const [result, names] = await Promise.all([kit.bridge.exit(c, viewOf(filter)), kit.bridge.exit(c, choices)])
    const [devices, rules] = Exit.isSuccess(names) ? names.value : [[], []]
    const error = Exit.isFailure(result) ? readProblem(failureOf(result), "alerts") : undefined
    return html(
      c,
      AlertsPage({
        session,
        styles: kit.styles("alerts.css"),
        scripts: [kit.assets.url("alerts.js")],
        filter,
        devices,
        rules,
        view: Exit.isSuccess(result) ? result.value : undefined,
        error,
        now: Date.now(),
      }),
      error?.status ?? 200,
    )
  })

  kit.app.get("/feeds/alerts/rows", async (c) => {
    const filter = alertQuery((n) => c.req.query(n))
    const result = await kit.bridge.exit(c, viewOf(filter))
    if (Exit.isFailure(result)) return kit.errorJson(c, failureOf(result))
    return fragment(c, AlertsLive({ view: result.value, now: Date.now(), write: sessionOf(c).scope === "write" }))
  })

  kit.app.get("/alerts/rules", async (c) => {
    const result = await kit.bridge.exit(c, Alerts.use((a) => a.rules()))
    if (Exit.isFailure(result)) return kit.errorPage(c, failureOf(result))
    return html(c, RulesPage({ session: sessionOf(c), styles: kit.styles("alerts.css"), rules: result.value.rules }))
  })
}

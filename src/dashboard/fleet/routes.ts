/** The fleet page (/) and its table body alone (/fleet/rows) for the live refresh. */
import { Effect, Exit } from "effect"
import { Alerts } from "../../app/alerts.ts"
import { Devices } from "../../app/devices.ts"
import { latestMetrics } from "../kit/latest-metrics.ts"
import { failureOf, html, type PageKit, sessionOf } from "../kit/page-kit.ts"
import { type FiringAlerts, FleetPage, type FleetRow, FleetRows } from "./fleet-page.tsx"
import { cpuSpark } from "./sparkline.tsx"

const NO_ALERTS: FiringAlerts = { critical: 0, warning: 0, info: 0, silenced: 0 }

/** Firing alerts per device, one store read for the fleet; a failure leaves the column empty. */
const firingByDevice = Alerts.use((a) => a.list({ state: ["firing"], limit: 10_000 })).pipe(
  Effect.map(({ alerts }) => {
    const by = new Map<string, FiringAlerts>()
    for (const alert of alerts) {
      const now = by.get(alert.device) ?? NO_ALERTS
      const severity = alert.severity as keyof FiringAlerts
      by.set(
        alert.device,
        alert.silenced
          ? { ...now, silenced: now.silenced + 1 }
          : severity in now
          ? { ...now, [severity]: now[severity] + 1 }
          : now,
      )
    }
    return by
  }),
  Effect.orElseSucceed(() => new Map<string, FiringAlerts>()),
)

// Per device: the newest sample and the last hour's CPU, both store reads, eight devices at a time.
const fleetRows = Effect.suspend(() => {
  const now = Date.now()
  return Effect.all([Devices.use((d) => d.list()), firingByDevice]).pipe(
    Effect.flatMap(([devices, alerts]) =>
      Effect.forEach(
        devices,
        (d) =>
          Effect.map(
            Effect.all([latestMetrics(d.name), cpuSpark(d.name, now)]),
            ([metrics, spark]): FleetRow => ({
              name: d.name,
              status: d.status,
              enabled: d.enabled,
              tags: d.tags,
              lastSeen: d.last_seen,
              metrics,
              spark,
              alerts: alerts.get(d.name) ?? NO_ALERTS,
            }),
          ),
        { concurrency: 8 },
      )
    ),
  )
})

export const registerFleetPages = (kit: PageKit): void => {
  kit.app.get("/", async (c) => {
    const rows = await kit.bridge.exit(c, fleetRows)
    if (Exit.isFailure(rows)) return kit.errorPage(c, failureOf(rows))
    return html(
      c,
      FleetPage({
        session: sessionOf(c),
        styles: kit.styles(),
        scripts: [kit.assets.url("fleet.js")],
        rows: rows.value,
        now: Date.now(),
      }),
    )
  })

  kit.app.get("/fleet/rows", async (c) => {
    const rows = await kit.bridge.exit(c, fleetRows)
    if (Exit.isFailure(rows)) return kit.errorJson(c, failureOf(rows))
    return html(c, FleetRows({ rows: rows.value, now: Date.now() }))
  })
}

/** The fleet page (/) and its table body alone (/fleet/rows) for the live refresh. */
import { Effect, Exit } from "effect"
import { Devices } from "../../app/devices.ts"
import { latestMetrics } from "../kit/latest-metrics.ts"
import { failureOf, html, type PageKit, sessionOf } from "../kit/page-kit.ts"
import { FleetPage, type FleetRow, FleetRows } from "./fleet-page.tsx"
import { cpuSpark } from "./sparkline.tsx"

// Per device: the newest sample and the last hour's CPU, both store reads, eight devices at a time.
const fleetRows = Effect.suspend(() => {
  const now = Date.now()
  return Devices.use((d) => d.list()).pipe(
    Effect.flatMap((devices) =>
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

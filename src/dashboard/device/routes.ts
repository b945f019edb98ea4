/** One device's page (/devices/:device): header, history charts, containers. */
import { Effect, Exit } from "effect"
import { Data } from "../../app/data.ts"
import { Devices } from "../../app/devices.ts"
import { describeError } from "../../domain/errors.ts"
import { num } from "../kit/format.ts"
import { latestMetrics } from "../kit/latest-metrics.ts"
import { failureOf, html, type PageKit, sessionOf } from "../kit/page-kit.ts"
import { type ContainersView, DevicePage, RANGES } from "./device-page.tsx"

interface PortLike {
  readonly host_ip: string | null
  readonly host_port: number | null
  readonly container_port: number
  readonly protocol: string
}

const portText = (p: PortLike): string =>
  p.host_port === null
    ? `${p.container_port}/${p.protocol}`
    : `${p.host_ip === null || p.host_ip === "" ? "" : `${p.host_ip}:`}${p.host_port}→${p.container_port}/${p.protocol}`

/** The containers table from a cached pipeline read (Data.collect, not forced). */
const containersOf = (device: string) =>
  Data.use((d) => d.collect(device, "containers")).pipe(
    Effect.map((collected): ContainersView => {
      const data = collected.data as {
        readonly available?: boolean
        readonly engine?: string | null
        readonly containers?: ReadonlyArray<Record<string, unknown>>
      }
      if (data.available === false) {
        return { kind: "unavailable", message: "docker is not installed on this host (nor podman)" }
      }
      return {
        kind: "ok",
        collectedAt: collected.collected_at,
        containers: (data.containers ?? []).map((ct) => ({
          name: String(ct["name"]),
          image: typeof ct["image"] === "string" ? ct["image"] : null,
          state: String(ct["state"]),
          status: typeof ct["status"] === "string" ? ct["status"] : null,
          health: typeof ct["health"] === "string" ? ct["health"] : null,
          ports: ((ct["ports"] ?? []) as ReadonlyArray<PortLike>).map(portText),
          restarts: num(ct["restart_count"]),
        })),
      }
    }),
    Effect.catch((e: unknown) => {
      const info = describeError(e)
      return Effect.succeed<ContainersView>(
        info.status === 422
          ? { kind: "unavailable", message: info.message }
          : { kind: "error", code: info.code, message: info.message },
      )
    }),
  )

export const registerDevicePages = (kit: PageKit): void => {
  kit.app.get("/devices/:device", async (c) => {
    const name = c.req.param("device")
    const rangeParam = c.req.query("range")
    const range = RANGES.some(([key]) => key === rangeParam) ? rangeParam! : "24h"
    const loaded = await kit.bridge.exit(
      c,
      Effect.gen(function* () {
        const device = yield* Devices.use((d) => d.get(name))
        const [latest, containers] = yield* Effect.all([latestMetrics(device.name), containersOf(device.name)], {
          concurrency: 2,
        })
        return { device, latest, containers }
      }),
    )
    if (Exit.isFailure(loaded)) return kit.errorPage(c, failureOf(loaded))
    const { device, latest, containers } = loaded.value
    return html(
      c,
      DevicePage({
        session: sessionOf(c),
        styles: [kit.assets.url("uPlot.min.css"), ...kit.styles("panels.css")],
        scripts: [kit.assets.url("uPlot.iife.min.js"), kit.assets.url("device.js"), kit.assets.url("panels.js")],
        device: {
          name: device.name,
          host: device.host,
          status: device.status,
          tags: device.tags,
          lastSeen: device.last_seen,
        },
        latest,
        range,
        containers,
        now: Date.now(),
      }),
    )
  })
}

/**
 * The web dashboard, served at / by the same process: server-rendered hono/jsx pages, small client
 * modules, and the session cookie (src/dashboard/session). Every read goes through the application
 * services (src/app) as the request's Caller, so scopes, audit and retries are the API's own.
 * Host reads go through Data.collect (the pipeline) only; stored history through Data.history.
 */
import { Cause, Effect, Exit, Option } from "effect"
import { type Context, Hono } from "hono"
import type { Caller } from "../app/caller.ts"
import { Data } from "../app/data.ts"
import { Devices } from "../app/devices.ts"
import type { Authenticator } from "../auth/Authenticator.ts"
import "../auth/context.ts"
import { describeError } from "../domain/errors.ts"
import { makeAssetStore } from "./assets.ts"
import { type ContainersView, DevicePage, RANGES } from "./pages/device.tsx"
import { FleetPage, type FleetRow, FleetRows, type LatestMetrics } from "./pages/fleet.tsx"
import { isoOf, num } from "./pages/format.ts"
import { Layout, Notice, type SessionView } from "./pages/layout.tsx"
import { LoginPage } from "./pages/login.tsx"
import {
  clearedCookie,
  CSRF_FIELD,
  csrfFor,
  csrfMatches,
  sessionCookie,
  sessionTokenFrom,
  viaHttps,
} from "./session/session.ts"

/** What the dashboard needs of the HTTP bridge (src/http/bridge.ts): run as the request's Caller. */
export interface DashboardRunner<R> {
  readonly exit: <A, E>(c: Context, effect: Effect.Effect<A, E, R | Caller>) => Promise<Exit.Exit<A, E>>
  readonly run: <A, E>(effect: Effect.Effect<A, E, R>) => Promise<Exit.Exit<A, E>>
}

/** Scripts only from this origin, no inline code, no framing; uPlot sets styles through the CSSOM. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ")

const securityHeaders: Record<string, string> = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
}

const html = async (c: Context, element: unknown, status: 200 | 400 | 401 | 403 | 404 | 429 | 500 | 503 = 200) =>
  c.body(`<!doctype html>\n${String(await element)}`, status, {
    ...securityHeaders,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.findErrorOption(exit.cause)
  return Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
}

/** The session as the pages show it, from what the auth middleware set. */
const sessionOf = (c: Context): SessionView => {
  const cookieToken = c.req.header("authorization") === undefined ? sessionTokenFrom(c.req.header("cookie")) : undefined
  return {
    scope: c.get("tokenScope") ?? "read",
    signedIn: (c.get("tokenId") ?? null) !== null,
    csrf: cookieToken === undefined ? "" : csrfFor(cookieToken),
    viaCookie: cookieToken !== undefined,
  }
}

const latestOf = (row: Record<string, unknown> | undefined): LatestMetrics | undefined =>
  row === undefined ? undefined : {
    time: isoOf(row["time"]),
    cpu: num(row["cpu_percent"]),
    mem: num(row["mem_used_percent"]),
    disk: num(row["disk_used_percent_max"]),
    load1: num(row["load1"]),
    load5: num(row["load5"]),
    load15: num(row["load15"]),
    uptime: num(row["uptime_seconds"]),
  }

/** The newest stored system_metrics sample of a device: a store read, never a host read. */
const latestMetrics = (device: string) =>
  Data.use((d) => d.history(device, "system_metrics", { limit: 1 })).pipe(
    Effect.map((h) => latestOf(h.rows[0])),
    Effect.orElseSucceed(() => undefined),
  )

const fleetRows = Devices.use((d) => d.list()).pipe(
  Effect.flatMap((devices) =>
    Effect.forEach(
      devices,
      (d) =>
        Effect.map(latestMetrics(d.name), (metrics): FleetRow => ({
          name: d.name,
          status: d.status,
          enabled: d.enabled,
          tags: d.tags,
          lastSeen: d.last_seen,
          metrics,
        })),
      { concurrency: 8 },
    )
  ),
)

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

const SAFE_NEXT = /^\/(?![/\\])[^\s]*$/

/** A form posted from another site (login CSRF) is refused: the Origin, when sent, must be ours. */
const sameOrigin = (c: Context): boolean => {
  if (c.req.header("sec-fetch-site") === "cross-site") return false
  const origin = c.req.header("origin")
  if (origin === undefined) return true
  try {
    return new URL(origin).host === (c.req.header("host") ?? new URL(c.req.url).host)
  } catch {
    return false
  }
}

export const dashboardRoutes = <R>(bridge: DashboardRunner<R | Devices | Data>, auth: Authenticator): Hono => {
  const app = new Hono()
  const assets = makeAssetStore()
  const styles = () => [assets.url("style.css")]
  const secure = (c: Context) => viaHttps(c.req.url, c.req.header("x-forwarded-proto"))

  const openMode = async (): Promise<boolean> => {
    const outcome = await bridge.run(auth.check(undefined))
    return Exit.isSuccess(outcome) && outcome.value.ok
  }

  const loginPage = async (c: Context, next: string, error?: string, status: 200 | 401 | 403 | 429 | 503 = 200) =>
    html(c, LoginPage({ styles: styles(), next, error, openMode: await openMode() }), status)

  app.get("/login", (c) => {
    const next = c.req.query("next") ?? "/"
    return loginPage(c, SAFE_NEXT.test(next) ? next : "/")
  })

  app.post("/login", async (c) => {
    const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>))
    const rawNext = typeof form["next"] === "string" ? form["next"] : "/"
    const next = SAFE_NEXT.test(rawNext) ? rawNext : "/"
    if (!sameOrigin(c)) return loginPage(c, next, "Sign-in must come from this server's own page.", 403)
    const token = typeof form["token"] === "string" ? form["token"].trim() : ""
    if (token === "") return loginPage(c, next, "Enter an API token.", 401)
    if (sessionTokenFrom(`infra_session=${token}`) === undefined) {
      return loginPage(c, next, "That is not an API token.", 401)
    }
    const checked = await bridge.run(auth.check(`Bearer ${token}`))
    if (Exit.isFailure(checked)) return loginPage(c, next, "The token could not be checked.", 503)
    const outcome = checked.value
    if (!outcome.ok) return loginPage(c, next, outcome.message, outcome.status)
    c.header("set-cookie", sessionCookie(token, secure(c)))
    return c.redirect(next, 303)
  })

  app.post("/logout", async (c) => {
    const cookieToken = sessionTokenFrom(c.req.header("cookie"))
    if (cookieToken !== undefined) {
      const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>))
      const presented = c.req.header("x-csrf-token") ?? (typeof form[CSRF_FIELD] === "string" ? form[CSRF_FIELD] : "")
      if (!csrfMatches(cookieToken, presented)) {
        return c.json({ error: { code: "csrf_failed", message: "sign-out needs the page's CSRF value" } }, 403)
      }
    }
    c.header("set-cookie", clearedCookie(secure(c)))
    return c.redirect("/login", 303)
  })

  app.get("/assets/:hash/:name", (c) => {
    const asset = assets.get(c.req.param("name"))
    if (asset === undefined) return c.json({ error: { code: "not_found", message: "no such asset" } }, 404)
    const current = asset.hash === c.req.param("hash")
    return c.body(asset.body, 200, {
      ...securityHeaders,
      "content-type": asset.type,
      // Only the URL of this exact content is cached for good; an old hash gets today's file, revalidated.
      "cache-control": current ? "public, max-age=31536000, immutable" : "no-cache",
    })
  })

  const errorPage = (c: Context, e: unknown) => {
    const info = describeError(e)
    const status = info.status === 404 ? 404 : info.status === 403 ? 403 : info.status === 503 ? 503 : 500
    return html(
      c,
      Layout({
        title: "Error",
        session: sessionOf(c),
        styles: styles(),
        scripts: [],
        children: Notice({ kind: "error", title: `${info.code}`, detail: info.message }),
      }),
      status,
    )
  }

  app.get("/", async (c) => {
    const rows = await bridge.exit(c, fleetRows)
    if (Exit.isFailure(rows)) return errorPage(c, failureOf(rows))
    return html(
      c,
      FleetPage({
        session: sessionOf(c),
        styles: styles(),
        scripts: [assets.url("fleet.js")],
        rows: rows.value,
        now: Date.now(),
      }),
    )
  })

  /** The fleet table's body alone, for the live refresh. */
  app.get("/fleet/rows", async (c) => {
    const rows = await bridge.exit(c, fleetRows)
    if (Exit.isFailure(rows)) {
      const info = describeError(failureOf(rows))
      return c.json({ error: { code: info.code, message: info.message } }, info.status === 403 ? 403 : 500)
    }
    return html(c, FleetRows({ rows: rows.value, now: Date.now() }))
  })

  app.get("/devices/:device", async (c) => {
    const name = c.req.param("device")
    const rangeParam = c.req.query("range")
    const range = RANGES.some(([key]) => key === rangeParam) ? rangeParam! : "24h"
    const loaded = await bridge.exit(
      c,
      Effect.gen(function* () {
        const device = yield* Devices.use((d) => d.get(name))
        const [latest, containers] = yield* Effect.all([latestMetrics(device.name), containersOf(device.name)], {
          concurrency: 2,
        })
        return { device, latest, containers }
      }),
    )
    if (Exit.isFailure(loaded)) return errorPage(c, failureOf(loaded))
    const { device, latest, containers } = loaded.value
    return html(
      c,
      DevicePage({
        session: sessionOf(c),
        styles: [assets.url("uPlot.min.css"), ...styles()],
        scripts: [assets.url("uPlot.iife.min.js"), assets.url("device.js")],
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

  return app
}

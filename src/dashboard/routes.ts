/**
 * The web dashboard, served at / by the same process: server-rendered hono/jsx pages, small client
 * modules, and the session cookie (src/dashboard/session). Each area is a folder that registers its
 * routes on one PageKit: fleet, device, panels (the device's tables), configs (history, diffs,
 * restore), feeds (changes, audit), settings, alerts. Every read goes through the application services
 * (src/app) as the request's Caller, so scopes, audit and retries are the API's own; every write is
 * a call from the browser to the REST API, with the session's CSRF header.
 */
import { Exit } from "effect"
import { type Context, Hono } from "hono"
import type { Authenticator } from "../auth/Authenticator.ts"
import "../auth/context.ts"
import { registerAlertPages } from "./alerts/routes.ts"
import { makeAssetStore } from "./assets.ts"
import { registerConfigPages } from "./configs/routes.ts"
import { registerDevicePages } from "./device/routes.ts"
import { registerFeedPages } from "./feeds/routes.ts"
import { registerFleetPages } from "./fleet/routes.ts"
import { type DashboardRunner, html, makePageKit, type PageServices, securityHeaders } from "./kit/page-kit.ts"
import { registerDevicePanels } from "./panels/routes.ts"
import { LoginPage } from "./session/login-page.tsx"
import { clearedCookie, CSRF_FIELD, csrfMatches, sessionCookie, sessionTokenFrom, viaHttps } from "./session/session.ts"
import { registerSettingsPages } from "./settings/routes.ts"

export { DASHBOARD_CSP, type DashboardRunner } from "./kit/page-kit.ts"

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

export const dashboardRoutes = (bridge: DashboardRunner<PageServices>, auth: Authenticator): Hono => {
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
    const headers = {
      ...securityHeaders,
      "content-type": asset.type,
      // Only the URL of this exact content is cached for good; an old hash gets today's file, revalidated.
      "cache-control": current ? "public, max-age=31536000, immutable" : "no-cache",
      vary: "accept-encoding",
    }
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      return c.body(asset.gzipped(), 200, { ...headers, "content-encoding": "gzip" })
    }
    return c.body(asset.body, 200, headers)
  })

  const kit = makePageKit(app, bridge, assets)
  registerFleetPages(kit)
  registerDevicePages(kit)
  registerDevicePanels(kit)
  registerConfigPages(kit)
  registerFeedPages(kit)
  registerSettingsPages(kit)
  registerAlertPages(kit)

  return app
}

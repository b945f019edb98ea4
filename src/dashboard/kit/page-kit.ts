/**
 * What every dashboard page module shares: running application operations as the request's
 * Caller, the HTML answer with the dashboard's security headers, the session as the pages show it,
 * asset URLs and the error page. Page modules (fleet, device, configs, feeds, settings) get one
 * PageKit and register their routes on it; they never reach below src/app.
 */
import { Cause, Exit, Option } from "effect"
import type { Effect } from "effect"
import type { Context, Hono } from "hono"
import type { Admin } from "../../app/admin.ts"
import type { Alerts } from "../../app/alerts.ts"
import type { Caller } from "../../app/caller.ts"
import type { Configs } from "../../app/configs.ts"
import type { Data } from "../../app/data.ts"
import type { Devices } from "../../app/devices.ts"
import "../../auth/context.ts"
import { describeError } from "../../domain/errors.ts"
import type { AssetStore } from "../assets.ts"
import { Layout, Notice, type SessionView } from "./layout.tsx"
import { csrfFor, sessionTokenFrom } from "../session/session.ts"

/** The application services a page may call. */
export type PageServices = Devices | Data | Configs | Admin | Alerts

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

export const securityHeaders: Record<string, string> = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
}

export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 | 503

/** An HTML answer (a whole page or a fragment) with the dashboard's headers, never cached. */
export const html = async (c: Context, element: unknown, status: PageStatus = 200) =>
  c.body(`<!doctype html>\n${String(await element)}`, status, {
    ...securityHeaders,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  })

/** An HTML fragment for a client module to insert (no doctype). */
export const fragment = async (c: Context, element: unknown, status: PageStatus = 200) =>
  c.body(String(await element), status, {
    ...securityHeaders,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  })

/** The typed failure of an exit (or the squashed defect). */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.findErrorOption(exit.cause)
  return Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
}

/** The session as the pages show it, from what the auth middleware set. */
export const sessionOf = (c: Context): SessionView => {
  const cookieToken = c.req.header("authorization") === undefined ? sessionTokenFrom(c.req.header("cookie")) : undefined
  return {
    scope: c.get("tokenScope") ?? "read",
    signedIn: (c.get("tokenId") ?? null) !== null,
    csrf: cookieToken === undefined ? "" : csrfFor(cookieToken),
    viaCookie: cookieToken !== undefined,
  }
}

const statusOf = (status: number): PageStatus =>
  status === 400 || status === 403 || status === 404 || status === 409 || status === 422 || status === 503
    ? status
    : 500

/**
 * What a page says when its read failed, with the status to answer: 403 for a session without the
 * scope, 503 when the store is down, 400 for bad input. `what` names the data ("alerts"), or "this".
 */
export const readProblem = (
  e: unknown,
  what?: string,
): { readonly title: string; readonly detail: string; readonly status: PageStatus } => {
  const info = describeError(e)
  const status = statusOf(info.status)
  const title = status === 403
    ? `This session may not read ${what ?? "this"}`
    : status === 503
    ? "The store is not reachable"
    : `Could not read${what === undefined ? "" : ` ${what}`} (${info.code})`
  return { title, detail: info.message, status }
}

export interface PageKit {
  readonly app: Hono
  readonly bridge: DashboardRunner<PageServices>
  readonly assets: AssetStore
  /** The stylesheets every page links (the shared style.css), then the page's own. */
  readonly styles: (...own: ReadonlyArray<string>) => ReadonlyArray<string>
  /** A whole-page error with the typed error's code and message, and its status. */
  readonly errorPage: (c: Context, e: unknown) => Promise<Response>
  /** A JSON error for a fragment route (client modules show its message). */
  readonly errorJson: (c: Context, e: unknown) => Response
}

export const makePageKit = (app: Hono, bridge: DashboardRunner<PageServices>, assets: AssetStore): PageKit => {
  const styles = (...own: ReadonlyArray<string>) => [assets.url("style.css"), ...own.map((n) => assets.url(n))]
  return {
    app,
    bridge,
    assets,
    styles,
    errorPage: (c, e) => {
      const info = describeError(e)
      return html(
        c,
        Layout({
          title: "Error",
          session: sessionOf(c),
          styles: styles(),
          scripts: [],
          children: Notice({ kind: "error", title: `${info.code}`, detail: info.message }),
        }),
        statusOf(info.status),
      )
    },
    errorJson: (c, e) => {
      const info = describeError(e)
      return c.json({ error: { code: info.code, message: info.message } }, statusOf(info.status))
    },
  }
}

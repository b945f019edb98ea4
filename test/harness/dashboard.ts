/**
 * What the dashboard's browser tests share: JSON calls to the API with a bearer token, the sign-in
 * flow, page error and CSP-violation capture, a same-origin forged write, a port nothing listens on.
 */
import assert from "node:assert/strict"
import net from "node:net"
import path from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import type { RunningServer } from "../../src/http/server.ts"

/** A loopback port nothing listens on: the "unreachable" device. */
export const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const info = s.address()
      const port = typeof info === "object" && info !== null ? info.port : 0
      s.close(() => resolve(port))
    })
  })

export const api = async (server: RunningServer, method: string, p: string, token?: string, body?: unknown) => {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`
  if (body !== undefined) headers["content-type"] = "application/json"
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers,
    redirect: "manual",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

/** Script errors and CSP violations of every page, asserted empty at the end. */
export const pageErrors: Array<string> = []

export const watch = (page: Page): Page => {
  page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`))
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`)
  })
  return page
}

export const signIn = async (context: BrowserContext, server: RunningServer, token: string): Promise<Page> => {
  const page = watch(await context.newPage())
  await page.goto(`${server.url}/`)
  assert.match(page.url(), /\/login\?next=%2F$/, "a tokenless page visit lands on the sign-in form")
  await page.fill("#token", token)
  await Promise.all([page.waitForURL((u) => u.pathname === "/"), page.click("button[type=submit]")])
  return page
}

/** The same-origin write a hostile page script would try, from inside a signed-in page. */
export const postFromPage = (page: Page, url: string, headers: Record<string, string>) =>
  page.evaluate(async ({ url, headers }) => {
    const res = await fetch(url, { method: "POST", headers, credentials: "same-origin" })
    const body = await res.json().catch(() => ({}))
    return { status: res.status, code: (body as any)?.error?.code as string | undefined }
  }, { url, headers })

/** Open `url`, wait for `ready`, check the page fits the viewport's width, save a full-page screenshot. */
export const shootPage = async (context: BrowserContext, url: string, file: string, ready: string) => {
  const page = watch(await context.newPage())
  await page.goto(url)
  await page.locator(ready).waitFor()
  const width = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)
  const viewport = page.viewportSize()!.width
  assert.ok(width <= viewport, `${path.basename(file)} fits ${viewport} px (scroll width ${width})`)
  await page.screenshot({ path: file, fullPage: true })
  await page.close()
}

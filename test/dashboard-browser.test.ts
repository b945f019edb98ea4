/**
 * The web dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
 * real server (listen on 127.0.0.1:0, the whole app) and a real sshd test host read through the
 * pipeline: open mode, sign-in, the fleet page (live refresh without reload), the device page's
 * charts and containers, an unreachable device's error state, a read session without write
 * controls, forged writes refused, sign-out and revocation. Screenshots go to docs/screenshots/.
 */
import assert from "node:assert/strict"
import { mkdirSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import type { Browser } from "playwright-core"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { listen } from "../src/http/server.ts"
import { Store } from "../src/store/Store.ts"
import { launchBrowser } from "./harness/browser.ts"
import { api, closedPort, pageErrors, postFromPage, signIn, watch } from "./harness/dashboard.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { seedDeviceHistory } from "../bench/chart-data.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const SHOTS = path.resolve(process.cwd(), "docs/screenshots")

let sshd: SshdHandle
let browser: Browser
before(async () => {
  sshd = await startSshd({ address: "127.0.0.23", shims: { docker: dockerShim() } })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  stopAllSshd()
})

const backend = testBackends()[0]!

describe(`dashboard in a real browser (${backend.name})`, () => {
  test("open mode, sign-in, fleet, device charts, containers, error state, scopes and CSRF", async () => {
    mkdirSync(SHOTS, { recursive: true })
    await withSecureApp(backend, {}, async (t) => {
      const server = await listen(t.app, "127.0.0.1", 0)
      try {
        // Open mode (loopback, no token yet): the dashboard works without signing in, like the API.
        const open = await api(server, "GET", "/")
        assert.equal(open.status, 200, "open mode serves the fleet page")
        assert.match(open.body, /open mode/)

        const repo = (s: any) => makeTokenRepo(s)
        const writer = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("ops", "write")))
        const reader = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("view", "read")))

        // Now tokens exist: a page without credentials redirects to the sign-in form, the API says 401.
        const redirected = await api(server, "GET", "/devices/h1")
        assert.equal(redirected.status, 302)
        assert.equal(redirected.headers.get("location"), "/login?next=%2Fdevices%2Fh1")
        assert.equal((await api(server, "GET", "/fleet/rows")).status, 401)
        const login = await api(server, "GET", "/login")
        assert.equal(login.status, 200)
        assert.match(login.headers.get("content-security-policy") ?? "", /default-src 'self'.*frame-ancestors 'none'/)
        assert.doesNotMatch(login.headers.get("content-security-policy") ?? "", /unsafe-inline/)
        assert.equal(login.headers.get("x-content-type-options"), "nosniff")
        assert.equal(login.headers.get("referrer-policy"), "same-origin")

        const add = await api(server, "POST", "/api/devices", writer.token, {
          name: "h1",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
          tags: ["lab", "docker"],
        })
        assert.equal(add.status, 201, JSON.stringify(add.body))
        const gone = await api(server, "POST", "/api/devices", writer.token, {
          name: "gone",
          host: "127.0.0.1",
          port: await closedPort(),
          username: "nobody",
          tags: ["lab"],
        })
        assert.equal(gone.status, 201, JSON.stringify(gone.body))
        // Real reads through the pipeline: stored samples for every chart, and a failing host.
        for (let i = 0; i < 3; i++) {
          for (const type of ["system_metrics", "network_interfaces", "containers"]) {
            const read = await api(server, "GET", `/api/devices/h1/${type}?force_refresh=true`, writer.token)
            assert.equal(read.status, 200, `${type}: ${JSON.stringify(read.body)}`)
          }
          await new Promise((r) => setTimeout(r, 1100))
        }
        const failed = await api(server, "GET", "/api/devices/gone/system_metrics?force_refresh=true", writer.token)
        assert.equal(failed.status, 502, JSON.stringify(failed.body))

        // Sign in with the write token: the cookie is HttpOnly, SameSite=Strict, for the whole site.
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const page = await signIn(context, server, writer.token)
        const cookie = (await context.cookies()).find((c) => c.name === "infra_session")
        assert.ok(cookie !== undefined, "session cookie set")
        assert.equal(cookie.httpOnly, true)
        assert.equal(cookie.sameSite, "Strict")
        assert.equal(cookie.path, "/")
        assert.equal(cookie.secure, false, "plain http on loopback: not Secure")
        assert.equal(
          await page.evaluate(() => (globalThis as any).document.cookie),
          "",
          "the token is out of reach of page scripts",
        )

        // The fleet page: every device with its status in words.
        const rowOf = (name: string) => page.locator(`tr[data-device="${name}"]`)
        await rowOf("h1").waitFor()
        assert.equal(await rowOf("h1").getAttribute("data-status"), "online")
        assert.match(await rowOf("h1").locator("td[data-label=Status]").innerText(), /Online/)
        assert.notEqual(await rowOf("h1").getAttribute("data-cpu"), "", "h1 shows its latest CPU sample")
        // The last hour's CPU as a server-drawn SVG sparkline; none yet for the unreachable host.
        const spark = rowOf("h1").locator("svg.spark")
        assert.ok(Number(await spark.getAttribute("data-spark")) >= 1, "three polls: one or two minute buckets")
        assert.match((await spark.getAttribute("aria-label")) ?? "", /^CPU of h1 over the last hour: \d+ to \d+ %$/)
        assert.ok((await spark.locator("polyline").count()) >= 1)
        assert.match(await rowOf("gone").locator(".spark-none").innerText(), /no CPU data in the last hour/)
        assert.match(await rowOf("gone").locator("td[data-label=Status]").innerText(), /Offline|Degraded/)
        await page.locator("#live[data-live=live]").waitFor()

        // Filter and search in the browser.
        await page.selectOption("#fleet-tag", "docker")
        assert.equal(await rowOf("gone").isHidden(), true)
        await page.selectOption("#fleet-tag", "")
        await page.fill("#fleet-search", "gon")
        assert.equal(await rowOf("h1").isHidden(), true)
        assert.equal(await rowOf("gone").isVisible(), true)
        await page.fill("#fleet-search", "")
        await page.click("button[data-sort=name]") // already by name, ascending: now descending
        assert.equal(await page.locator("th[data-key=name]").getAttribute("aria-sort"), "descending")
        assert.deepEqual(
          await page.locator("#fleet-rows tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-device"))),
          ["h1", "gone"],
          "name descending",
        )

        // Live: a new reading arrives over /api/events and the rows are refetched, no reload.
        const marker = await page.evaluate(() => {
          ;(globalThis as any).__notReloaded = true
          return (globalThis as any).document.getElementById("fleet").dataset["refreshes"] ?? "0"
        })
        assert.equal(
          (await api(server, "GET", "/api/devices/h1/system_metrics?force_refresh=true", writer.token)).status,
          200,
        )
        await page.waitForFunction(
          (before) =>
            Number((globalThis as any).document.getElementById("fleet").dataset["refreshes"] ?? "0") > Number(before),
          marker,
          { timeout: 5000 },
        )
        assert.equal(await page.evaluate(() => (globalThis as any).__notReloaded), true, "updated without a reload")
        assert.equal(await rowOf("h1").locator("svg.spark polyline").count() >= 1, true, "the refresh keeps it")

        await page.screenshot({ path: path.join(SHOTS, "fleet-desktop.png"), fullPage: true })

        // First load of the fleet page with an empty cache, everything it fetches: under 300 KB.
        const cold = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        await cold.addCookies([cookie])
        const fresh = watch(await cold.newPage())
        await fresh.goto(`${server.url}/`, { waitUntil: "load" })
        const bytes = await fresh.evaluate(() => {
          const perf = (globalThis as any).performance
          const entries = [...perf.getEntriesByType("navigation"), ...perf.getEntriesByType("resource")]
          return entries.filter((e: any) => !String(e.name).includes("/api/events"))
            .reduce((sum: number, e: any) => sum + e.transferSize, 0)
        })
        console.log(`dashboard: fleet page first load ${bytes} bytes transferred`)
        assert.ok(bytes > 0 && bytes < 300 * 1024, `fleet page first load is ${bytes} bytes`)
        await cold.close()

        // A week of readings a minute apart (10,080 of each): the 7-day CPU chart, timed from
        // navigation start to drawn, beside the series request alone (printed; bench/charts.ts).
        // Its host refuses connections at once, so the page's live container read does not wait.
        const refusing = await closedPort()
        await t.run(Effect.gen(function* () {
          const store = yield* Store
          const week = yield* store.createDevice({ name: "week", host: "127.0.0.1", port: refusing })
          yield* seedDeviceHistory(week.id, Date.now(), 7 * 1440, 60_000)
        }))
        await page.goto(`${server.url}/devices/week?range=7d`)
        await page.locator("body[data-charts-ready='7d']").waitFor({ timeout: 15_000 })
        const week = await page.evaluate(() => (globalThis as any).infraCharts)
        const alone = await page.evaluate(async () => {
          const to = Math.floor(Date.now() / 1000)
          const t0 = performance.now()
          const res = await fetch(`/api/devices/week/system_metrics/series?from=${to - 7 * 86400}&to=${to}&points=1000`)
          await res.json()
          return performance.now() - t0
        })
        console.log(
          `dashboard: 7-day CPU chart of 10,080 rows drawn ${Math.round(week.drawnAt)} ms after navigation ` +
            `start, ${Math.round(week.drawnAt - week.startedAt)} ms after device.js asked (series answered at ` +
            `${Math.round(week.fetchedAt)} ms, ${week.points} points); ` +
            `the series request alone ${Math.round(alone)} ms`,
        )
        assert.ok(week.points > 500, `a week of minutes in ~1000 buckets (${week.points})`)
        for (const id of ["disk", "netrx", "nettx", "ctcpu", "ctmem"]) {
          assert.ok(week.charts[id].points > 0, `${id}: ${JSON.stringify(week.charts[id])}`)
        }
        assert.deepEqual(week.charts.disk.lines, ["/home", "/srv/data", "/var/lib/docker", "/boot", "/"])
        assert.deepEqual(week.charts.ctcpu.lines, ["worker", "cache", "db", "web"])
        assert.deepEqual(week.charts.netrx.lines, ["wg0", "eth1", "eth0"], "the most traffic first")
        assert.deepEqual(week.charts.cpu.lines, ["busy", "user", "system", "iowait", "steal"])
        assert.equal(await page.locator("figure.chart canvas").count(), 9, "every chart drawn")
        // One crosshair: pointing at the CPU chart moves the cursor on the memory chart too.
        const cursorOf = (id: string) =>
          page.locator(`#chart-${id} .u-cursor-x`).evaluate((el: any) => el.style.transform)
        const before = await cursorOf("ctmem")
        const over = (await page.locator("#chart-cpu .u-over").boundingBox())!
        await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2)
        await page.waitForFunction(
          (b) => (globalThis as any).document.querySelector("#chart-ctmem .u-cursor-x").style.transform !== b,
          before,
        )
        assert.notEqual(await cursorOf("ctmem"), before, "the container chart's crosshair follows")
        await page.screenshot({ path: path.join(SHOTS, "device-charts-desktop.png"), fullPage: true })
        // Dark scheme: the charts take their colours from the page's CSS variables when drawn.
        await page.emulateMedia({ colorScheme: "dark" })
        await page.reload()
        await page.locator("body[data-charts-ready='7d']").waitFor({ timeout: 15_000 })
        await page.screenshot({ path: path.join(SHOTS, "device-charts-dark.png"), fullPage: true })
        await page.emulateMedia({ colorScheme: "light" })

        // The device page of the real host: 7-day charts from the series endpoints.
        await page.goto(`${server.url}/devices/h1?range=7d`)
        await page.locator("body[data-charts-ready='7d']").waitFor({ timeout: 15_000 })
        const drawn = await page.evaluate(() => (globalThis as any).infraCharts)
        const chartState = await page.locator("#charts-state").innerText()
        assert.ok(drawn.points > 0, `the CPU chart has data points (${chartState})`)
        assert.ok(Number(await page.locator("#chart-cpu").getAttribute("data-points")) > 0)
        assert.equal(await page.locator("#chart-cpu canvas").count(), 1, "uPlot drew on a canvas")
        assert.ok(drawn.charts.disk.points > 0, `the host's mounts: ${JSON.stringify(drawn.charts.disk)}`)
        for (const id of ["netrx", "ctcpu", "ctmem"]) {
          const state = await page.locator(`#chart-${id}-state`).innerText()
          assert.ok(
            drawn.charts[id].points > 0 || /^No data yet in this range/.test(state),
            `${id}: drawn or a readable empty state (${JSON.stringify(drawn.charts[id])}: ${state})`,
          )
        }
        await page.click("button[data-range='1h']")
        await page.locator("body[data-charts-ready='1h']").waitFor()
        assert.ok((await page.evaluate(() => (globalThis as any).infraCharts.points)) > 0)

        // Containers, read through the pipeline (cached), with write controls for this session.
        assert.ok((await page.locator("table.containers tbody tr").count()) > 0, "containers listed")
        assert.ok((await page.locator("button[data-write]").count()) > 0, "a write session has write controls")
        const csrf = await page.locator('meta[name="csrf-token"]').getAttribute("content")
        assert.ok(csrf !== null && csrf.length > 20)
        await page.screenshot({ path: path.join(SHOTS, "device-desktop.png"), fullPage: true })

        // Forged writes with the cookie: no CSRF header, a wrong one: refused before any operation.
        const container = await page.locator("table.containers tbody tr").first().getAttribute("data-container")
        const action = `/api/devices/h1/containers/${encodeURIComponent(container!)}/restart`
        assert.deepEqual(await postFromPage(page, action, {}), { status: 403, code: "csrf_failed" })
        assert.deepEqual(await postFromPage(page, action, { "x-csrf-token": "forged" }), {
          status: 403,
          code: "csrf_failed",
        })
        // With the page's value the same cookie session may write.
        const cleared = await page.evaluate(async (token) => {
          const res = await fetch("/api/cache", { method: "DELETE", headers: { "x-csrf-token": token } })
          return res.status
        }, csrf!)
        assert.equal(cleared, 200)

        // The unreachable device: its status and a readable error instead of a table.
        await page.goto(`${server.url}/devices/gone`)
        assert.match(await page.locator(".title-row .status").first().innerText(), /Offline|Degraded/)
        const alert = page.locator("section[aria-labelledby=containers-title] [role=alert]")
        assert.match(await alert.innerText(), /Could not read containers/)
        await page.locator("body[data-charts-ready]").waitFor()
        assert.match(await page.locator("#charts-state").innerText(), /No data yet|Could not load/)

        // Phone width.
        const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 })
        await phone.addCookies([cookie])
        const small = watch(await phone.newPage())
        await small.goto(`${server.url}/`)
        await small.locator("tr[data-device=h1]").waitFor()
        const overflow = await small.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)
        assert.ok(overflow <= 390, `the fleet page fits 390 px (scroll width ${overflow})`)
        await small.screenshot({ path: path.join(SHOTS, "fleet-phone.png"), fullPage: true })
        await small.goto(`${server.url}/devices/week?range=7d`)
        await small.locator("body[data-charts-ready='7d']").waitFor({ timeout: 15_000 })
        const chartsWidth = await small.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)
        assert.ok(chartsWidth <= 390, `the nine charts fit 390 px (scroll width ${chartsWidth})`)
        await small.screenshot({ path: path.join(SHOTS, "device-charts-phone.png"), fullPage: true })
        await small.goto(`${server.url}/devices/h1?range=24h`)
        await small.locator("body[data-charts-ready='24h']").waitFor()
        await small.screenshot({ path: path.join(SHOTS, "device-phone.png"), fullPage: true })
        await phone.close()

        // Sign out: the cookie is gone and pages ask for a token again.
        await page.goto(`${server.url}/`)
        await Promise.all([page.waitForURL(/\/login$/), page.click("form[action='/logout'] button")])
        assert.equal((await context.cookies()).some((c) => c.name === "infra_session"), false)
        await page.goto(`${server.url}/`)
        assert.match(page.url(), /\/login/)
        await context.close()

        // A read session: no write controls, and the server refuses the write even with the CSRF value.
        const readContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const readPage = await signIn(readContext, server, reader.token)
        assert.match(await readPage.locator("[data-scope]").innerText(), /read access/)
        await readPage.goto(`${server.url}/devices/h1`)
        await readPage.locator("table.containers").waitFor()
        assert.equal(await readPage.locator("button[data-write]").count(), 0, "no write controls for read scope")
        const readCsrf = await readPage.locator('meta[name="csrf-token"]').getAttribute("content")
        assert.deepEqual(await postFromPage(readPage, action, { "x-csrf-token": readCsrf! }), {
          status: 403,
          code: "forbidden",
        })
        // Revoking the token ends the cookie session at its next request.
        const revoked = await api(server, "DELETE", `/api/tokens/${reader.info.id}`, writer.token)
        assert.equal(revoked.status, 200, JSON.stringify(revoked.body))
        await readPage.goto(`${server.url}/`)
        assert.match(readPage.url(), /\/login/)
        await readContext.close()
        assert.deepEqual(pageErrors, [], "no script errors or CSP violations")
      } finally {
        await server.close()
      }
    })
  })
})

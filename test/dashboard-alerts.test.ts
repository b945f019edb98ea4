/**
 * The dashboard's alerts page (/alerts, /alerts/rules) in a real browser, against the whole app on a
 * real server, a real sshd test host (docker shimmed with recorded outputs) and a real store: the
 * built-in container_exited fires for the recorded stopped container after a forced read and is
 * listed with its severity in words; acknowledge, silence and unsilence from the page (checked
 * through the API); a second alert (a rule created through the API, its subject a hostile name)
 * arrives live without a reload and renders as text; a read session has no write controls and a
 * forged write is refused; the page works at 390 px. Screenshots go to docs/screenshots/.
 */
import assert from "node:assert/strict"
import { mkdirSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { setTimeout as sleep } from "node:timers/promises"
import { Effect } from "effect"
import type { Browser, Page } from "playwright-core"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { alertQuery, searchOf } from "../src/dashboard/alerts/filters.ts"
import { conditionText, scopeText } from "../src/dashboard/alerts/rules-page.tsx"
import { listen, type RunningServer } from "../src/http/server.ts"
import { Store } from "../src/store/Store.ts"
import { launchBrowser } from "./harness/browser.ts"
import { api, pageErrors, postFromPage, shootPage, signIn } from "./harness/dashboard.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const SHOTS = path.resolve(process.cwd(), "docs/screenshots")
const HOSTILE = `<img src=x onerror="alert(1)"> it's</td>`

let sshd: SshdHandle
let browser: Browser
before(async () => {
  sshd = await startSshd({ address: "127.0.0.157", shims: { docker: dockerShim() } })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  stopAllSshd()
})

const backend = testBackends()[0]!

/** Polls until `check` returns a value (not undefined); fails with `what` after a generous bound. */
const until = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

const row = (page: Page, id: number) => page.locator(`#alerts-live tr[data-id="${id}"]`)

describe("alerts page filters and rule texts", () => {
  test("unknown filter values are dropped; conditions and scopes read as words", () => {
    const q = (params: Record<string, string>) => (n: string) => params[n]
    assert.deepEqual(alertQuery(q({ state: "FIRING", severity: "<b>", device: " a1 ", rule: "x" })), {
      state: "firing",
      severity: "",
      device: "a1",
      rule: "x",
    })
    assert.equal(searchOf(alertQuery(q({ device: "a b", state: "nope" }))), "?device=a+b")
    assert.equal(
      conditionText({
        kind: "threshold",
        data_type: "system_metrics",
        records: "mounts",
        metric: "used_percent",
        comparator: ">",
        threshold: 85,
        resolve_threshold: 80,
      }),
      "system_metrics, each mount: used_percent > 85 (resolves ≤ 80)",
    )
    assert.equal(
      conditionText({ kind: "predicate", predicate: "collection_failing", count: 3 }),
      "collection_failing (count 3)",
    )
    assert.equal(scopeText({ devices: ["a", "b"] }), "devices a, b")
    assert.equal(scopeText({ all: true }), "all devices")
  })
})

describe(`dashboard alerts in a real browser (${backend.name})`, () => {
  test("listed, acknowledged, silenced, unsilenced, live, read session, hostile subject, phone", async () => {
    mkdirSync(SHOTS, { recursive: true })
    await withSecureApp(backend, {}, async (t) => {
      const server: RunningServer = await listen(t.app, "127.0.0.1", 0)
      try {
        const repo = (s: any) => makeTokenRepo(s)
        const writer = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("ops", "write")))
        const reader = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("view", "read")))
        const add = await api(server, "POST", "/api/devices", writer.token, {
          name: "a1",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        assert.equal(add.status, 201, JSON.stringify(add.body))
        const readContainers = async () => {
          const r = await api(server, "GET", "/api/devices/a1/containers?force_refresh=true", reader.token)
          assert.equal(r.status, 200, JSON.stringify(r.body))
        }
        const alertsOf = async (query: string): Promise<Array<any>> => {
          const r = await api(server, "GET", `/api/alerts?${query}`, reader.token)
          assert.equal(r.status, 200, JSON.stringify(r.body))
          return r.body.alerts
        }

        // Before any alert: the readable empty state.
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const page = await signIn(context, server, writer.token)
        await page.goto(`${server.url}/alerts`)
        assert.match(await page.locator("#alerts-live .notice").innerText(), /No alerts firing/)
        assert.equal(await page.locator("nav a[href='/alerts']").count(), 1, "Alerts in the main navigation")

        // The built-in container_exited fires for the recorded stopped container.
        await readContainers()
        const exited = await until(
          "container_exited firing",
          async () => (await alertsOf("rule=container_exited&state=firing"))[0],
        )
        // The fleet counts it on the device's row and links to the device's alerts.
        await page.goto(`${server.url}/`)
        const fleetAlerts = page.locator(`tr[data-device="a1"] td[data-label=Alerts] a`)
        assert.match(await fleetAlerts.innerText(), /1 warning/)
        assert.equal(await fleetAlerts.getAttribute("href"), "/alerts?device=a1")
        await fleetAlerts.click()
        await page.waitForURL((u) => u.pathname === "/alerts" && u.searchParams.get("device") === "a1")
        await page.locator("#live[data-live=live]").waitFor()
        const first = row(page, exited.id)
        assert.equal(await first.getAttribute("data-state"), "firing")
        assert.equal((await first.locator(".sev").innerText()).trim(), "Warning", "severity in words")
        assert.equal(await first.locator("td[data-label=Subject]").innerText(), exited.subject)
        assert.equal(await first.locator("td[data-label=Device] a").getAttribute("href"), "/devices/a1")
        assert.match(await first.locator("td[data-label=Alert]").innerText(), /container_exited/)

        // Acknowledge from the page; the API agrees.
        await first.locator("button[data-write=acknowledge]").click()
        await page.locator(`#alerts-live tr[data-id="${exited.id}"][data-acknowledged=true]`).waitFor()
        const acked = await api(server, "GET", `/api/alerts/${exited.id}`, reader.token)
        assert.notEqual(acked.body.acknowledged_at, null, "acknowledged through the page")
        assert.equal(await row(page, exited.id).locator("button[data-write=acknowledge]").count(), 0)

        // Keyboard: the silence form opens from its summary with Enter, and shows where the focus is.
        await page.focus("#alert-filters a.reset")
        await page.keyboard.press("Tab")
        assert.equal(await page.evaluate(() => (globalThis as any).document.activeElement.tagName), "SUMMARY")
        assert.notEqual(
          await page.evaluate(() =>
            (globalThis as any).getComputedStyle((globalThis as any).document.activeElement).outlineStyle
          ),
          "none",
          "visible focus",
        )
        await page.keyboard.press("Enter")
        assert.equal(await page.locator("#silence-until").isVisible(), true)

        // Silence from the page, prefilled from the row ("Silence…"), with a reason.
        await row(page, exited.id).locator("button[data-write=silence-like]").click()
        assert.equal(await page.locator("#silence-rule").inputValue(), "container_exited")
        assert.equal(await page.locator("#silence-device").inputValue(), "a1")
        await page.fill("#silence-until", "2h")
        await page.fill("#silence-reason", "planned <maintenance>")
        await page.click("#silence-form button[type=submit]")
        await page.locator(`#alerts-live tr[data-id="${exited.id}"][data-silenced=true]`).waitFor()
        const silences = (await api(server, "GET", "/api/alert-silences", reader.token)).body.silences
        assert.equal(silences.length, 1)
        assert.equal(silences[0].rule_id, "container_exited")
        assert.ok(Date.parse(silences[0].until) - Date.now() > 100 * 60_000, "about two hours ahead")
        const silenceRow = page.locator(`#silences tr[data-id="${silences[0].id}"]`)
        assert.match(await silenceRow.innerText(), /planned <maintenance>/)
        assert.equal((await api(server, "GET", `/api/alerts/${exited.id}`, reader.token)).body.silenced, true)
        assert.match(await row(page, exited.id).locator(".marker-silenced").innerText(), /silenced/)

        // A bad end is the API's typed error, shown as text.
        await page.fill("#silence-device", "a1")
        await page.fill("#silence-until", "yesterday-ish")
        await page.click("#silence-form button[type=submit]")
        await page.locator("#alert-status", { hasText: /Silence failed: bad_request/ }).waitFor()

        // Unsilence.
        await silenceRow.locator("button[data-write=unsilence]").click()
        await page.locator("#silences-empty").waitFor()
        await page.locator(`#alerts-live tr[data-id="${exited.id}"][data-silenced=false]`).waitFor()
        assert.equal((await api(server, "GET", `/api/alert-silences`, reader.token)).body.silences.length, 0)

        // A date and time without a zone is the browser's local time.
        await page.fill("#silence-device", "a1")
        await page.fill("#silence-until", "2030-01-02 08:00")
        await page.click("#silence-form button[type=submit]")
        const dated = page.locator("#silences tbody tr")
        await dated.waitFor()
        const local = await page.evaluate(() => new Date("2030-01-02T08:00").toISOString())
        const [byDate] = (await api(server, "GET", "/api/alert-silences", reader.token)).body.silences
        assert.equal(byDate.until, local)
        assert.equal(byDate.device, "a1")
        await dated.locator("button[data-write=unsilence]").click()
        await page.locator("#silences-empty").waitFor()

        // Live: a rule created through the API fires at the next read; the row arrives without a reload.
        await page.evaluate(() => {
          ;(globalThis as any).__notReloaded = true
        })
        const rule = {
          id: "must-run",
          name: `Must run ${HOSTILE}`,
          severity: "critical",
          scope: { all: true },
          condition: { kind: "predicate", predicate: "container_missing", names: [HOSTILE] },
          for: 0,
        }
        const created = await api(server, "POST", "/api/alert-rules", writer.token, rule)
        assert.equal(created.status, 201, JSON.stringify(created.body))
        await readContainers()
        const missing = page.locator("#alerts-live tr[data-rule=must-run]")
        await missing.waitFor({ timeout: 10_000 })
        assert.equal(await page.evaluate(() => (globalThis as any).__notReloaded), true, "arrived without a reload")
        assert.equal(await missing.getAttribute("data-state"), "firing")
        assert.equal((await missing.locator(".sev").innerText()).trim(), "Critical")
        assert.equal(await missing.locator("td[data-label=Subject]").innerText(), HOSTILE, "a hostile name is text")
        assert.equal(await page.locator("#alerts-live img").count(), 0, "no markup from names")
        assert.equal(
          await page.locator("#alerts-live tr[data-state=firing]").first().getAttribute("data-rule"),
          "must-run",
          "the newest firing alert first",
        )

        // Filters are links; a severity nothing matches shows the empty state.
        await page.goto(`${server.url}/alerts?severity=info`)
        assert.equal(await page.locator("#filter-severity").inputValue(), "info")
        assert.match(await page.locator("#alerts-live .notice").innerText(), /No alerts firing that match/)
        await page.goto(`${server.url}/alerts?device=a1&rule=must-run`)
        assert.deepEqual(
          await page.locator("#active tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-rule"))),
          ["must-run"],
        )

        // Rules: built-ins and the API's, with state, severity, condition and scope.
        await page.goto(`${server.url}/alerts/rules`)
        const builtin = page.locator("#rules tr[data-id=container_exited]")
        assert.match(await builtin.innerText(), /Warning/)
        assert.match(await builtin.innerText(), /built-in/)
        assert.match(await builtin.locator("td[data-label=Enabled]").innerText(), /on/)
        const custom = page.locator("#rules tr[data-id=must-run]")
        assert.match(await custom.locator("td[data-label=Condition]").innerText(), /container_missing \(names/)
        assert.match(await custom.locator("td[data-label=Scope]").innerText(), /all devices/)
        assert.equal(await page.locator("#rules img").count(), 0)
        await context.close()

        // A read session sees the alerts and silences as text, without a form or a button; a forged
        // write with the page's own CSRF value is refused.
        const readContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const readPage = await signIn(readContext, server, reader.token)
        await readPage.goto(`${server.url}/alerts`)
        assert.ok((await readPage.locator("#active tbody tr").count()) >= 2)
        assert.equal(await readPage.locator("[data-write]").count(), 0, "no write controls for read scope")
        assert.equal(await readPage.locator("#silence-form").count(), 0)
        const csrf = await readPage.locator("meta[name=csrf-token]").getAttribute("content")
        const [open] = await alertsOf("rule=must-run&state=firing")
        const forged = await postFromPage(readPage, `/api/alerts/${open.id}/acknowledge`, {
          "x-csrf-token": csrf ?? "",
          "content-type": "application/json",
        })
        assert.equal(forged.status, 403)
        assert.equal((await api(server, "GET", `/api/alerts/${open.id}`, reader.token)).body.acknowledged_at, null)
        const forgedSilence = await readPage.evaluate(async (token) => {
          const res = await fetch("/api/alert-silences", {
            method: "POST",
            headers: { "x-csrf-token": token, "content-type": "application/json" },
            body: JSON.stringify({ device: "a1", until: "1h" }),
          })
          return res.status
        }, csrf ?? "")
        assert.equal(forgedSilence, 403)
        assert.equal((await api(server, "GET", "/api/alert-silences", reader.token)).body.silences.length, 0)
        await readContext.close()

        // Signed out: the page sends to the sign-in form, the fragment answers 401 JSON.
        assert.equal((await api(server, "GET", "/alerts")).status, 302)
        const fragment = await api(server, "GET", "/feeds/alerts/rows")
        assert.equal(fragment.status, 401)
        assert.equal(fragment.body.error.code, "unauthorized")
        const odd = await api(server, "GET", "/alerts?device=%3Cscript%3Ex&severity=%3Cb%3E", reader.token)
        assert.equal(odd.status, 200)
        assert.doesNotMatch(odd.body, /<script>x|<b>/, "filter values from the URL are escaped or dropped")
        const rows = await api(server, "GET", "/feeds/alerts/rows?state=firing", reader.token)
        assert.equal(rows.status, 200)
        assert.match(rows.body, /^<div id="alerts-live"/)

        // Light and dark, desktop and phone (the phone check: nothing wider than 390 px).
        for (const scheme of ["light", "dark"] as const) {
          for (const width of [1280, 390]) {
            const ctx = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme })
            const shotPage = await signIn(ctx, server, writer.token)
            await shotPage.close()
            const tag = `${scheme}-${width === 390 ? "phone" : "desktop"}`
            await shootPage(ctx, `${server.url}/alerts`, path.join(SHOTS, `alerts-${tag}.png`), "main h1")
            await shootPage(ctx, `${server.url}/alerts/rules`, path.join(SHOTS, `alerts-rules-${tag}.png`), "main h1")
            await ctx.close()
          }
        }
        assert.deepEqual(pageErrors, [], "no script errors or CSP violations")
      } finally {
        await server.close()
      }
    })
  })
})

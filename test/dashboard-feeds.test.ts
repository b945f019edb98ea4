/**
 * The dashboard's change feed (/changes) and audit log (/audit) in a real browser, against the whole
 * app on a real server, a real sshd test host whose files the config watcher follows, and a real
 * store: existing events listed with links to the diff and file pages, a change written on the host
 * arriving live without a reload, risk filters as links, "load more", the audit log's filters, a read
 * session without write controls, hostile names shown as text. Screenshots go to docs/screenshots/.
 */
import assert from "node:assert/strict"
import { mkdirSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import type { Browser, Page } from "playwright-core"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { Watcher } from "../src/configs/watch/Watcher.ts"
import { listen, type RunningServer } from "../src/http/server.ts"
import { Store } from "../src/store/Store.ts"
import { launchBrowser } from "./harness/browser.ts"
import { type HostDir, hostDir, waitFor } from "./harness/config-watch.ts"
import { api, pageErrors, shootPage, signIn, watch } from "./harness/dashboard.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { auditQuery, changeQuery, diffHref, searchOf } from "../src/dashboard/feeds/filters.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const SHOTS = path.resolve(process.cwd(), "docs/screenshots")
const HOSTILE = `<img src=x onerror="alert(1)"> it's.conf`

let sshd: SshdHandle
let browser: Browser
let dir: HostDir
before(async () => {
  dir = hostDir("feeds")
  sshd = await startSshd({ address: "127.0.0.131" })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  stopAllSshd()
  dir?.remove()
})

const backend = testBackends()[0]!

const changesOf = async (server: RunningServer, token: string, query = ""): Promise<Array<any>> => {
  const res = await api(server, "GET", `/api/changes${query}`, token)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.changes
}

const rowIds = (page: Page) =>
  page.locator("#feed-rows tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")))

/** Wait until the client swapped in the rows of a new filter (data-reloads counts swaps). */
const reloaded = async (page: Page, action: () => Promise<unknown>) => {
  const before = await page.locator("#feed").getAttribute("data-reloads") ?? "0"
  await action()
  await page.waitForFunction(
    (n) => Number((globalThis as any).document.getElementById("feed").dataset["reloads"] ?? "0") > Number(n),
    before,
  )
}

describe("feed filters from the query string", () => {
  test("unknown values are dropped, limits bounded, links encoded", () => {
    const q = (params: Record<string, string>) => (n: string) => params[n]
    assert.deepEqual(changeQuery(q({ risk: "high, <b>,critical", change_type: "create", limit: "-3" })), {
      device: "",
      risk: "HIGH,CRITICAL",
      changeType: "CREATE",
      configType: "",
      limit: 50,
    })
    assert.equal(changeQuery(q({ limit: "99999" })).limit, 10_000)
    assert.equal(changeQuery(q({ config_type: "nope" })).configType, "")
    const audit = auditQuery(q({ method: "ssh", outcome: "error", range: "2y", token: " abc " }))
    assert.deepEqual([audit.method, audit.outcome, audit.range, audit.token], ["", "error", "", "abc"])
    assert.equal(searchOf({ device: "a b", risk: "", limit: 50 }), "?device=a+b")
    assert.equal(searchOf({ limit: 100 }), "?limit=100")
    assert.equal(
      diffHref("d/1", "/etc/a b&c.conf", 7, null),
      "/devices/d%2F1/configs/diff?path=%2Fetc%2Fa%20b%26c.conf&to=7",
    )
    assert.equal(diffHref("d", "/x", 7, 6), "/devices/d/configs/diff?path=%2Fx&from=6&to=7")
  })
})

describe(`dashboard feeds in a real browser (${backend.name})`, () => {
  test("changes feed live and filtered, audit log filtered, read session, hostile names", async () => {
    mkdirSync(SHOTS, { recursive: true })
    const root = `${dir.root}/${backend.name}`
    const rel = (p: string) => `${backend.name}/${p}`
    const app = dir.put(rel("proxy-confs/app.conf"), "server {\n  listen 80;\n  server_name app.lab;\n}\n")
    const globs = {
      proxy_configs: [`${root}/proxy-confs/*.conf`],
      docker_compose: [],
      systemd_services: [],
      env_files: [],
    }
    await withSecureApp(backend, { watch: { globs, debounceMs: 80 } }, async (t) => {
      const server = await listen(t.app, "127.0.0.1", 0)
      try {
        const repo = (s: any) => makeTokenRepo(s)
        const writer = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("ops", "write")))
        const reader = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("view", "read")))
        const add = await api(server, "POST", "/api/devices", writer.token, {
          name: "f1",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        assert.equal(add.status, 201, JSON.stringify(add.body))
        await t.run(Watcher.use((w) => w.startDevice("f1")))
        await waitFor("inotify ready with its baseline", async () => {
          const s = (await api(server, "GET", "/api/watch/status", writer.token)).body.devices
            ?.find((d: any) => d.device === "f1")
          return s?.mode === "inotify" && s.ready && s.last_scan_at !== null ? s : undefined
        })

        // Existing events: the baseline, a modification, a file with a hostile name and content.
        dir.put(rel("proxy-confs/app.conf"), "server {\n  listen 8080;\n  server_name app.lab other.lab;\n}\n")
        const hostile = dir.put(rel(`proxy-confs/${HOSTILE}`), `# </td><script>alert(2)</script>\nserver { }\n`)
        const existing = await waitFor("the modification and the hostile file recorded", async () => {
          const all = await changesOf(server, writer.token)
          return all.some((c) => c.path === hostile) && all.some((c) => c.path === app && c.change_type === "MODIFY")
            ? all
            : undefined
        })

        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const page = await signIn(context, server, writer.token)
        await page.goto(`${server.url}/changes`)
        assert.deepEqual(await rowIds(page), existing.map((c) => String(c.id)), "every event, newest first")
        await page.locator("#live[data-live=live]").waitFor()

        // Each row links to the diff of its version (from the one before) and to the file page.
        const modify = existing.find((c) => c.path === app && c.change_type === "MODIFY")!
        const row = page.locator(`#feed-rows tr[data-id="${modify.id}"]`)
        assert.equal(
          await row.locator("a.diff-link").getAttribute("href"),
          `/devices/f1/configs/diff?path=${encodeURIComponent(app)}&from=${modify.previous_snapshot_id}` +
            `&to=${modify.snapshot_id}`,
        )
        assert.equal(
          await row.locator("a.file-link").getAttribute("href"),
          `/devices/f1/configs/file?path=${encodeURIComponent(app)}`,
        )
        assert.equal(await row.locator(".risk").getAttribute("data-risk"), modify.risk_level)
        assert.match(await row.locator("td[data-label=Change]").innerText(), /MODIFY/)
        const hostileRow = page.locator("#feed-rows tr", {
          has: page.locator(`a.file-link[href$="${encodeURIComponent(hostile)}"]`),
        })
        assert.equal(await hostileRow.locator("a.file-link").innerText(), hostile, "a hostile name is shown as text")
        assert.equal(await page.locator("#feed img").count(), 0, "no markup from file names")

        // Live: a file written on the host appears at the top, without a reload.
        await page.evaluate(() => {
          ;(globalThis as any).__notReloaded = true
        })
        const fresh = dir.put(rel("proxy-confs/new.conf"), "server {\n  listen 81;\n  server_name new.lab;\n}\n")
        const freshRow = page.locator("#feed-rows tr", {
          has: page.locator(`a.file-link[href$="${encodeURIComponent(fresh)}"]`),
        })
        await freshRow.waitFor({ timeout: 10_000 })
        assert.equal(await page.evaluate(() => (globalThis as any).__notReloaded), true, "arrived without a reload")
        assert.equal(await page.locator("#feed").getAttribute("data-live-inserts"), "1")
        const created = (await changesOf(server, writer.token, `?path=${encodeURIComponent(fresh)}`))[0]
        assert.equal((await rowIds(page))[0], String(created.id), "the new event is the top row")
        assert.match(await freshRow.locator("td[data-label=Change]").innerText(), /CREATE/)

        // A watched file changed on the host: its MODIFY row arrives live (the time from the write to the
        // row is printed, not asserted), and its diff link opens the diff page showing the changed line.
        const rowsBefore = (await rowIds(page)).length
        const writtenAt = Date.now()
        dir.put(rel("proxy-confs/app.conf"), "server {\n  listen 8443;\n  server_name app.lab other.lab;\n}\n")
        await page.waitForFunction(
          (n) => (globalThis as any).document.querySelectorAll("#feed-rows tr").length > n,
          rowsBefore,
          { timeout: 10_000 },
        )
        console.log(`dashboard: config change on the host to a row in /changes in ${Date.now() - writtenAt} ms`)
        const top = page.locator("#feed-rows tr").first()
        assert.match(await top.locator("td[data-label=Change]").innerText(), /MODIFY/)
        const diffUrl = await top.locator("a.diff-link").getAttribute("href")
        const diffPage = watch(await context.newPage())
        await diffPage.goto(`${server.url}${diffUrl}`)
        await diffPage.locator(".diff-rendered .d2h-ins").first().waitFor()
        const added = await diffPage.locator(".diff-rendered .d2h-ins .d2h-code-line-ctn").allInnerTexts()
        assert.ok(added.some((l) => l.includes("listen 8443;")), `the diff shows the changed line: ${added}`)
        await diffPage.close()
        const modified = (await changesOf(server, writer.token, `?path=${encodeURIComponent(app)}`))[0]

        // Risk filter: the new event's level shows it, every other level hides it; the URL is the link.
        const risk: string = created.risk_level
        const other = risk === "LOW" ? "CRITICAL" : "LOW"
        await reloaded(page, () => page.selectOption("#filter-risk", other))
        assert.equal(await freshRow.count(), 0, `a ${risk} change is hidden by the ${other} filter`)
        assert.match(page.url(), new RegExp(`/changes\\?risk=${other}$`))
        await reloaded(page, () => page.selectOption("#filter-risk", risk))
        assert.equal(await freshRow.count(), 1, `the ${risk} filter shows it`)
        const sameRisk = existing.filter((c) => c.risk_level === risk).length + 1 +
          (modified.risk_level === risk ? 1 : 0)
        assert.equal(await page.locator("#feed-rows tr").count(), sameRisk)
        await page.goto(`${server.url}/changes?risk=${other}`)
        assert.equal(await page.locator("#filter-risk").inputValue(), other, "a filtered view is a link")
        assert.equal(await freshRow.count(), 0)
        // A filter nothing matches: a readable empty state, swapped in and served alike.
        await reloaded(page, () => page.selectOption("#filter-change_type", "DELETE"))
        assert.equal(await page.locator("#feed-empty").isVisible(), true)
        assert.match(await page.locator("#feed-empty").innerText(), /No config changes match/)
        await page.goto(`${server.url}/changes?device=nope`)
        assert.equal(await page.locator("#filter-device").inputValue(), "nope", "an unknown device stays selected")
        assert.equal(await page.locator("#feed-empty").isVisible(), true)
        // Keyboard: the filters are reachable with Tab and show where the focus is.
        await page.focus("#filter-risk")
        await page.keyboard.press("Tab")
        assert.equal(await page.evaluate(() => (globalThis as any).document.activeElement.id), "filter-change_type")
        assert.notEqual(
          await page.evaluate(() =>
            (globalThis as any).getComputedStyle((globalThis as any).document.activeElement).outlineStyle
          ),
          "none",
          "visible focus",
        )
        await page.goto(`${server.url}/changes?change_type=CREATE&device=f1`)
        assert.ok(
          (await page.locator("#feed-rows tr").evaluateAll((rows) =>
            rows.map((r) => r.getAttribute("data-change-type"))
          ))
            .every((c) => c === "CREATE"),
        )

        // Load more: one row a page, then the rest.
        await page.goto(`${server.url}/changes?limit=1`)
        assert.equal(await page.locator("#feed-rows tr").count(), 1)
        await reloaded(page, () => page.click("#feed-more"))
        assert.equal(
          await page.locator("#feed-rows tr").count(),
          existing.length + 2,
          "the created and the modified file too",
        )
        assert.equal(await page.locator("#feed-more").isHidden(), true, "nothing more to load")

        // A write session filtered to one device may scan it now (with the page's CSRF value).
        await page.goto(`${server.url}/changes?device=f1`)
        assert.equal(await page.locator("button[data-write]").count(), 1)
        await page.click("#scan-now")
        await page.locator("#feed-status", { hasText: /scanned \d+ files/ }).waitFor()

        // The audit log: the reads just made, filtered by operation, outcome and token.
        const read = await api(server, "GET", "/api/devices/f1/system_metrics?force_refresh=true", reader.token)
        assert.equal(read.status, 200, JSON.stringify(read.body))
        await page.goto(`${server.url}/audit`)
        const mine = page.locator(`#feed-rows tr[data-operation=system_metrics][data-token="${reader.info.id}"]`)
        assert.equal(await mine.count(), 1, "the reader's read is in the log")
        assert.match(await mine.locator("td[data-label=Via]").innerText(), /api/)
        assert.match(await mine.locator("td[data-label=Outcome]").innerText(), /success/)
        assert.match(await mine.locator("td[data-label=Token]").innerText(), /view/, "a write session sees token names")
        await reloaded(page, () => page.selectOption("#filter-outcome", "error"))
        assert.equal(await mine.count(), 0, "an outcome filter hides it")
        await reloaded(page, () => page.selectOption("#filter-outcome", ""))
        await page.fill("#filter-operation", "system_metrics")
        await reloaded(page, () => page.press("#filter-operation", "Enter"))
        const operations = await page.locator("#feed-rows tr").evaluateAll((rows) =>
          rows.map((r) => r.getAttribute("data-operation"))
        )
        assert.ok(operations.length > 0 && operations.every((o) => o === "system_metrics"), operations.join())
        assert.match(page.url(), /\/audit\?operation=system_metrics$/)
        await page.goto(`${server.url}/audit?token=${reader.info.id}&method=api&range=1h`)
        assert.deepEqual(
          await page.locator("#feed-rows tr").evaluateAll((rows) => [...new Set(rows.map((r) => r.dataset["token"]))]),
          [reader.info.id],
          "only the reader's entries",
        )
        await context.close()

        // A read session sees both feeds, and no write control.
        const readContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const readPage = await signIn(readContext, server, reader.token)
        await readPage.goto(`${server.url}/changes?device=f1`)
        assert.ok((await readPage.locator("#feed-rows tr").count()) > 0)
        assert.equal(await readPage.locator("[data-write]").count(), 0, "no write controls for read scope")
        await readPage.goto(`${server.url}/audit?operation=system_metrics`)
        const readerRow = readPage.locator(`#feed-rows tr[data-token="${reader.info.id}"]`)
        assert.equal(await readerRow.count(), 1)
        assert.equal(await readerRow.locator(".token-name").count(), 0, "a read session sees token ids only")
        // A bad value in the link is dropped, not an error page.
        const odd = await api(server, "GET", "/changes?risk=%3Cb%3E&limit=-3", reader.token)
        assert.equal(odd.status, 200)
        assert.doesNotMatch(odd.body, /<b>/)
        const rows = await api(server, "GET", "/feeds/changes/rows?risk=HIGH", reader.token)
        assert.equal(rows.status, 200)
        assert.match(rows.body, /^<tbody id="feed-rows"/)
        assert.equal((await api(server, "GET", "/feeds/audit/rows")).status, 401, "fragments need the session")
        assert.equal((await api(server, "GET", "/audit")).status, 302, "pages send to the sign-in form")
        await readContext.close()

        // Light and dark, desktop and phone.
        for (const scheme of ["light", "dark"] as const) {
          for (const width of [1280, 390]) {
            const ctx = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme })
            const shotPage = await signIn(ctx, server, writer.token)
            await shotPage.close()
            const tag = `${scheme}-${width === 390 ? "phone" : "desktop"}`
            await shootPage(ctx, `${server.url}/changes`, path.join(SHOTS, `feeds-changes-${tag}.png`), "#feed")
            await shootPage(ctx, `${server.url}/audit?range=1h`, path.join(SHOTS, `feeds-audit-${tag}.png`), "#feed")
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

/**
 * The dashboard's config history pages in a real browser (Debian's Chromium via playwright-core),
 * against the whole app, a real sshd test host whose watched files change, and a real database:
 * tracked files with version counts, a file's timeline, diffs drawn by diff2html (side by side and
 * unified, highlighted) with the risk badge, semantic changes and affected services, a restore dry
 * run then a confirmed restore that puts the host file back, a read session without the button
 * whose forged write is refused, hostile file content shown as text, an empty device, the service map.
 */
import assert from "node:assert/strict"
import { mkdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { listen } from "../src/http/server.ts"
import { Store } from "../src/store/Store.ts"
import { runIn } from "./harness/app.ts"
import { launchBrowser } from "./harness/browser.ts"
import { type HostDir, hostDir, waitFor, withWatchApp } from "./harness/config-watch.ts"
import { api, pageErrors, watch } from "./harness/dashboard.ts"
import { testBackends } from "./harness/db.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const SHOTS = path.resolve(process.cwd(), "docs/screenshots")
const HOSTILE = "<script>alert(1)</script>"

// A SWAG-style proxy conf: subdomain app → portainer:9000 (a container the docker shim lists).
const V1 = [
  "server {",
  "    listen 443 ssl;",
  "    server_name app.*;",
  "    location / {",
  "        set $upstream_app portainer;",
  "        set $upstream_port 9000;",
  "        set $upstream_proto http;",
  "        proxy_pass $upstream_proto://$upstream_app:$upstream_port;",
  "    }",
  "}",
  "",
].join("\n")
const V2 = V1.replace("set $upstream_port 9000;", "set $upstream_port 9443;").replace(
  "    server_name app.*;",
  `    server_name app.*;\n    # ${HOSTILE}`,
)

let sshd: SshdHandle
let dir: HostDir
let browser: Browser
before(async () => {
  sshd = await startSshd({ address: "127.0.0.167", shims: { docker: dockerShim() } })
  dir = hostDir("dashcfg")
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  stopAllSshd()
  dir?.remove()
})

const backend = testBackends()[0]!

/** Sign in straight to `next` (the fleet page is not part of this test). */
const signInTo = async (context: BrowserContext, server: { url: string }, token: string, next: string) => {
  const page = watch(await context.newPage())
  await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`)
  await page.fill("#token", token)
  await Promise.all([page.waitForURL(`${server.url}${next}`), page.click("button[type=submit]")])
  return page
}

/** The text of every line diff2html marked as added. */
const addedLines = (page: Page) => page.locator(".diff-rendered .d2h-ins .d2h-code-line-ctn").allInnerTexts()

describe(`dashboard config history in a real browser (${backend.name})`, () => {
  test("files, timeline, diffs, restore (dry run, confirm), scopes, hostile content, empty state, service map", async () => {
    mkdirSync(SHOTS, { recursive: true })
    const conf = dir.put("h1/conf/app.conf", V1)
    const compose = dir.put("h1/compose/docker-compose.yml", "services:\n  web:\n    image: nginx:1.27\n")
    const env = dir.put("h1/env/app.env", "DB_PASSWORD=hunter2-never-shown\nLOG_LEVEL=info\n")
    const globs = {
      proxy_configs: [`${dir.root}/h1/conf/*.conf`],
      docker_compose: [`${dir.root}/h1/compose/docker-compose.yml`],
      systemd_services: [],
      env_files: [`${dir.root}/h1/env/*.env`],
    }
    const none = {
      proxy_configs: [`${dir.root}/bare/*.conf`],
      docker_compose: [],
      systemd_services: [],
      env_files: [],
    }
    await withWatchApp(backend, { devices: { h1: { globs }, bare: { globs: none } }, debounceMs: 50 }, async (t) => {
      const server = await listen(t.app, "127.0.0.1", 0)
      try {
        for (const name of ["h1", "bare"]) {
          const add = await api(server, "POST", "/api/devices", undefined, {
            name,
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            private_key_path: sshd.privateKeyPath,
          })
          assert.equal(add.status, 201, JSON.stringify(add.body))
        }
        const repo = (s: any) => makeTokenRepo(s)
        const writer = await runIn(t, Effect.flatMap(Effect.service(Store), (s) => repo(s).create("ops", "write")))
        const reader = await runIn(t, Effect.flatMap(Effect.service(Store), (s) => repo(s).create("view", "read")))

        // Two versions of app.conf (the watcher may record the change itself; the scan makes sure).
        const scan = async () => {
          const res = await api(server, "POST", "/api/devices/h1/configs/scan", writer.token)
          assert.equal(res.status, 200, JSON.stringify(res.body))
        }
        await scan()
        dir.put("h1/conf/app.conf", V2)
        dir.put("h1/compose/docker-compose.yml", "services:\n  web:\n    image: nginx:1.28\n")
        await scan()
        const versions = await waitFor("two versions of app.conf", async () => {
          const h = await api(
            server,
            "GET",
            `/api/devices/h1/configs/history?path=${encodeURIComponent(conf)}`,
            writer.token,
          )
          return h.body.versions?.length === 2 ? h.body.versions as Array<any> : undefined
        })
        const [v2, v1] = versions.map((v) => String(v.id))

        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const page = await signInTo(context, server, writer.token, "/devices/h1/configs")
        page.on("dialog", (d) => {
          pageErrors.push(`dialog opened: ${d.message()}`)
          void d.dismiss()
        })

        // Tracked files with version counts, a link to the service map.
        const row = page.locator(`tr[data-path="${conf}"]`)
        assert.equal(await row.getAttribute("data-versions"), "2")
        assert.match(await row.locator("td[data-label=Versions]").innerText(), /^2$/)
        assert.equal(await page.locator("tr[data-path$='docker-compose.yml']").getAttribute("data-versions"), "2")
        assert.equal(await page.locator("a[href='/devices/h1/services']").count(), 1)
        await page.screenshot({ path: path.join(SHOTS, "configs-files-light-1280.png"), fullPage: true })

        // The timeline, newest first, with risk badges; compare the two versions.
        await row.locator("a").first().click()
        await page.waitForURL(/\/devices\/h1\/configs\/file\?path=/)
        assert.deepEqual(
          await page.locator("table.timeline tbody tr").evaluateAll((rows) =>
            rows.map((r) => r.getAttribute("data-version"))
          ),
          [v2, v1],
        )
        assert.match(await page.locator(`tr[data-version="${v2}"] .risk`).innerText(), /^(LOW|MEDIUM|HIGH|CRITICAL)$/)
        await page.screenshot({ path: path.join(SHOTS, "configs-timeline-light-1280.png"), fullPage: true })
        await Promise.all([page.waitForURL(/\/configs\/diff\?/), page.click(".timeline-form button[type=submit]")])
        const picked = new URL(page.url()).searchParams
        assert.deepEqual([picked.get("from"), picked.get("to")], [v1, v2], "the previous and the newest version")

        // Side by side: the added lines, highlighted as nginx; the hostile line is text.
        await page.locator(".diff[data-rendered=true]").waitFor()
        assert.ok(await page.locator(".diff-rendered .d2h-file-side-diff").count() >= 2, "side-by-side layout")
        assert.equal(await page.locator(".diff-rendered .d2h-file-name").innerText(), conf, "one file, not a rename")
        const added = await addedLines(page)
        assert.ok(added.some((l) => l.includes("set $upstream_port 9443;")), JSON.stringify(added))
        assert.ok(added.some((l) => l.includes(`# ${HOSTILE}`)), "the hostile line is shown as its text")
        assert.equal(await page.locator(".diff-rendered script").count(), 0, "no script element from file content")
        await page.locator(".diff[data-highlighted=nginx]").waitFor()
        assert.ok(await page.locator(".diff-rendered .hljs-attribute, .diff-rendered .hljs-section").count() > 0)
        const risk = await page.locator(".analysis .risk").innerText()
        assert.match(risk, /^(LOW|MEDIUM|HIGH|CRITICAL)$/)
        assert.notEqual(await page.locator(".analysis .rule").innerText(), "")
        assert.ok(await page.locator(".analysis .semantic li").count() >= 1, "semantic changes listed")
        assert.match(await page.locator(".analysis").innerText(), /Affected services:/)
        await page.screenshot({ path: path.join(SHOTS, "configs-diff-light-1280.png"), fullPage: true })

        // Unified: the same added line in the line-by-line table.
        await Promise.all([page.waitForURL(/view=unified/), page.click("a:has-text('Unified')")])
        await page.locator(".diff[data-rendered=true]").waitFor()
        assert.equal(await page.locator(".diff-rendered .d2h-file-side-diff").count(), 0)
        assert.ok(await page.locator(".diff-rendered .d2h-file-diff").count() >= 1, "line-by-line layout")
        assert.ok((await addedLines(page)).some((l) => l.includes("set $upstream_port 9443;")))

        // Default versions (previous vs newest) for a path only.
        await page.goto(`${server.url}/devices/h1/configs/diff?path=${encodeURIComponent(conf)}`)
        await page.locator(".diff[data-rendered=true]").waitFor()
        assert.ok((await addedLines(page)).some((l) => l.includes("set $upstream_port 9443;")))

        // YAML is highlighted as YAML.
        await page.goto(`${server.url}/devices/h1/configs/diff?path=${encodeURIComponent(compose)}`)
        await page.locator(".diff[data-highlighted=yaml]").waitFor()
        assert.ok((await addedLines(page)).some((l) => l.includes("image: nginx:1.28")))

        // A version stored with its secret redacted: no restore link, and the restore page says why.
        await page.goto(`${server.url}/devices/h1/configs/file?path=${encodeURIComponent(env)}`)
        assert.equal(await page.locator("table.timeline a:has-text('restore')").count(), 0)
        const envVersion = await page.locator("table.timeline tbody tr").first().getAttribute("data-version")
        await page.goto(`${server.url}/devices/h1/configs/restore?path=x&version=${envVersion}`)
        assert.match(await page.locator(".notice-error").innerText(), /cannot be restored[\s\S]*REDACTED/)
        assert.equal(await page.locator("#restore-confirm").count(), 0)
        assert.doesNotMatch(await page.content(), /hunter2/)

        // Snapshot ids are global: another device's pages do not show them.
        for (const p of [`diff?path=x&from=${v1}&to=${v2}`, `restore?path=x&version=${v1}`]) {
          const foreign = await api(server, "GET", `/devices/bare/configs/${p}`, writer.token)
          assert.equal(foreign.status, 404, p)
        }

        // Restore v1: the dry run shows what would change on the host, then a write session confirms.
        const restoreUrl = `${server.url}/devices/h1/configs/restore?path=${encodeURIComponent(conf)}&version=${v1}`
        await page.goto(restoreUrl)
        await page.locator(".diff[data-rendered=true]").waitFor()
        assert.ok((await addedLines(page)).some((l) => l.includes("set $upstream_port 9000;")), "the dry-run diff")
        assert.equal(readFileSync(conf, "utf8"), V2, "a dry run writes nothing")
        await page.screenshot({ path: path.join(SHOTS, "configs-restore-light-1280.png"), fullPage: true })
        await page.click("#restore-confirm")
        await page.locator("#restore-result[data-state=restored]").waitFor()
        assert.equal(readFileSync(conf, "utf8"), V1, "the host file holds version 1 again")

        // The restore is a new version; against v1 (not its direct predecessor) the analysis is computed.
        const latest = await api(
          server,
          "GET",
          `/api/devices/h1/configs/history?path=${encodeURIComponent(conf)}`,
          writer.token,
        )
        assert.equal(latest.body.versions.length, 3)
        await page.goto(`${server.url}/devices/h1/configs/diff?path=x&from=${v1}&to=${latest.body.versions[0].id}`)
        assert.match(await page.locator("main").innerText(), /These two versions are identical/)
        assert.match(await page.locator(".analysis").innerText(), /computed for these two versions/)
        await context.close()

        // A read session: the dry run, but no confirm button; a forged write from its page is refused.
        const readContext = await browser.newContext({ viewport: { width: 390, height: 800 }, colorScheme: "dark" })
        const readPage = await signInTo(
          readContext,
          server,
          reader.token,
          `/devices/h1/configs/diff?path=${encodeURIComponent(conf)}&from=${v1}&to=${v2}`,
        )
        await readPage.locator(".diff[data-rendered=true]").waitFor()
        assert.equal(
          await readPage.locator(".diff-rendered .d2h-file-side-diff").count(),
          0,
          "a phone gets the unified layout",
        )
        await readPage.screenshot({ path: path.join(SHOTS, "configs-diff-dark-390.png"), fullPage: true })
        await readPage.goto(restoreUrl.replace(`version=${v1}`, `version=${v2}`))
        await readPage.locator(".diff[data-rendered=true]").waitFor()
        assert.equal(await readPage.locator("#restore-confirm").count(), 0)
        assert.equal(await readPage.locator("#restore-readonly").count(), 1)
        const forged = await readPage.evaluate(async ({ snapshot }: { snapshot: string }) => {
          const doc = (globalThis as any).document
          const csrf = doc.querySelector('meta[name="csrf-token"]')?.content ?? ""
          const res = await fetch("/api/devices/h1/configs/restore", {
            method: "POST",
            credentials: "same-origin",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body: JSON.stringify({ snapshot_id: snapshot, dry_run: false }),
          })
          return res.status
        }, { snapshot: String(v2) })
        assert.equal(forged, 403, "a read session cannot restore")
        assert.equal(readFileSync(conf, "utf8"), V1, "the refused write changed nothing")

        // The service map: subdomain → upstream → container.
        await readPage.goto(`${server.url}/devices/h1/services`)
        const entry = readPage.locator("tr[data-subdomain=app]")
        assert.match(await entry.locator("td[data-label=Upstream]").innerText(), /portainer:9000/)
        assert.match(await entry.locator("td[data-label=Container]").innerText(), /portainer/)
        await readPage.screenshot({ path: path.join(SHOTS, "configs-services-dark-390.png"), fullPage: true })

        // A device with nothing tracked: a readable notice.
        await readPage.goto(`${server.url}/devices/bare/configs`)
        assert.match(await readPage.locator(".notice").innerText(), /No tracked config files on this device/)
        await readContext.close()

        assert.deepEqual(pageErrors, [], "no script errors, CSP violations or dialogs")
      } finally {
        await server.close()
      }
    })
  })
})

/**
 * The dashboard's Settings in a real browser (Chromium via playwright-core) against the whole app
 * on a real port, a real sshd test host and a real database: add devices through the form (the
 * probe's answer, an unreachable host, a bad key), edit one, a changed host key shown with its
 * fingerprint and re-trusted, tokens created (secret shown once), used and revoked, a read session
 * without forms whose forged writes are refused, removal with a typed confirmation, hostile tags
 * shown as text. Screenshots go to docs/screenshots/settings-*.png.
 */
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import type { Browser, Page } from "playwright-core"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { listen, type RunningServer } from "../src/http/server.ts"
import { Store } from "../src/store/Store.ts"
import { launchBrowser } from "./harness/browser.ts"
import { api, closedPort, pageErrors, postFromPage, signIn, watch } from "./harness/dashboard.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { opensshFingerprint } from "./harness/ssh-device.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const SHOTS = path.resolve(process.cwd(), "docs/screenshots")
const HOSTILE = `<img/src=x/onerror=document.title='owned'>`

let sshd: SshdHandle
let browser: Browser
before(async () => {
  sshd = await startSshd({ address: "127.0.0.24" })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  stopAllSshd()
})

const backend = testBackends()[0]!

/** The text of a form's result once the API has answered (not the "busy" line). */
const resultOf = async (page: Page, region: string, kind: "ok" | "error"): Promise<string> => {
  const box = page.locator(`#${region} [data-result=${kind}]`).last()
  await box.waitFor({ timeout: 20_000 }).catch(async (e) => {
    const shown = await page.locator(`#${region}`).innerText().catch(() => "?")
    throw new Error(`#${region} has no ${kind} result: "${shown}"; page errors: ${pageErrors.join("; ")}`, {
      cause: e,
    })
  })
  return box.innerText()
}

const addDevice = async (page: Page, fields: Record<string, string>) => {
  await page.locator("#add-device").waitFor()
  for (const [name, value] of Object.entries(fields)) await page.fill(`#add-device [name=${name}]`, value)
  await page.click("#add-device button[type=submit]")
}

const fitsPhone = async (page: Page, what: string) => {
  const width = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)
  assert.ok(width <= 390, `${what} fits 390 px (scroll width ${width})`)
}

const shoot = async (server: RunningServer, cookie: any, url: string, name: string, ready: string) => {
  for (const [scheme, width] of [["light", 1280], ["dark", 1280], ["light", 390], ["dark", 390]] as const) {
    const context = await browser.newContext({
      viewport: { width, height: 900 },
      colorScheme: scheme,
      ...(width === 390 ? { deviceScaleFactor: 2 } : {}),
    })
    await context.addCookies([cookie])
    const page = watch(await context.newPage())
    await page.goto(`${server.url}${url}`)
    await page.locator(ready).first().waitFor()
    if (width === 390) await fitsPhone(page, url)
    const size = width === 390 ? "phone" : "desktop"
    await page.screenshot({ path: path.join(SHOTS, `settings-${name}-${size}-${scheme}.png`), fullPage: true })
    await context.close()
  }
}

describe(`dashboard settings in a real browser (${backend.name})`, () => {
  test("devices, probe errors, edit, host key re-trust, tokens, read scope, removal", async () => {
    mkdirSync(SHOTS, { recursive: true })
    await withSecureApp(backend, { ssh: { connectTimeoutMs: 3000, commandTimeoutMs: 5000 } }, async (t) => {
      const server = await listen(t.app, "127.0.0.1", 0)
      try {
        // Open mode (loopback, no token yet): settings with its forms, like the API.
        const open = await api(server, "GET", "/settings")
        assert.equal(open.status, 200)
        assert.match(open.body, /id="add-device"/)
        assert.match(open.body, /id="create-token"/)
        assert.match(open.body, /No tokens yet/)

        const repo = (s: any) => makeTokenRepo(s)
        const writer = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("ops", "write")))
        const reader = await t.run(Effect.flatMap(Effect.service(Store), (s) => repo(s).create("view", "read")))

        const redirected = await api(server, "GET", "/settings/devices/x")
        assert.equal(redirected.status, 302)
        assert.equal(redirected.headers.get("location"), "/login?next=%2Fsettings%2Fdevices%2Fx")

        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const page = await signIn(context, server, writer.token)
        const dialogs: Array<string> = []
        page.on("dialog", (d) => {
          dialogs.push(d.message())
          void d.accept()
        })
        await page.goto(`${server.url}/settings`)
        assert.match(await page.locator("#devices-title").innerText(), /Devices/)

        // A reachable host: added, probed, listed; its hostile tag is text.
        await addDevice(page, {
          name: "lab1",
          host: sshd.host,
          port: String(sshd.port),
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
          tags: `lab, ${HOSTILE}`,
        })
        const added = await resultOf(page, "add-result", "ok")
        assert.match(added, /Added lab1: connected/)
        assert.match(added, /Probe: .*tools:/)
        assert.deepEqual(
          await page.locator("tr[data-device=lab1] .tag").allInnerTexts(),
          ["lab", HOSTILE],
          "the hostile tag is shown as text",
        )

        // Unreachable: added with the probe's typed error in the page.
        await addDevice(page, {
          name: "gone",
          host: "127.0.0.1",
          port: String(await closedPort()),
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        const unreachable = await resultOf(page, "add-result", "error")
        assert.match(unreachable, /Added gone, but the probe failed/)
        assert.match(unreachable, /ssh_connect_refused: .*refused/i)

        // A key that is not there: the same, with what is wrong.
        await addDevice(page, {
          name: "badkey",
          host: sshd.host,
          port: String(sshd.port),
          username: sshd.user,
          private_key_path: "/nonexistent/id_ed25519",
        })
        const badKey = await resultOf(page, "add-result", "error")
        assert.match(badKey, /Added badkey, but the probe failed/)
        assert.match(badKey, /\/nonexistent\/id_ed25519/)
        console.log(`settings: bad key → ${badKey.replace(/\s+/g, " ")}`)

        // A key the host does not accept.
        const stranger = path.join(mkdtempSync(path.join(os.tmpdir(), "settings-key-")), "id_ed25519")
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger])
        await addDevice(page, {
          name: "wrongkey",
          host: sshd.host,
          port: String(sshd.port),
          username: sshd.user,
          private_key_path: stranger,
        })
        assert.match(
          await resultOf(page, "add-result", "error"),
          /Added wrongkey, but the probe failed\s+ssh_auth_failed: /,
        )
        rmSync(path.dirname(stranger), { recursive: true, force: true })

        // A hostile name is refused, and the refusal is text.
        await addDevice(page, { name: "<b>x</b>", host: "127.0.0.1" })
        assert.match(await resultOf(page, "add-result", "error"), /Not added\s+bad_request: /)
        assert.equal(await page.locator("#add-result b").count(), 0)

        // Refused input: the API's code and message, nothing added.
        await addDevice(page, { name: "lab1", host: "127.0.0.1" })
        assert.match(
          await resultOf(page, "add-result", "error"),
          /Not added\s+conflict: a device named 'lab1' already exists/,
        )

        // The server-rendered list after a reload: every device, the hostile tag still text.
        await page.reload()
        assert.deepEqual(
          (await page.locator("#device-rows tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-device"))))
            .sort(),
          ["badkey", "gone", "lab1", "wrongkey"],
        )
        assert.deepEqual(await page.locator("tr[data-device=lab1] .tag").allInnerTexts(), ["lab", HOSTILE])
        assert.equal(await page.locator("#devices img").count(), 0)
        assert.notEqual(await page.title(), "owned")

        // Edit tags: saved, as the API says.
        await page.goto(`${server.url}/settings/devices/lab1`)
        await page.fill("#edit-device [name=tags]", "lab, edited")
        await page.click("#edit-device button[type=submit]")
        assert.match(await resultOf(page, "edit-result", "ok"), /Saved: tags/)
        assert.deepEqual((await api(server, "GET", "/api/devices/lab1", writer.token)).body.tags, ["lab", "edited"])

        // Fix the bad key: saved, then the connection test connects.
        await page.goto(`${server.url}/settings/devices/badkey`)
        await page.fill("#edit-device [name=private_key_path]", sshd.privateKeyPath)
        await page.click("#edit-device button[type=submit]")
        assert.match(await resultOf(page, "edit-result", "ok"), /Saved: private_key_path/)
        await page.locator("#edit-result [data-result=ok]", { hasText: "Connected to badkey" }).waitFor()

        // The trusted key is shown; then the host's key changes.
        const first = opensshFingerprint(`${sshd.hostKeyPath}.pub`)
        await page.goto(`${server.url}/settings/devices/lab1`)
        assert.match(await page.locator("#trusted-key").innerText(), new RegExp(first.replace(/[+/]/g, "\\$&")))
        sshd.regenerateHostKey()
        await sshd.restart()
        const second = opensshFingerprint(`${sshd.hostKeyPath}.pub`)
        assert.notEqual(first, second)
        await page.click("#test-connection")
        assert.match(await resultOf(page, "edit-result", "error"), /ssh_host_key_mismatch/)
        await page.click("#edit-result a")
        await page.locator("#presented-key").waitFor()
        const presented = await page.locator("#presented-key").innerText()
        assert.ok(presented.includes(second), `the presented fingerprint is shown: ${presented}`)
        assert.ok((await page.locator("#trusted-key").innerText()).includes(first), "and the one trusted until now")
        assert.equal((await api(server, "GET", "/api/devices/lab1", writer.token)).body.status, "host_key_mismatch")
        await shoot(server, (await context.cookies())[0], "/settings/devices/lab1", "hostkey", "#presented-key")

        // Trust it: pinned to the key shown, and the connection test passes.
        await page.click("#trust-key")
        assert.match(dialogs.at(-1) ?? "", new RegExp(second.replace(/[+/]/g, "\\$&")))
        await page.locator("#trust-result [data-result=ok]", { hasText: "Connected to lab1" }).waitFor()
        assert.ok((await page.locator("#trust-result").innerText()).includes(`Trusted ${second}`))
        const read = await api(server, "GET", "/api/devices/lab1/system_metrics?force_refresh=true", writer.token)
        assert.equal(read.status, 200, JSON.stringify(read.body))
        const keyNow = await api(server, "GET", "/api/devices/lab1/host-key", writer.token)
        assert.equal(keyNow.body.trusted[0].fingerprint, second)
        assert.equal(keyNow.body.presented, null)

        // Tokens: the secret once, working against the API, gone after a reload; then revoked.
        await page.goto(`${server.url}/settings`)
        await page.fill("#create-token [name=name]", "ci bot")
        await page.selectOption("#create-token [name=scope]", "write")
        await page.click("#create-token button[type=submit]")
        const created = await resultOf(page, "token-result", "ok")
        assert.match(created, /Created write token ci bot/)
        assert.match(created, /you will not see it again/)
        const secret = await page.inputValue("#token-secret")
        const id = (await page.locator("#token-rows tr", { hasText: "ci bot" }).getAttribute("data-token"))!
        assert.ok(secret.includes(id), `the secret carries its id (${id}, ${secret.length} chars)`)
        assert.equal((await api(server, "GET", "/api/devices", secret)).status, 200, "the new token works")
        await page.screenshot({ path: path.join(SHOTS, "settings-token-created-desktop-light.png"), fullPage: true })
        await page.reload()
        assert.equal(await page.locator("#token-secret").count(), 0)
        assert.ok(!(await page.content()).includes(secret), "not shown again")
        assert.match(await page.locator(`tr[data-token="${id}"] td[data-label="Last used"]`).innerText(), /\d{4}-/)
        await page.click(`button[data-revoke="${id}"]`)
        assert.match(dialogs.at(-1) ?? "", /Revoke token "ci bot"/)
        await page.locator(`tr[data-token="${id}"][data-revoked=yes]`).waitFor()
        assert.equal((await api(server, "GET", "/api/devices", secret)).status, 401, "revoked")
        await shoot(server, (await context.cookies())[0], "/settings", "devices", "#device-rows tr")

        // A read session: the lists without forms or buttons; a forged write is refused.
        const readContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
        const readPage = await signIn(readContext, server, reader.token)
        await readPage.goto(`${server.url}/settings`)
        await readPage.locator("tr[data-device=lab1]").waitFor()
        assert.equal(await readPage.locator("#add-device, #create-token, button[data-revoke]").count(), 0)
        assert.match(await readPage.locator("main").innerText(), /Tokens are listed to write-scope sessions only/)
        await readPage.goto(`${server.url}/settings/devices/lab1`)
        await readPage.locator("#device-fields").waitFor()
        assert.equal(await readPage.locator("main form, main button").count(), 0, "no forms or buttons")
        const readCsrf = (await readPage.locator('meta[name="csrf-token"]').getAttribute("content"))!
        assert.deepEqual(
          await postFromPage(readPage, "/api/devices/lab1/trust-host-key", { "x-csrf-token": readCsrf }),
          { status: 403, code: "forbidden" },
        )
        const forged = await readPage.evaluate(async (csrf) => {
          const send = (method: string, url: string, body?: unknown) =>
            fetch(url, {
              method,
              headers: { "x-csrf-token": csrf, "content-type": "application/json" },
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            }).then((r) => r.status)
          return [
            await send("POST", "/api/tokens", { name: "forged", scope: "write" }),
            await send("PATCH", "/api/devices/lab1", { tags: ["forged"] }),
            await send("DELETE", "/api/devices/lab1"),
          ]
        }, readCsrf)
        assert.deepEqual(forged, [403, 403, 403], "a read session's writes are refused")
        assert.deepEqual((await api(server, "GET", "/api/devices/lab1", writer.token)).body.tags, ["lab", "edited"])
        await readContext.close()

        // Removal asks for the name typed out.
        await page.goto(`${server.url}/settings/devices/gone`)
        await page.fill("#remove-device [name=confirm]", "gon")
        await page.click("#remove-device button[type=submit]")
        assert.match(await resultOf(page, "remove-result", "error"), /Type gone exactly/)
        assert.equal((await api(server, "GET", "/api/devices/gone", writer.token)).status, 200, "still there")
        await page.fill("#remove-device [name=confirm]", "gone")
        await Promise.all([page.waitForURL(/\/settings\?removed=gone$/), page.click("#remove-device button")])
        assert.match(await page.locator("main .notice").first().innerText(), /Removed gone/)
        assert.equal((await api(server, "GET", "/api/devices/gone", writer.token)).status, 404)
        await context.close()
        assert.deepEqual(pageErrors, [], "no script errors or CSP violations")
      } finally {
        await server.close()
      }
    })
  })
})

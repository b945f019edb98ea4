/**
 * The device page's tables (src/dashboard/panels) in a real browser against a real server and two
 * real sshd test hosts read through the pipeline. "full" has PATH shims printing real recorded
 * outputs (smartctl/lsblk, zpool/zfs, systemctl, virsh/qm/pct, journalctl, docker); "bare" has no
 * zpool or hypervisor, and a systemctl without systemd as init, so its panels must say so in words. Screenshots go to docs/screenshots/panels-*.
 */
import assert from "node:assert/strict"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import type { Browser, Locator, Page } from "playwright-core"
import { listen, type RunningServer } from "../src/http/server.ts"
import { launchBrowser } from "./harness/browser.ts"
import { api, pageErrors, watch } from "./harness/dashboard.ts"
import { testBackends } from "./harness/db.ts"
import { fixturePath } from "./harness/fixtures.ts"
import { withSecureApp } from "./harness/security.ts"
import { dockerShim } from "./harness/shims/docker.ts"
import { noSystemdShim } from "./harness/shims/failing-tools.ts"
import { driveHealthShims } from "./harness/shims/drives.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { SYSTEMD_FIXTURES, systemdShims } from "./harness/shims/systemd.ts"
import { vmStatusShims } from "./harness/shims/vms.ts"
import { zfsLegacyShims } from "./harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const SHOTS = path.resolve(process.cwd(), "docs/screenshots")
const HOSTILE = "<img src=x onerror=alert(1)>"
/** Whether the machine running the test hosts has a real smartctl (the script looks in sbin too). */
const SMARTCTL_HERE = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"]
  .some((dir) => existsSync(path.join(dir, "smartctl")))

/**
 * No recording has a failed service, so the systemctl shim reads a copy of the recorded list-units
 * in which one recorded unit (apt-daily.service, "inactive dead") is "failed failed", columns kept.
 */
const failedUnitShim = (dir: string): string => {
  const recorded = fixturePath("systemd", SYSTEMD_FIXTURES.listUnits)
  const text = readFileSync(recorded, "utf8")
  const changed = text.replace(/^( {2}apt-daily\.service +loaded {4})inactive dead {5}/m, "$1failed   failed    ")
  assert.notEqual(changed, text, "the recorded apt-daily.service line was found")
  const copy = path.join(dir, "list-units-with-failed.txt")
  writeFileSync(copy, changed)
  chmodSync(copy, 0o644)
  return systemdShims["systemctl"]!.split(recorded).join(copy)
}

/** The recorded docker shim, plus one hostile line in every `docker logs` answer. */
const hostileDocker = [
  "#!/bin/sh",
  'if [ "$1" = logs ]; then',
  '  docker-recorded "$@" || exit $?',
  `  printf '%s %s\\n' 2026-12-01T10:00:00.000000000Z '${HOSTILE}'`,
  "  exit 0",
  "fi",
  'exec docker-recorded "$@"',
].join("\n")

let full: SshdHandle
let bare: SshdHandle
let browser: Browser
let tmp: string
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "infra-panels-"))
  chmodSync(tmp, 0o755) // the test host's user reads the edited recording
  full = await startSshd({
    address: "127.0.0.151",
    shims: {
      ...driveHealthShims,
      ...zfsLegacyShims,
      ...vmStatusShims,
      ...systemLogsShims,
      systemctl: failedUnitShim(tmp),
      "docker-recorded": dockerShim(),
      docker: hostileDocker,
    },
  })
  bare = await startSshd({ address: "127.0.0.152", shims: { systemctl: noSystemdShim } })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  stopAllSshd()
  rmSync(tmp, { recursive: true, force: true })
})

const backend = testBackends()[0]!

const addDevice = async (server: RunningServer, name: string, h: SshdHandle) => {
  const res = await api(server, "POST", "/api/devices", undefined, {
    name,
    host: h.host,
    port: h.port,
    username: h.user,
    private_key_path: h.privateKeyPath,
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

/** A panel once its fragment is in (panels.js counts loads in data-loaded). */
const panel = async (page: Page, name: string) => {
  const el = page.locator(`[data-panel=${name}]`)
  await el.and(page.locator("[data-loaded][aria-busy=false]")).waitFor()
  return el
}

/** Do something that reloads a panel's fragment, and wait until the new one is in. */
const submitted = async (page: Page, el: Locator, act: () => Promise<unknown>) => {
  const before = Number(await el.getAttribute("data-loaded"))
  await act()
  await page.waitForFunction(
    ({ name, n }) =>
      Number((globalThis as any).document.querySelector(`[data-panel=${name}]`).dataset.loaded) > n &&
      (globalThis as any).document.querySelector(`[data-panel=${name}]`).getAttribute("aria-busy") === "false",
    { name: await el.getAttribute("data-panel"), n: before },
  )
}

/** A panel that read its data (else the failure names what it shows instead). */
const okPanel = async (page: Page, name: string) => {
  const el = await panel(page, name)
  assert.equal(await el.locator(":scope > [data-state=ok]").count(), 1, await el.innerText())
  return el
}

describe(`device page panels in a real browser (${backend.name})`, () => {
  test("drives, ZFS, systemd, VMs, logs and container logs from recorded outputs; unavailable tools in words", async () => {
    mkdirSync(SHOTS, { recursive: true })
    await withSecureApp(backend, {}, async (t) => {
      const server = await listen(t.app, "127.0.0.1", 0)
      try {
        // Open mode (loopback, no tokens): the dashboard works without signing in.
        await addDevice(server, "full", full)
        await addDevice(server, "bare", bare)

        const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" })
        const page = watch(await context.newPage())
        page.on("dialog", (d) => {
          pageErrors.push(`dialog opened: ${d.message()}`)
          void d.dismiss()
        })
        await page.goto(`${server.url}/devices/full`)

        // Drives: the recorded WDC disk with its SMART verdict, temperature and attributes.
        const drives = await okPanel(page, "drives")
        const sda = drives.locator("tbody[data-disk='/dev/sda']")
        assert.match(await sda.locator("th[scope=row]").first().innerText(), /WDC WD5002ABYS/)
        assert.match(await sda.locator("[data-field=temperature]").innerText(), /^\d+ °C$/)
        const nvme = drives.locator("tbody[data-disk='/dev/nvme0n1']")
        // SMART passes, yet the recorded media errors make it a warning, with the reason shown.
        assert.match(await nvme.locator("td[data-label=SMART]").innerText(), /PASSED/)
        assert.match(await nvme.locator("td[data-label=Health]").innerText(), /warning\s+nvme_media_errors=7/)
        // The attribute table opens on click ...
        const attrs = sda.locator("tr.detail-row")
        assert.equal(await attrs.isHidden(), true)
        await sda.locator("button[data-toggle]").click()
        assert.equal(await attrs.isVisible(), true)
        assert.equal(await sda.locator("button[data-toggle]").getAttribute("aria-expanded"), "true")
        assert.match(await attrs.innerText(), /Reallocated_Sector_Ct/)
        await sda.locator("button[data-toggle]").click()
        assert.equal(await attrs.isHidden(), true, "and closes again")
        // ... and from the keyboard: focus the button, Enter opens, Space closes.
        const sdb = drives.locator("tbody[data-disk='/dev/sdb']")
        await sdb.locator("button[data-toggle]").focus()
        await page.keyboard.press("Enter")
        assert.equal(await sdb.locator("tr.detail-row").isVisible(), true)
        assert.match(await sdb.locator("tr.detail-row").innerText(), /Grown defects/)
        await page.keyboard.press("Space")
        assert.equal(await sdb.locator("tr.detail-row").isHidden(), true)

        // ZFS (a zpool without -j: the recorded text status): the pool resilvering a replaced disk.
        const zfs = await okPanel(page, "zfs")
        const pool = zfs.locator("article.pool[data-pool=Data]")
        assert.match(await pool.locator("[data-field=state]").innerText(), /DEGRADED/)
        assert.match(await pool.locator("[data-field=scan]").innerText(), /resilver in progress.*123h32m to go/)
        assert.equal(await pool.locator("tr[data-vdev=mirror-0]").count(), 1, "the vdev tree")
        assert.match(await pool.locator("tr[data-vdev=sdd]").innerText(), /ONLINE.*\(resilvering\)/s)
        assert.match(await pool.locator("tr[data-vdev=replacing-0] th").getAttribute("class") ?? "", /depth-2/)
        assert.match(await zfs.locator("article.pool[data-pool=rpool]").innerText(), /ONLINE/, "listed, not in status")
        assert.ok((await zfs.locator("tr[data-dataset]").count()) > 0, "datasets")
        assert.match(await zfs.locator("details.snapshots summary").innerText(), /Snapshots \([1-9]\d*\)/)
        await zfs.locator("details.snapshots summary").click()
        assert.ok(await zfs.locator("details.snapshots table tbody tr").first().isVisible(), "snapshots open")

        // systemd: the failed unit is first and marked.
        const systemd = await okPanel(page, "systemd")
        const first = systemd.locator("table.units tbody tr").first()
        assert.equal(await first.getAttribute("data-unit"), "apt-daily.service")
        assert.equal(await first.getAttribute("data-failed"), "true")
        assert.match(await first.getAttribute("class") ?? "", /row-bad/)
        assert.match(await systemd.locator("[data-field=failed-count]").innerText(), /1 failed/)
        assert.equal(await systemd.locator("tr[data-unit='cron.service']").count(), 1)
        await systemd.locator("input[data-filter]").fill("cron")
        assert.equal(await systemd.locator("tr[data-unit='cron.service']").isVisible(), true)
        assert.equal(await first.isHidden(), true, "the filter box narrows the rows")
        await systemd.locator("input[data-filter]").fill("")

        // VMs: libvirt's recorded domains and Proxmox's recorded VMs, with their states.
        const vms = await okPanel(page, "vms")
        assert.equal(await vms.locator("tr[data-vm=fc4]").getAttribute("data-state"), "running")
        assert.equal(await vms.locator("tr[data-vm=Rocky]").getAttribute("data-state"), "stopped")

        // Logs: the recorded journal entry; filtered by priority through the read's params.
        const logs = await okPanel(page, "logs")
        assert.match(await logs.locator("table.log-table").innerText(), /Count: 0000000001/)
        assert.match(await logs.locator("table.log-table").innerText(), /session-2\.scope/)
        await logs.locator("select[name=priority]").selectOption("err")
        await submitted(page, logs, () => logs.locator("button[type=submit]").click())
        assert.match(await logs.innerText(), /No log entries match/, "an info entry is not an error")
        assert.equal(await logs.locator("select[name=priority]").inputValue(), "err", "the filter stays shown")
        await logs.locator("select[name=priority]").selectOption("info")
        await logs.locator("input[name=unit]").fill("session-2.scope")
        await submitted(page, logs, () => logs.locator("input[name=unit]").press("Enter"))
        assert.match(await logs.locator("table.log-table").innerText(), /Count: 0000000001/)
        assert.equal(await page.evaluate(() => (globalThis as any).document.activeElement.name), "unit", "focus kept")
        // The filters are in the address: a reload shows the same filtered rows.
        const address = new URL(page.url()).searchParams
        assert.deepEqual([address.get("unit"), address.get("priority")], ["session-2.scope", "info"])
        await page.reload()
        const again = await okPanel(page, "logs")
        assert.equal(await again.locator("input[name=unit]").inputValue(), "session-2.scope")
        assert.match(await again.locator("table.log-table").innerText(), /Count: 0000000001/)
        // A unit the read refuses: the pipeline's reason, in words, with the filters still there to fix.
        await again.locator("input[name=unit]").fill("no such unit!")
        await submitted(page, again, () => again.locator("button[type=submit]").click())
        assert.match(await again.locator("[role=alert]").innerText(), /Could not read system logs[^]*unit/)
        await again.locator("input[name=unit]").fill("")
        await submitted(page, again, () => again.locator("button[type=submit]").click())

        await page.screenshot({ path: path.join(SHOTS, "panels-desktop-light.png"), fullPage: true })

        // Container logs: the page's lines, the tail choice, hostile text shown as text.
        // The recorded portainer container (its `docker inspect` was recorded, so `docker logs` knows it).
        const name = "portainer"
        await page.goto(`${server.url}/devices/full/containers/${encodeURIComponent(name)}/logs`)
        const lines = page.locator("#container-log tbody tr")
        assert.ok((await lines.count()) >= 2, "the recorded start line and the hostile line")
        assert.match(await page.locator("#container-log").innerText(), /started \/portainer/)
        assert.equal(await page.locator("#container-log td", { hasText: HOSTILE }).count(), 1, "shown as text")
        assert.equal(await page.locator("#container-log img").count(), 0, "never as an element")
        await page.selectOption("#tail", "50")
        await Promise.all([page.waitForURL(/tail=50$/), page.click("form.filters button[type=submit]")])
        assert.equal(await page.locator("#tail").inputValue(), "50")
        await page.screenshot({ path: path.join(SHOTS, "panels-container-logs.png"), fullPage: true })
        assert.ok((await lines.count()) >= 1)

        // The bare host: every missing tool named in words, no table.
        await page.goto(`${server.url}/devices/bare`)
        const bareDrives = await panel(page, "drives")
        if (SMARTCTL_HERE) {
          // This machine has smartctl (so the bare host does): its real answer for the host's disks.
          assert.ok((await bareDrives.locator("tbody[data-disk]").count()) > 0, await bareDrives.innerText())
        } else {
          assert.match(await bareDrives.innerText(), /smartctl not installed on this host/)
        }
        assert.match(await (await panel(page, "zfs")).innerText(), /zpool not installed on this host/)
        assert.match(await (await panel(page, "vms")).innerText(), /No VMs \(virsh\/qm not installed/)
        // systemctl without systemd as init (the recorded answer), in words rather than as a failure.
        assert.match(await (await panel(page, "systemd")).innerText(), /systemd is not running on this host/)
        // This machine's own journalctl answers (an empty journal here): a read, not an error.
        assert.equal(await (await panel(page, "logs")).locator("[data-state=ok]").count(), 1)

        // The server gone: the panel says so in words and offers to try again.
        const second = await listen(t.app, "127.0.0.1", 0)
        await page.goto(`${second.url}/devices/full`)
        const cut = await okPanel(page, "logs")
        await second.close()
        await submitted(page, cut, () => cut.locator("button[type=submit]").click())
        assert.match(await cut.locator("[role=alert]").innerText(), /Could not load this table/)
        assert.equal(await cut.locator("button[data-retry]").count(), 1)

        // A fragment for a panel that does not exist, and for an unknown device.
        assert.equal((await api(server, "GET", "/devices/full/panels/nope")).status, 404)
        const unknown = await api(server, "GET", "/devices/ghost/panels/drives")
        assert.equal(unknown.status, 404)
        assert.match(unknown.body, /ghost/)
        await context.close()

        // Dark, and phone width (light and dark): the panels fit 390 px.
        const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" })
        const darkPage = watch(await dark.newPage())
        await darkPage.goto(`${server.url}/devices/full`)
        for (const p of ["drives", "zfs", "systemd", "vms", "logs"]) await panel(darkPage, p)
        await darkPage.screenshot({ path: path.join(SHOTS, "panels-desktop-dark.png"), fullPage: true })
        await dark.close()
        for (const scheme of ["light", "dark"] as const) {
          const phone = await browser.newContext({
            viewport: { width: 390, height: 844 },
            deviceScaleFactor: 2,
            colorScheme: scheme,
          })
          const small = watch(await phone.newPage())
          await small.goto(`${server.url}/devices/full`)
          for (const p of ["drives", "zfs", "systemd", "vms", "logs"]) await panel(small, p)
          const widths = await small.evaluate(() =>
            [...(globalThis as any).document.querySelectorAll("section.panel")].map((s: any) => s.scrollWidth)
          )
          for (const w of widths) assert.ok(w <= 390, `a panel is ${w} px wide at 390 px`)
          await small.screenshot({ path: path.join(SHOTS, `panels-phone-${scheme}.png`), fullPage: true })
          await phone.close()
        }
        assert.deepEqual(pageErrors, [], "no script errors, CSP violations or dialogs")
      } finally {
        await server.close()
      }
    })
  })
})

/**
 * `npm run -s build && node dist/bench/charts.js`: the device page's 7-day charts in a real
 * browser (Debian's Chromium), over a week of readings a minute apart (10,080 system_metrics rows
 * plus interfaces and containers, bench/chart-data.ts), the whole app listening on loopback in
 * open mode. Per page load: the CPU series answered and the CPU chart drawn, in ms after
 * navigation start (and from device.js starting its requests to drawn), and all nine charts ready; beside them, in the same run, the series request
 * alone (fetch from the page, nothing drawn) and in-process (no HTTP, no browser). PGlite, and
 * PostgreSQL too when TEST_DATABASE_URL is set (a schema of its own, dropped afterwards). Prints a
 * table. Not a test.
 */
import os from "node:os"
import process from "node:process"
import { Effect } from "effect"
import { listen } from "../src/http/server.ts"
import { Store } from "../src/store/Store.ts"
import { launchBrowser } from "../test/harness/browser.ts"
import { closedPort } from "../test/harness/dashboard.ts"
import { type TestBackend, testBackends } from "../test/harness/db.ts"
import { withSecureApp } from "../test/harness/security.ts"
import { seedDeviceHistory } from "./chart-data.ts"
import { ms, summarize, table } from "./stats.ts"

const N = Number(process.env["BENCH_N"] ?? 10)
const ROWS = 7 * 1440
const WEEK_S = 7 * 86_400

const runOn = (backend: TestBackend): Promise<Array<Array<string>>> =>
  withSecureApp(backend, {}, async (t) => {
    const port = await closedPort()
    await t.run(Effect.gen(function* () {
      const store = yield* Store
      const device = yield* store.createDevice({ name: "week", host: "127.0.0.1", port })
      yield* seedDeviceHistory(device.id, Date.now(), ROWS, 60_000)
    }))
    const server = await listen(t.app, "127.0.0.1", 0)
    const browser = await launchBrowser()
    const samples: Record<string, Array<number>> = {
      "series in-process (app.request)": [],
      "series fetch from the page": [],
      "page: CPU series answered": [],
      "page: CPU chart drawn": [],
      "page: CPU chart, script start to drawn": [],
      "page: all 9 charts ready": [],
    }
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
      const url = `${server.url}/devices/week?range=7d`
      await page.goto(url) // warm up: assets cached, database pages in memory
      await page.locator("body[data-charts-ready='7d']").waitFor({ timeout: 60_000 })
      for (let i = 0; i < N; i++) {
        await page.goto(url)
        await page.locator("body[data-charts-ready='7d']").waitFor({ timeout: 60_000 })
        const h = await page.evaluate(() => {
          const c = (globalThis as any).infraCharts
          return {
            startedAt: c.startedAt,
            fetchedAt: c.fetchedAt,
            drawnAt: c.drawnAt,
            ready: performance.now(),
            points: c.points,
          }
        })
        if (h.points < 500) throw new Error(`the CPU chart drew ${h.points} points`)
        samples["page: CPU series answered"]!.push(h.fetchedAt)
        samples["page: CPU chart drawn"]!.push(h.drawnAt)
        samples["page: CPU chart, script start to drawn"]!.push(h.drawnAt - h.startedAt)
        // Read right after the ready mark: an upper bound for the last chart.
        samples["page: all 9 charts ready"]!.push(h.ready)
        const to = Math.floor(Date.now() / 1000)
        const path = `/api/devices/week/system_metrics/series?from=${to - WEEK_S}&to=${to}&points=1000`
        samples["series fetch from the page"]!.push(
          await page.evaluate(async (p) => {
            const t0 = performance.now()
            await (await fetch(p)).json()
            return performance.now() - t0
          }, path),
        )
        const t0 = performance.now()
        const res = await t.app.request(path)
        await res.text()
        samples["series in-process (app.request)"]!.push(performance.now() - t0)
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`)
      }
    } finally {
      await browser.close()
      await server.close()
    }
    return Object.entries(samples).map(([label, durations]) => {
      const s = summarize(label, durations)
      return [backend.name, label, String(s.n), ms(s.p50), ms(s.p99)]
    })
  })

const main = async () => {
  const rows: Array<Array<string>> = []
  for (const backend of testBackends()) rows.push(...await runOn(backend))
  console.log(
    `\n7-day device charts, ${ROWS} rows a minute apart; ${os.cpus().length} CPUs, load ${
      os.loadavg().map((l) => l.toFixed(2)).join(" ")
    } at the end; ms after navigation start for page rows\n`,
  )
  console.log(table(["backend", "measure", "n", "p50 ms", "p99 ms"], rows))
}

await main()

/**
 * `npm run -s build && node dist/bench/series.js`: a chart's read of 30 days of a 60 s metric
 * (43,200 system_metrics rows of one device), downsampled in SQL by the series route, against the
 * plain history read of the same range (which stops at its 10,000-row limit). In-process requests
 * on the full service graph: PGlite in memory, and PostgreSQL too when BENCH_DATABASE_URL is set
 * (on a schema of its own, dropped afterwards). Prints a table. Not a test.
 */
import process from "node:process"
import { Effect, Layer, ManagedRuntime } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { allActions, allDataTypes } from "../src/collectors/index.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { composeServices } from "../src/layers.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { makeStoreLayer, type StoreOptions } from "../src/store/layer.ts"
import { testQuery } from "../src/store/raw-sql.ts"
import { Store } from "../src/store/Store.ts"
import { ms, summarize, table } from "./stats.ts"

const N = Number(process.env["BENCH_N"] ?? 20)
const ROWS = 43_200
const MINUTE = 60_000
const END = Date.parse("2026-02-01T00:00:00Z")
const START = END - ROWS * MINUTE

/** One row like a real poll's: every column filled, the parsed reading in `data`. */
const row = (deviceId: number, i: number) => {
  const time = new Date(START + i * MINUTE)
  const cpu = 20 + 15 * Math.sin(i / 90)
  return {
    time,
    device_id: deviceId,
    cpu_percent: cpu,
    cpu_iowait_percent: 1.5,
    cpu_steal_percent: 0,
    mem_total_bytes: 16e9,
    mem_available_bytes: 9e9,
    mem_used_percent: 43.75,
    swap_total_bytes: 2e9,
    swap_used_bytes: 1e8,
    load1: cpu / 25,
    load5: cpu / 30,
    load15: cpu / 35,
    uptime_seconds: 86_400 + i * 60,
    process_count: 240,
    disk_used_percent_max: 61 + i / ROWS,
    net_rx_bytes: 1_000_000 * i,
    net_tx_bytes: 250_000 * i,
    data: { cpu: { percent: cpu }, memory: { used_percent: 43.75 }, filesystems: [{ mount: "/", used_percent: 61 }] },
  }
}

const time = async (n: number, f: () => Promise<number>): Promise<{ durations: Array<number>; bytes: number }> => {
  const durations: Array<number> = []
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    bytes = await f()
    durations.push(performance.now() - t0)
  }
  return { durations, bytes }
}

const runOn = async (name: string, options: StoreOptions): Promise<Array<Array<string>>> => {
  const layer = composeServices({
    store: makeStoreLayer(options),
    ssh: makeSshLayer({ sshDir: "/nonexistent" }),
    cache: makeCacheLayer({}),
    registry: Registry.make(allDataTypes, {}, allActions),
  })
  const runtime = ManagedRuntime.make(layer.pipe(Layer.orDie))
  try {
    const app = await runtime.runPromise(makeHttpApp)
    await runtime.runPromise(Effect.gen(function* () {
      const store = yield* Store
      const device = yield* store.createDevice({ name: "nas", host: "192.0.2.10" })
      for (let i = 0; i < ROWS; i += 2000) {
        yield* store.insertRows(
          "system_metrics",
          Array.from({ length: Math.min(2000, ROWS - i) }, (_, k) => row(device.id, i + k)),
        )
      }
    }))
    const range = `from=${new Date(START).toISOString()}&to=${new Date(END).toISOString()}`
    const week = `from=${new Date(END - 7 * 86_400_000).toISOString()}&to=${new Date(END).toISOString()}`
    const cases: Array<[string, string, (body: any) => number]> = [
      ["series 30 d, points=1000", `/api/devices/nas/system_metrics/series?${range}&points=1000`, (b) => b.points],
      ["series 30 d, points=300", `/api/devices/nas/system_metrics/series?${range}`, (b) => b.points],
      ["series 7 d, points=300", `/api/devices/nas/system_metrics/series?${week}`, (b) => b.points],
      [
        "history 30 d, limit=10000 (max)",
        `/api/devices/nas/system_metrics/history?${range}&limit=10000`,
        (b) => b.count,
      ],
    ]
    const rows: Array<Array<string>> = []
    for (const [label, url, count] of cases) {
      let points = 0
      await app.request(url) // warm up
      const { durations, bytes } = await time(N, async () => {
        const res = await app.request(url)
        const text = await res.text()
        if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`)
        points = count(JSON.parse(text))
        return text.length
      })
      const s = summarize(label, durations)
      rows.push([name, label, String(points), (bytes / 1024).toFixed(0), String(s.n), ms(s.p50), ms(s.p99)])
    }
    if (options.schema !== undefined) {
      await runtime.runPromise(
        Effect.flatMap(Store, (s) => Effect.ignore(testQuery(s, `DROP SCHEMA IF EXISTS "${options.schema}" CASCADE`))),
      )
    }
    return rows
  } finally {
    await runtime.dispose()
  }
}

const main = async () => {
  const rows = await runOn("pglite", {})
  const url = process.env["BENCH_DATABASE_URL"]
  if (url !== undefined && url !== "") {
    rows.push(...await runOn("postgres", { databaseUrl: url, schema: `bench_series_${Date.now().toString(36)}` }))
  }
  console.log(`\n30 days of system_metrics (${ROWS} rows, one device), in-process GET, answer read fully\n`)
  console.log(table(["backend", "read", "points/rows", "KiB", "n", "p50 ms", "p99 ms"], rows))
}

await main()

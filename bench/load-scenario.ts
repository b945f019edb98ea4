/**
 * The load scenario (issue 7): N devices polled by the scheduler at the default schedule while a
 * separate client process drives the API. Shared by `bench/load.ts` (60 s, 200 devices, soak with
 * LOAD_SECONDS) and its short form in `test/load.test.ts`.
 */
import { testQuery } from "../src/store/raw-sql.ts"
import { spawn } from "node:child_process"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer, ManagedRuntime, References } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { defaultConfig } from "../src/settings/load.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen } from "../src/http/server.ts"
import { composeServices } from "../src/layers.ts"
import { allActions, allDataTypes } from "../src/collectors/index.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { Scheduler } from "../src/scheduler/Scheduler.ts"
import { defaultSchedulerSettings } from "../src/scheduler/settings.ts"
import { Ssh } from "../src/ssh/Ssh.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { makeStoreLayer, type StoreOptions } from "../src/store/layer.ts"
import { Store } from "../src/store/Store.ts"
import type { SshdHandle } from "../test/harness/sshd.ts"

export interface LoadOptions {
  readonly hosts: ReadonlyArray<SshdHandle>
  readonly devices: number
  readonly seconds: number
  readonly concurrency: number
  readonly store: StoreOptions
  /** Requests per second the client sends (open loop); 0: as fast as `concurrency` workers go. */
  readonly rate: number
  /** Longest wait for every device to be connected before the measured run starts; 0: no warm-up. */
  readonly warmupTimeoutSeconds?: number
}

export interface LoadResult {
  readonly requests: number
  readonly errors: number
  readonly statuses: Record<string, number>
  readonly requestsPerSecond: number
  /** Open loop: requests that fell due but were never sent (the service fell behind). */
  readonly late: number
  /** Client-side time from send to last byte, by read (last path segment): n, p50, p99, max (ms). */
  readonly serviceTimes: Record<string, { n: number; p50: number; p99: number; max: number }>
  readonly latencies: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
  readonly polls: { readonly ok: number; readonly failed: number }
  /** Why polls failed, most frequent first (the schema is dropped after the run). */
  readonly pollErrors: ReadonlyArray<{ readonly dataType: string; readonly error: string; readonly count: number }>
  /** Seconds from scheduler start until every device had its SSH connection open. */
  readonly warmupSeconds: number
  /** The service process during the measured run: CPU time over wall time (100 = one core). */
  readonly serviceCpuPercent: number
  /** Share of the measured run the service's event loop was busy. */
  readonly eventLoopPercent: number
  /** RSS samples (MB), one a second, and the least-squares slope over the second half (MB/min). */
  readonly rss: {
    readonly startMb: number
    readonly endMb: number
    readonly peakMb: number
    readonly slopeMbPerMin: number
    /** Same for the JS heap in use (a sawtooth: it rises between collections). */
    readonly heapSlopeMbPerMin: number
    /**
     * The heap after collection: the lowest heap-in-use of each minute of the second half, first
     * and last, and their slope. What a leak grows; the sawtooth above does not move it.
     */
    readonly heapFloor: { readonly startMb: number; readonly endMb: number; readonly slopeMbPerMin: number }
  }
}

const here = path.dirname(fileURLToPath(import.meta.url))
const isDeno = "Deno" in globalThis

const runClient = (plan: object): Promise<any> =>
  new Promise((resolve, reject) => {
    const entry = path.join(here, isDeno ? "load-client.ts" : "load-client.js")
    const args = isDeno ? ["run", "-A", entry, JSON.stringify(plan)] : [entry, JSON.stringify(plan)]
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (b: Buffer) => void (out += b.toString()))
    child.on("error", reject)
    child.on("exit", () => {
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? ""))
      } catch {
        reject(new Error(`load client printed no result: ${out.slice(0, 500)}`))
      }
    })
  })

/** Least-squares slope of y over x (x in samples, `perMinute` of them a minute), in units per minute. */
const slopePerMinute = (ys: ReadonlyArray<number>, perMinute = 60): number => {
  const n = ys.length
  if (n < 2) return 0
  const mx = (n - 1) / 2
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  })
  return (num / den) * perMinute
}

/** The minimum of each whole minute of one-a-second samples. */
const minuteFloors = (ys: ReadonlyArray<number>): Array<number> =>
  Array.from({ length: Math.floor(ys.length / 60) }, (_, i) => Math.min(...ys.slice(i * 60, i * 60 + 60)))

const scheduler = defaultSchedulerSettings("load")

export const runLoad = async (o: LoadOptions): Promise<LoadResult> => {
  const layer = composeServices({
    store: makeStoreLayer(o.store),
    ssh: makeSshLayer({ sshDir: "/nonexistent", connectTimeoutMs: 10_000, commandTimeoutMs: 30_000 }),
    cache: makeCacheLayer({ staleWhileRevalidate: defaultConfig.cache.staleWhileRevalidate }),
    registry: Registry.make(allDataTypes, {}, allActions),
    scheduler: { ...scheduler, maxConcurrent: 32, deviceRefreshMs: 3_600_000 },
  }).pipe(Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "Error")), Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  const go = <A>(e: Effect.Effect<A, any, any>) => runtime.runPromise(e as Effect.Effect<A, any, never>)
  try {
    await go(Store.use((s) =>
      Effect.forEach(Array.from({ length: o.devices }, (_, i) => i), (i) => {
        const h = o.hosts[i % o.hosts.length] as SshdHandle
        return s.createDevice({
          name: `load-${i}`,
          host: h.host,
          port: h.port,
          username: h.user,
          privateKeyPath: h.privateKeyPath,
        })
      }, { discard: true })
    ))
    const app = await go(makeHttpApp)
    const server = await listen(app, "127.0.0.1", 0)
    // Watch it while it runs (soak mode): /metrics, /api/scheduler, /api/cache.
    process.stderr.write(`load: service at ${server.url}\n`)
    try {
      await go(Scheduler.use((s) => s.start))
      // Warm-up: the scheduler's first polls open one connection per device, and its start-up reads
      // (the catch-up window) give every type its first row. The measured run is the steady state
      // after that, as a long-running service sees it.
      const warmupStarted = Date.now()
      const warmupDeadline = warmupStarted + (o.warmupTimeoutSeconds ?? 300) * 1000
      const caughtUp = warmupStarted + scheduler.catchUpMs
      while (
        o.warmupTimeoutSeconds !== 0 &&
        ((await go(Ssh.use((s) => Effect.succeed(s.stats().openConnections)))) < o.devices ||
          Date.now() < caughtUp)
      ) {
        if (Date.now() > warmupDeadline) throw new Error(`warm-up: not every device connected in time`)
        await new Promise((r) => setTimeout(r, 250))
      }
      // Reads an API client makes: per-device data (cached after the first read) and inventory.
      const urls = Array.from({ length: Math.min(o.devices, 50) }, (_, i) => [
        `${server.url}/api/devices/load-${i}/system_metrics`,
        `${server.url}/api/devices/load-${i}/containers`,
      ]).flat().concat([`${server.url}/api/devices`, `${server.url}/health`])
      // ...and a dashboard's first look at each of them (cold reads go to the hosts).
      if (o.warmupTimeoutSeconds !== 0) {
        let i = 0
        await Promise.all(Array.from({ length: 8 }, async () => {
          while (i < urls.length) await fetch(urls[i++] as string).then((r) => r.arrayBuffer())
        }))
      }
      const warmupSeconds = (Date.now() - warmupStarted) / 1000
      const cpuBefore = process.cpuUsage()
      const eluBefore = performance.eventLoopUtilization()
      const rss: Array<number> = []
      const heap: Array<number> = []
      const sampler = setInterval(() => {
        const m = process.memoryUsage()
        rss.push(m.rss / 1024 / 1024)
        heap.push(m.heapUsed / 1024 / 1024)
      }, 1000)
      const client = await runClient({ urls, seconds: o.seconds, concurrency: o.concurrency, rate: o.rate })
      clearInterval(sampler)
      const cpu = process.cpuUsage(cpuBefore)
      const elu = performance.eventLoopUtilization(eluBefore)
      await go(Scheduler.use((s) => s.stop({ drainTimeoutMs: 5000 })))
      const polls = await go(
        Store.use((s) =>
          testQuery<{ status: string; n: unknown }>(
            s,
            "SELECT status, count(*) AS n FROM data_collection_audit WHERE method = 'polling' GROUP BY status",
          )
        ),
      )
      const count = (st: string) => Number(polls.find((p) => p.status === st)?.n ?? 0)
      const pollErrors = await go(
        Store.use((s) =>
          testQuery<{ data_type: string; error_message: string | null; n: unknown }>(
            s,
            `SELECT data_type, error_message, count(*) AS n FROM data_collection_audit
           WHERE method = 'polling' AND status <> 'success' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10`,
          )
        ),
      )
      const secondHalf = rss.slice(Math.floor(rss.length / 2))
      const floors = minuteFloors(heap.slice(Math.floor(heap.length / 2)))
      return {
        requests: client.requests,
        errors: client.errors,
        statuses: client.statuses,
        requestsPerSecond: client.requests / client.seconds,
        late: client.late ?? 0,
        serviceTimes: client.serviceTimes ?? {},
        latencies: client.latencies,
        polls: { ok: count("success"), failed: count("error") + count("partial") },
        pollErrors: pollErrors.map((e) => ({
          dataType: e.data_type,
          error: e.error_message ?? "",
          count: Number(e.n),
        })),
        warmupSeconds,
        serviceCpuPercent: ((cpu.user + cpu.system) / 1000 / (client.seconds * 1000)) * 100,
        eventLoopPercent: elu.utilization * 100,
        rss: {
          startMb: rss[0] ?? 0,
          endMb: rss[rss.length - 1] ?? 0,
          peakMb: Math.max(0, ...rss),
          slopeMbPerMin: slopePerMinute(secondHalf),
          heapSlopeMbPerMin: slopePerMinute(heap.slice(Math.floor(heap.length / 2))),
          heapFloor: {
            startMb: floors[0] ?? NaN,
            endMb: floors[floors.length - 1] ?? NaN,
            slopeMbPerMin: floors.length < 2 ? NaN : slopePerMinute(floors, 1),
          },
        },
      }
    } finally {
      await server.close()
    }
  } finally {
    await runtime.dispose()
  }
}

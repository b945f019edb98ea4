/**
 * Load client, run as its own process so it does not share the service's event loop:
 *   node dist/bench/load-client.js '{"urls":[...],"seconds":60,"concurrency":32,"rate":1000}'
 * rate > 0: open loop, a request is due every 1/rate s whatever the service does, and latency is
 * measured from when it was due (a slow service cannot hide its queue: no coordinated omission);
 * at most `concurrency` requests are outstanding. rate 0: closed loop, `concurrency` workers
 * sending back to back (the most the service does).
 * Prints one JSON line: { requests, errors, statuses, latencies: { p50, p90, p99, max }, seconds, late }.
 */
import http from "node:http"
import { percentile } from "./stats.ts"

interface Plan {
  readonly urls: ReadonlyArray<string>
  readonly seconds: number
  readonly concurrency: number
  readonly rate?: number
  readonly headers?: Record<string, string>
}

const plan = JSON.parse(process.argv[2] ?? "{}") as Plan
const latencies: Array<number> = []
const statuses: Record<string, number> = {}
let errors = 0
let next = 0
const t0 = performance.now()
const deadline = t0 + plan.seconds * 1000

/** Service time (send to body) by the URL's last path segment, to see which reads are slow. */
const serviceTimes = new Map<string, Array<number>>()

// node:http with keep-alive rather than fetch: the client shares the machine's cores with the
// service, and fetch spends about twice the CPU per request.
const agent = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency })
const get = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: plan.headers ?? {} }, (res) => {
      res.on("data", () => undefined)
      res.on("end", () => resolve(res.statusCode ?? 0))
      res.on("error", reject)
    })
    req.on("error", reject)
  })

const send = async (dueAt: number) => {
  const url = plan.urls[next++ % plan.urls.length] as string
  const sentAt = performance.now()
  try {
    const status = await get(url)
    statuses[status] = (statuses[status] ?? 0) + 1
    if (status !== 200) errors++
  } catch {
    statuses["network"] = (statuses["network"] ?? 0) + 1
    errors++
  }
  const end = performance.now()
  latencies.push(end - dueAt)
  const kind = new URL(url).pathname.split("/").pop() ?? ""
  const times = serviceTimes.get(kind) ?? []
  times.push(end - sentAt)
  serviceTimes.set(kind, times)
}

const closedLoop = async () => {
  const worker = async () => {
    while (performance.now() < deadline) await send(performance.now())
  }
  await Promise.all(Array.from({ length: plan.concurrency }, worker))
}

/** Requests due by the end but never sent because `concurrency` were outstanding (0 = kept up). */
let late = 0

const openLoop = (rate: number) =>
  new Promise<void>((done) => {
    const interval = 1000 / rate
    let issued = 0
    let outstanding = 0
    const tick = () => {
      const now = performance.now()
      const due = Math.min(Math.floor((Math.min(now, deadline) - t0) / interval) + 1, Math.ceil(plan.seconds * rate))
      while (issued < due && outstanding < plan.concurrency) {
        const dueAt = t0 + issued * interval
        issued++
        outstanding++
        void send(dueAt).finally(() => {
          outstanding--
        })
      }
      if (now < deadline) setTimeout(tick, 1)
      else {
        late = due - issued
        const drain = () => (outstanding === 0 ? done() : setTimeout(drain, 5))
        drain()
      }
    }
    tick()
  })

if ((plan.rate ?? 0) > 0) await openLoop(plan.rate as number)
else await closedLoop()
latencies.sort((a, b) => a - b)
agent.destroy()
process.stdout.write(
  `${
    JSON.stringify({
      requests: latencies.length,
      errors,
      statuses,
      late,
      serviceTimes: Object.fromEntries(
        [...serviceTimes].map(([kind, ts]) => {
          ts.sort((a, b) => a - b)
          return [kind, { n: ts.length, p50: percentile(ts, 50), p99: percentile(ts, 99), max: ts[ts.length - 1] }]
        }),
      ),
      seconds: (performance.now() - t0) / 1000,
      latencies: {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? 0,
      },
    })
  }\n`,
)

/**
 * Load client, run as its own process so it does not share the service's event loop:
 *   node dist/bench/load-client.js '{"urls":[...],"seconds":60,"concurrency":32}'
 * Prints one JSON line: { requests, errors, statuses, latencies: { p50, p90, p99, max }, seconds }.
 */
import { percentile } from "./stats.ts"

interface Plan {
  readonly urls: ReadonlyArray<string>
  readonly seconds: number
  readonly concurrency: number
  readonly headers?: Record<string, string>
}

const plan = JSON.parse(process.argv[2] ?? "{}") as Plan
const latencies: Array<number> = []
const statuses: Record<string, number> = {}
let errors = 0
let next = 0
const deadline = performance.now() + plan.seconds * 1000
const t0 = performance.now()

const worker = async () => {
  while (performance.now() < deadline) {
    const url = plan.urls[next++ % plan.urls.length] as string
    const start = performance.now()
    try {
      const res = await fetch(url, { headers: plan.headers ?? {} })
      await res.arrayBuffer()
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      if (res.status !== 200) errors++
    } catch {
      statuses["network"] = (statuses["network"] ?? 0) + 1
      errors++
    }
    latencies.push(performance.now() - start)
  }
}

await Promise.all(Array.from({ length: plan.concurrency }, worker))
latencies.sort((a, b) => a - b)
process.stdout.write(
  `${
    JSON.stringify({
      requests: latencies.length,
      errors,
      statuses,
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

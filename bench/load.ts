/**
 * `npm run bench:load`: 200 devices polled at the default schedule while a separate client process
 * drives the API for 60 s. LOAD_SECONDS=3600 for a soak run; LOAD_DEVICES, LOAD_CONCURRENCY;
 * DATABASE_URL for PostgreSQL (default: in-memory PGlite). Prints a table.
 */
import { dockerShims } from "../test/harness/shims/docker.ts"
import { driveHealthShims } from "../test/harness/shims/drives.ts"
import { systemLogsShims } from "../test/harness/shims/logs.ts"
import { networkShims } from "../test/harness/shims/network.ts"
import { systemdShims } from "../test/harness/shims/systemd.ts"
import { vmStatusShims } from "../test/harness/shims/vms.ts"
import { zfsShims } from "../test/harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "../test/harness/sshd.ts"
import { runLoad } from "./load-scenario.ts"
import { ms, table } from "./stats.ts"

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? v : fallback
}

const main = async () => {
  const shims = {
    ...dockerShims,
    ...driveHealthShims,
    ...zfsShims,
    ...networkShims,
    ...systemdShims,
    ...vmStatusShims,
    ...systemLogsShims,
  }
  const hosts: Array<SshdHandle> = []
  for (let i = 0; i < 4; i++) hosts.push(await startSshd({ address: `127.0.0.${31 + i}`, shims }))
  const devices = num("LOAD_DEVICES", 200)
  const seconds = Math.min(86_400, num("LOAD_SECONDS", 60))
  const concurrency = num("LOAD_CONCURRENCY", 32)
  const databaseUrl = process.env["DATABASE_URL"] || undefined
  try {
    const r = await runLoad({ hosts, devices, seconds, concurrency, store: databaseUrl ? { databaseUrl } : {} })
    console.log(
      `\nLoad: ${devices} devices polled at the default schedule, API driven by a separate process ` +
        `(${concurrency} connections) for ${seconds} s; store ${databaseUrl ? "PostgreSQL" : "PGlite (in process)"}\n`,
    )
    console.log(table(
      [
        "requests",
        "req/s",
        "errors",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "polls ok",
        "polls failed",
        "RSS start→end MB",
        "RSS slope MB/min",
      ],
      [[
        String(r.requests),
        r.requestsPerSecond.toFixed(0),
        String(r.errors),
        ms(r.latencies.p50),
        ms(r.latencies.p90),
        ms(r.latencies.p99),
        String(r.polls.ok),
        String(r.polls.failed),
        `${r.rss.startMb.toFixed(0)}→${r.rss.endMb.toFixed(0)} (peak ${r.rss.peakMb.toFixed(0)})`,
        r.rss.slopeMbPerMin.toFixed(1),
      ]],
    ))
    if (r.errors > 0) console.log(`statuses: ${JSON.stringify(r.statuses)}`)
  } finally {
    stopAllSshd()
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  stopAllSshd()
  process.exit(1)
})

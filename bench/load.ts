/**
 * `npm run bench:load`: 200 devices polled at the default schedule while a separate client process
 * drives the API for 60 s. LOAD_SECONDS=3600 for a soak run; LOAD_DEVICES, LOAD_CONCURRENCY, LOAD_RATE;
 * DATABASE_URL for PostgreSQL (default: in-memory PGlite). Prints a table.
 */
import { readFileSync, writeFileSync } from "node:fs"
import postgres from "postgres"
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

const dropSchema = async (databaseUrl: string, schema: string) => {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined })
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await sql.end()
  }
}

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? v : fallback
}

/**
 * Linux autogroup gives every session its own equal CPU share, and every SSH login of the
 * simulated fleet is a session: 200 of them would out-vote the service 200:1 on this one machine,
 * which no real deployment has (the hosts' scripts run on the hosts). Off while the bench runs
 * (when we may), so the fleet's nice 19 means what it says; restored afterwards.
 */
const AUTOGROUP = "/proc/sys/kernel/sched_autogroup_enabled"
const autogroupOff = (): () => void => {
  try {
    if (readFileSync(AUTOGROUP, "utf8").trim() !== "1") return () => undefined
    writeFileSync(AUTOGROUP, "0")
    console.error("load: kernel.sched_autogroup_enabled set to 0 for the run")
    return () => writeFileSync(AUTOGROUP, "1")
  } catch {
    console.error("load: autogroup is on and cannot be turned off here; the fleet may starve the service")
    return () => undefined
  }
}

const main = async () => {
  const restoreAutogroup = autogroupOff()
  process.on("exit", restoreAutogroup)
  // Ctrl-C on a soak: put the kernel setting back and stop the test hosts (exit handlers alone
  // do not run on a signal).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stopAllSshd()
      process.exit(130)
    })
  }
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
  for (let i = 0; i < 4; i++) hosts.push(await startSshd({ address: `127.0.0.${31 + i}`, shims, nice: 19 }))
  const devices = num("LOAD_DEVICES", 200)
  const seconds = Math.min(86_400, num("LOAD_SECONDS", 60))
  const concurrency = num("LOAD_CONCURRENCY", 64)
  // Open loop at LOAD_RATE req/s (default 1000, the goal); LOAD_RATE=0 for the most it does.
  const rate = process.env["LOAD_RATE"] === "0" ? 0 : num("LOAD_RATE", 1000)
  const databaseUrl = process.env["DATABASE_URL"] || undefined
  try {
    // A schema of its own on PostgreSQL, dropped afterwards: every run starts empty.
    const schema = `load_${Date.now()}`
    const r = await runLoad({
      hosts,
      devices,
      seconds,
      concurrency,
      rate,
      store: databaseUrl ? { databaseUrl, schema } : {},
    }).finally(() => databaseUrl ? dropSchema(databaseUrl, schema) : undefined)
    console.log(
      `\nLoad: ${devices} devices polled at the default schedule, API driven by a separate process ` +
        `after every device is connected (${
          rate > 0 ? `open loop at ${rate} req/s, at most ${concurrency} outstanding` : `${concurrency} connections`
        }) for ${seconds} s; store ${databaseUrl ? "PostgreSQL" : "PGlite (in process)"}\n`,
    )
    console.log(table(
      [
        "warm-up s",
        "requests",
        "req/s",
        "errors",
        "late",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "polls ok",
        "polls failed",
        "service CPU %",
        "event loop %",
        "RSS start→end MB",
        "RSS slope MB/min",
        "heap slope MB/min",
        "heap floor MB (slope/min)",
      ],
      [[
        r.warmupSeconds.toFixed(0),
        String(r.requests),
        r.requestsPerSecond.toFixed(0),
        String(r.errors),
        String(r.late),
        ms(r.latencies.p50),
        ms(r.latencies.p90),
        ms(r.latencies.p99),
        String(r.polls.ok),
        String(r.polls.failed),
        r.serviceCpuPercent.toFixed(0),
        r.eventLoopPercent.toFixed(0),
        `${r.rss.startMb.toFixed(0)}→${r.rss.endMb.toFixed(0)} (peak ${r.rss.peakMb.toFixed(0)})`,
        r.rss.slopeMbPerMin.toFixed(1),
        r.rss.heapSlopeMbPerMin.toFixed(1),
        Number.isNaN(r.rss.heapFloor.slopeMbPerMin)
          ? "n/a (run < 4 min)"
          : `${r.rss.heapFloor.startMb.toFixed(0)}→${r.rss.heapFloor.endMb.toFixed(0)} (${
            r.rss.heapFloor.slopeMbPerMin.toFixed(1)
          })`,
      ]],
    ))
    if (r.errors > 0) console.log(`statuses: ${JSON.stringify(r.statuses)}`)
    for (const e of r.pollErrors) console.log(`failed polls: ${e.count} × ${e.dataType}: ${e.error}`)
    console.log(`service time by read (ms): ${JSON.stringify(r.serviceTimes)}`)
  } finally {
    stopAllSshd()
    restoreAutogroup()
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  stopAllSshd()
  process.exit(1)
})

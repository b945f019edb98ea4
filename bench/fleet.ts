/**
 * Fleet bench: the scheduler polling N devices at the default schedule, accelerated.
 *
 *   npx tsc -p . && node dist/bench/fleet.js
 *
 * Every pollable type runs at its default interval (registry ttl) divided by an acceleration
 * factor, so a short run covers a longer stretch of "schedule time". The factor is 60 unless
 * that would pass FLEET_MAX_POLLS (polls per second this machine is asked to do): then it is
 * lowered for that N and printed. Rates are reported scaled back to the real schedule
 * ("per device per hour/minute at the default schedule"), next to what was measured.
 *
 * Devices are logical: N devices over FLEET_SSHD sshd processes on 127.0.0.x, each device with
 * its own connection (connections are per device). The sshd test hosts carry fixture shims so
 * every type (docker, smartctl, zpool, virsh, journalctl, ...) answers with real recorded output.
 * CPU and RSS are this process: the whole service (scheduler, SSH client, parsers, PGlite or the
 * PostgreSQL client); sshd and the shims run in other processes and are not counted.
 *
 * Environment: FLEET_SIZES (10,50,200) FLEET_SECONDS (25 per size) FLEET_SPEEDUP (60)
 * FLEET_MAX_POLLS (40) FLEET_SSHD (4) DATABASE_URL (PostgreSQL; default in-memory PGlite).
 */
import { testQuery } from "../src/store/raw-sql.ts"
import { Effect, Layer, ManagedRuntime, References } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { composeServices } from "../src/layers.ts"
import { allActions, allDataTypes, pollableDataTypes } from "../src/collectors/index.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { Scheduler } from "../src/scheduler/Scheduler.ts"
import { type CadenceSetting, defaultSchedulerSettings } from "../src/scheduler/settings.ts"
import { Ssh } from "../src/ssh/Ssh.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { makeStoreLayer } from "../src/store/layer.ts"
import { retainPglite } from "../src/store/pglite.ts"
import { Store } from "../src/store/Store.ts"
import { dockerShims } from "../test/harness/shims/docker.ts"
import { driveHealthShims } from "../test/harness/shims/drives.ts"
import { systemLogsShims } from "../test/harness/shims/logs.ts"
import { networkShims } from "../test/harness/shims/network.ts"
import { systemdShims } from "../test/harness/shims/systemd.ts"
import { vmStatusShims } from "../test/harness/shims/vms.ts"
import { zfsShims } from "../test/harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "../test/harness/sshd.ts"
import { percentile, table } from "./stats.ts"

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? v : fallback
}
const SIZES = (process.env["FLEET_SIZES"] ?? "10,50,200").split(",").map(Number).filter((n) => n > 0).slice(0, 6)
const SECONDS = Math.min(600, env("FLEET_SECONDS", 25))
const SPEEDUP = env("FLEET_SPEEDUP", 60)
const MAX_POLLS = env("FLEET_MAX_POLLS", 40)
const SSHD = Math.min(16, Math.floor(env("FLEET_SSHD", 4)))
const DATABASE_URL = process.env["DATABASE_URL"] || undefined

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ttlOf = new Map(allDataTypes.map((s) => [s.name, s.ttlSeconds]))
/** Polls per device per minute at the default schedule (every pollable type at its ttl). */
const pollsPerDeviceMinute = pollableDataTypes.reduce((sum, t) => sum + 60 / (ttlOf.get(t) ?? Infinity), 0)

interface Row {
  readonly n: number
  readonly speedup: number
  readonly simulatedMinutes: number
  readonly connectionsPerDevice: number
  readonly reconnectsPerDeviceHour: number
  readonly commandsPerMinute: number
  readonly expectedPerMinute: number
  readonly measuredPerSecond: number
  readonly ok: number
  readonly failed: number
  readonly p50: number
  readonly p99: number
  readonly cpu: number
  readonly rssMb: number
}

const runSize = async (n: number, hosts: ReadonlyArray<SshdHandle>, run: number): Promise<Row> => {
  const speedup = Math.max(1, Math.min(SPEEDUP, MAX_POLLS / ((n * pollsPerDeviceMinute) / 60)))
  const cadence: Record<string, CadenceSetting> = Object.fromEntries(
    pollableDataTypes.map((t) => [t, { kind: "interval", ms: Math.max(50, ((ttlOf.get(t) ?? 60) * 1000) / speedup) }]),
  )
  const schema = `bench_fleet_${process.pid}_${run}`
  const layer = composeServices({
    store: makeStoreLayer({ databaseUrl: DATABASE_URL, schema }),
    ssh: makeSshLayer({ sshDir: "/nonexistent", connectTimeoutMs: 10_000, commandTimeoutMs: 30_000 }),
    cache: makeCacheLayer({}),
    registry: Registry.make(allDataTypes, {}, allActions),
    scheduler: {
      ...defaultSchedulerSettings(`bench-${run}`),
      cadence,
      maxConcurrent: 32,
      deviceRefreshMs: 3_600_000,
      catchUpMs: 0, // rates are per schedule: no start-up reads on top
    },
  }).pipe(Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "Error")), Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  const go = <A>(e: Effect.Effect<A, any, any>) => runtime.runPromise(e as Effect.Effect<A, any, never>)
  try {
    await go(Store.use((s) =>
      Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => {
        const h = hosts[i % hosts.length]!
        return s.createDevice({
          name: `dev-${i}`,
          host: h.host,
          port: h.port,
          username: h.user,
          privateKeyPath: h.privateKeyPath,
        })
      }, { discard: true })
    ))
    const stats0 = await go(Ssh.use((s) => Effect.sync(() => s.stats())))
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let rss = process.memoryUsage().rss
    await go(Scheduler.use((s) => s.start))
    const deadline = t0 + SECONDS * 1000
    while (performance.now() < deadline) {
      await sleep(500)
      rss = Math.max(rss, process.memoryUsage().rss)
    }
    await go(Scheduler.use((s) => s.stop({ drainTimeoutMs: 5000 })))
    const realSeconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const stats = await go(Ssh.use((s) => Effect.sync(() => s.stats())))
    const rows = await go(
      Store.use((s) =>
        testQuery<{ status: string; duration_ms: number }>(
          s,
          "SELECT status, duration_ms FROM data_collection_audit WHERE method = 'polling'",
        )
      ),
    )
    await go(Effect.ignore(Store.use((s) => testQuery(s, `DROP SCHEMA IF EXISTS ${schema} CASCADE`))))
    const durations = rows.map((r) => Number(r.duration_ms)).sort((a, b) => a - b)
    const simulatedMinutes = (realSeconds * speedup) / 60
    const opened = stats.connectionsOpened - stats0.connectionsOpened
    const commands = stats.commandsRun - stats0.commandsRun
    return {
      n,
      speedup,
      simulatedMinutes,
      connectionsPerDevice: opened / n,
      reconnectsPerDeviceHour: Math.max(0, opened - n) / n / (simulatedMinutes / 60),
      commandsPerMinute: commands / simulatedMinutes,
      expectedPerMinute: n * pollsPerDeviceMinute,
      measuredPerSecond: commands / realSeconds,
      ok: rows.filter((r) => r.status === "success").length,
      failed: rows.filter((r) => r.status !== "success").length,
      p50: percentile(durations, 50),
      p99: percentile(durations, 99),
      cpu: ((cpu.user + cpu.system) / 1000 / (realSeconds * 1000)) * 100,
      rssMb: rss / 1024 / 1024,
    }
  } finally {
    await runtime.dispose()
  }
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
  for (let i = 0; i < SSHD; i++) hosts.push(await startSshd({ address: `127.0.0.${11 + i}`, shims }))
  // One in-memory PGlite for all sizes (its start costs seconds); each size gets its own schema.
  const releasePglite = DATABASE_URL === undefined ? await retainPglite() : () => Promise.resolve()
  const results: Array<Row> = []
  try {
    for (const [i, n] of SIZES.entries()) {
      process.stderr.write(`fleet: ${n} devices for ${SECONDS} s ...\n`)
      results.push(await runSize(n, hosts, i))
    }
  } finally {
    await releasePglite()
    stopAllSshd()
  }
  const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-")
  process.stdout.write(
    `\nFleet polling at the default schedule (${pollsPerDeviceMinute.toFixed(2)} polls/device/min), ` +
      `${SECONDS} s real per size, store ${DATABASE_URL === undefined ? "PGlite (in process)" : "PostgreSQL"}, ` +
      `${SSHD} sshd processes.\nIntervals were divided by "speedup"; per-hour and per-minute figures are scaled back ` +
      `to the real schedule (measured / simulated time). "cmd/s real" is what this machine actually ran.\n\n`,
  )
  process.stdout.write(
    table(
      [
        "devices",
        "speedup",
        "sim. min",
        "SSH conn/device",
        "reconnects/device/h",
        "commands/min (sched.)",
        "expected/min",
        "cmd/s real",
        "polls ok",
        "failed",
        "poll p50 ms",
        "poll p99 ms",
        "CPU % (1 core)",
        "peak RSS MB",
      ],
      results.map((r) => [
        String(r.n),
        `÷${f(r.speedup)}`,
        f(r.simulatedMinutes),
        f(r.connectionsPerDevice, 2),
        f(r.reconnectsPerDeviceHour, 2),
        f(r.commandsPerMinute),
        f(r.expectedPerMinute),
        f(r.measuredPerSecond),
        String(r.ok),
        String(r.failed),
        f(r.p50),
        f(r.p99),
        f(r.cpu),
        f(r.rssMb, 0),
      ]),
    ) + "\n",
  )
  process.stdout.write(
    "\nSSH conn/device: connections opened during the run per device (goal 1: one persistent connection, " +
      "every poll reuses it). CPU % is of one core at the accelerated rate; at the real schedule divide by the speedup.\n",
  )
}

main().catch((e) => {
  stopAllSshd()
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exitCode = 1
})

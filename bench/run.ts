/**
 * `npm run bench`: command round trips (our persistent shell vs `ssh host cmd` vs a fresh ssh2
 * exec channel per command, same sshd, same command) and cached API reads (in-process and over
 * HTTP). Prints tables; ratios are against the baselines run side by side. Not a test.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Client } from "ssh2"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { listen } from "../src/http/server.ts"
import { composeServices } from "../src/layers.ts"
import { allActions, allDataTypes } from "../src/collectors/index.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeHostKeysMemory } from "../src/ssh/HostKeysMemory.ts"
import { HostKeys } from "../src/ssh/HostKeys.ts"
import { Ssh } from "../src/ssh/Ssh.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { makeStoreLayer } from "../src/store/layer.ts"
import { startSshd, stopAllSshd } from "../test/harness/sshd.ts"
import { ms, type Sample, summarize, table } from "./stats.ts"

const N = Number(process.env["BENCH_N"] ?? 200)
const SPAWN_N = Number(process.env["BENCH_SPAWN_N"] ?? 30)
const COMMAND = "echo ok"

const time = async (n: number, f: () => Promise<void>): Promise<Array<number>> => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await f()
    out.push(performance.now() - t0)
  }
  return out
}

const main = async () => {
  const sshd = await startSshd({ address: "127.0.0.1" })
  const device = {
    id: 1,
    name: "bench",
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    privateKeyPath: sshd.privateKeyPath,
    password: null,
    transport: "ssh" as const,
    tags: [],
    enabled: true,
    status: "unknown",
    lastSeen: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  }
  const rows: Array<Sample> = []
  if (process.env["BENCH_ONLY_API"] !== "1") {
    // 1. Our pipeline's transport: persistent shell channel on one connection.
    const sshLayer = makeSshLayer({ sshDir: "/nonexistent" }).pipe(
      Layer.provide(Layer.succeed(HostKeys, makeHostKeysMemory())),
    )
    const sshRuntime = ManagedRuntime.make(sshLayer)
    const ssh = await sshRuntime.runPromise(Ssh.use((s) => Effect.succeed(s)))
    await sshRuntime.runPromise(ssh.run(device, COMMAND)) // connect once
    rows.push(
      summarize(
        "persistent shell (infrastructor)",
        await time(N, () => sshRuntime.runPromise(Effect.asVoid(ssh.run(device, COMMAND)))),
      ),
    )

    // 2. Baseline: a new ssh process per command.
    const known = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-ssh-")), "known_hosts")
    const sshArgs = [
      "-i",
      sshd.privateKeyPath,
      "-p",
      String(sshd.port),
      "-o",
      "BatchMode=yes",
      "-o",
      `UserKnownHostsFile=${known}`,
      "-o",
      "StrictHostKeyChecking=accept-new",
      `${sshd.user}@${sshd.host}`,
      COMMAND,
    ]
    rows.push(summarize(
      "`ssh host cmd` per command",
      await time(SPAWN_N, () => {
        const r = spawnSync("ssh", sshArgs, { encoding: "utf8" })
        if (r.status !== 0) throw new Error(`ssh failed: ${r.stderr}`)
        return Promise.resolve()
      }),
    ))

    // 3. Baseline: one ssh2 connection, a fresh exec channel per command (login shell runs each time).
    const conn = new Client()
    await new Promise<void>((resolve, reject) => {
      conn.on("ready", () => resolve()).on("error", reject).connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKey: readFileSync(sshd.privateKeyPath),
      })
    })
    rows.push(summarize(
      "ssh2 exec channel per command",
      await time(N, () =>
        new Promise<void>((resolve, reject) => {
          conn.exec(COMMAND, (err, stream) => {
            if (err) return reject(err)
            stream.on("close", () => resolve()).on("data", () => undefined).stderr.on("data", () => undefined)
          })
        })),
    ))
    conn.end()

    const base = rows[0] as Sample
    console.log(`\nCommand round trip, '${COMMAND}', loopback sshd (n=${N}, spawn n=${SPAWN_N})\n`)
    console.log(table(
      ["method", "n", "p50 ms", "p99 ms", "p50 vs ours"],
      rows.map((r) => [
        r.name,
        String(r.n),
        ms(r.p50),
        ms(r.p99),
        `${(r.p50 / base.p50).toFixed(1)}x`,
      ]),
    ))
    await sshRuntime.dispose()
  }

  // 4. Cached API reads: full service graph on in-memory PGlite, localhost device (local transport).
  const layer = composeServices({
    store: makeStoreLayer({}),
    ssh: makeSshLayer({ sshDir: "/nonexistent" }),
    cache: makeCacheLayer({}),
    registry: Registry.make(allDataTypes, {}, allActions),
  })
  const runtime = ManagedRuntime.make(layer.pipe(Layer.orDie))
  const app = await runtime.runPromise(makeHttpApp)
  await app.request("/api/devices?probe=false", {
    method: "POST",
    body: JSON.stringify({ name: "local", host: "localhost", transport: "local" }),
    headers: { "content-type": "application/json" },
  })
  const url = "/api/devices/local/system_metrics"
  await app.request(url) // fill the cache
  const inproc = await time(N * 5, async () => void (await (await app.request(url)).text()))
  const server = await listen(app, "127.0.0.1", 0)
  const concurrency = 16
  const httpN = N * 10
  let done = 0
  const latencies: Array<number> = []
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (done < httpN) {
      done++
      const s = performance.now()
      const res = await fetch(`${server.url}${url}`)
      await res.text()
      latencies.push(performance.now() - s)
    }
  }))
  const seconds = (performance.now() - t0) / 1000
  const a = summarize("in-process app.request", inproc)
  const b = summarize(`HTTP, ${concurrency} concurrent clients`, latencies)
  console.log(`\nCached API read: GET ${url} (cache hit; audit row written per request)\n`)
  console.log(table(["path", "n", "p50 ms", "p99 ms", "req/s"], [
    [a.name, String(a.n), ms(a.p50), ms(a.p99), (1000 / a.mean).toFixed(0)],
    [b.name, String(b.n), ms(b.p50), ms(b.p99), (httpN / seconds).toFixed(0)],
  ]))
  await server.close()
  await runtime.dispose()
  stopAllSshd()
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  stopAllSshd()
  process.exit(1)
})

/**
 * Config-change detection latency: a file written on the host → snapshot committed → event delivered.
 * A real sshd test host watched with inotifywait over the device's SSH connection; PGlite store.
 * Run: `npx tsc -p . && node dist/bench/detect.js` (root: the test host user is created if missing).
 */
import { Effect } from "effect"
import { Events, type InfraEventWithMeta } from "../src/events/Events.ts"
import { Watcher } from "../src/configs/watch/Watcher.ts"
import { runIn } from "../test/harness/app.ts"
import { hostDir, waitFor, withWatchApp } from "../test/harness/config-watch.ts"
import { testBackends } from "../test/harness/db.ts"
import { startSshd, stopAllSshd } from "../test/harness/sshd.ts"
import { ms, summarize, table } from "./stats.ts"

const N = Number(process.env["BENCH_N"] ?? 50)

const main = async () => {
  const sshd = await startSshd({ address: "127.0.0.10" })
  const dir = hostDir("detect")
  const backend = testBackends()[0]
  if (backend === undefined) throw new Error("no store backend")
  const globs = {
    proxy_configs: [`${dir.root}/proxy-confs/*.conf`],
    docker_compose: [],
    systemd_services: [],
    env_files: [],
  }
  dir.put("proxy-confs/app.subdomain.conf", "server { server_name app.*; }\n")
  await withWatchApp(backend, { globs, debounceMs: 20 }, async (t) => {
    await t.request("POST", "/api/devices", {
      name: "watched",
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      private_key_path: sshd.privateKeyPath,
    })
    await runIn(t, Watcher.use((w) => w.startDevice("watched")))
    await waitFor(
      "watch ready",
      () => runIn(t, Watcher.useSync((w) => w.status().find((s) => s.device === "watched" && s.ready))),
    )
    const toEvent: Array<number> = []
    const committed: Array<number> = []
    for (let i = 0; i < N; i++) {
      const file = `proxy-confs/app${i % 5}.subdomain.conf`
      const seen = new Promise<InfraEventWithMeta>((resolve) => {
        const stop = t.runtime.runSync(
          Events.use((e) =>
            Effect.succeed(e.listen((ev) => {
              if (ev._tag === "ConfigurationChanged" && ev.path.endsWith(file)) {
                stop()
                resolve(ev)
              }
            }))
          ),
        )
      })
      const t0 = performance.now()
      const path = dir.put(file, `server { server_name app${i}.*; listen 443 ssl; }\n`)
      await seen
      toEvent.push(performance.now() - t0)
      const versions = (await t.request("GET", `/api/devices/watched/configs/history?path=${encodeURIComponent(path)}`))
        .body.versions
      const latency = versions?.[0]?.detection_latency_ms
      if (typeof latency === "number") committed.push(latency)
    }
    const a = summarize("write → ConfigurationChanged event delivered", toEvent)
    const b = summarize("inotify event received → snapshot committed", committed)
    console.log(`\nConfig change detection, inotify over SSH, debounce 20 ms (n=${N})\n`)
    console.log(
      table(["measure", "n", "p50 ms", "p99 ms"], [a, b].map((r) => [r.name, String(r.n), ms(r.p50), ms(r.p99)])),
    )
  })
  dir.remove()
  stopAllSshd()
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  stopAllSshd()
  process.exit(1)
})

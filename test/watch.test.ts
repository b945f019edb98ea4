import assert from "node:assert/strict"
import { renameSync, unlinkSync } from "node:fs"
import { after, before, describe, test } from "node:test"
import { Events, type InfraEventWithMeta } from "../src/events/Events.ts"
import { Watcher } from "../src/configs/watch/Watcher.ts"
import type { TestApp } from "./harness/app.ts"
import { runIn } from "./harness/app.ts"
import { type HostDir, hostDir, waitFor, withWatchApp } from "./harness/config-watch.ts"
import { testBackends } from "./harness/db.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/**
 * The watcher against real sshd hosts: inotify events become versions with source "watch";
 * identical rewrites, deletes, moves and odd names; a host whose inotifywait exits 127 is polled.
 */
let sshd: SshdHandle
let noInotify: SshdHandle
let dir: HostDir
before(async () => {
  dir = hostDir("cfgwatch")
  sshd = await startSshd({ address: "127.0.0.8" })
  noInotify = await startSshd({
    address: "127.0.0.9",
    shims: { inotifywait: "echo 'inotifywait: not here' >&2; exit 127" },
  })
})
after(() => {
  stopAllSshd()
  dir.remove()
})

const addDevice = async (t: TestApp, name: string, host: SshdHandle) => {
  const res = await t.request("POST", "/api/devices", {
    name,
    host: host.host,
    port: host.port,
    username: host.user,
    private_key_path: host.privateKeyPath,
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

const statusOf = (t: TestApp, name: string) =>
  runIn(t, Watcher.useSync((w) => w.status().find((s) => s.device === name)))

const historyOf = async (t: TestApp, device: string, path: string): Promise<Array<any>> =>
  (await t.request("GET", `/api/devices/${device}/configs/history?path=${encodeURIComponent(path)}`)).body.versions

/** Wait until the path's newest version satisfies `check`. */
const versionWhere = (t: TestApp, device: string, path: string, check: (v: any) => boolean) =>
  waitFor(`a version of ${path}`, async () => {
    const versions = await historyOf(t, device, path)
    return versions[0] !== undefined && check(versions[0]) ? versions[0] : undefined
  })

const globsUnder = (root: string) => ({
  proxy_configs: [`${root}/proxy-confs/*.conf`],
  docker_compose: [`${root}/apps/*/docker-compose.yml`],
  systemd_services: [],
  env_files: [],
})

for (const backend of testBackends()) {
  describe(`config watcher on ${backend.name}`, () => {
    test("inotify: create, modify, identical rewrite, delete, move, odd names", async () => {
      const root = `${dir.root}/${backend.name}-inotify`
      const rel = (p: string) => `${backend.name}-inotify/${p}`
      const first = dir.put(rel("proxy-confs/first.conf"), "server { listen 80; }\n")
      dir.put(rel("apps/web/docker-compose.yml"), "services:\n  web:\n    image: nginx:1.25\n")
      await withWatchApp(backend, { globs: globsUnder(root), debounceMs: 80 }, async (t) => {
        const seen: Array<InfraEventWithMeta> = []
        await runIn(t, Events.useSync((e) => e.listen((ev) => seen.push(ev))))
        await addDevice(t, "w1", sshd)
        await runIn(t, Watcher.use((w) => w.startDevice("w1")))
        const ready = await waitFor("inotify ready and baseline", async () => {
          const s = await statusOf(t, "w1")
          return s?.mode === "inotify" && s.ready && s.last_scan_at !== null ? s : undefined
        })
        assert.equal(ready.restarts, 0)
        const baseline = await historyOf(t, "w1", first)
        assert.equal(baseline.length, 1)
        assert.equal(baseline[0].detection_source, "verify")
        const compose = await historyOf(t, "w1", `${root}/apps/web/docker-compose.yml`)
        assert.equal(compose[0].config_type, "docker_compose")

        // A new file, seen by inotify.
        const second = dir.put(rel("proxy-confs/second.conf"), "server { listen 81; }\n")
        const created = await versionWhere(t, "w1", second, (v) => v.change_type === "CREATE")
        assert.equal(created.detection_source, "watch")
        assert.ok(created.detection_latency_ms >= 0 && created.detection_latency_ms < 10_000)
        await waitFor(
          "ConfigurationChanged event",
          () =>
            Promise.resolve(
              seen.find((e) => e._tag === "ConfigurationChanged" && e.path === second && e.detectionSource === "watch"),
            ),
        )

        // Modify, then an identical rewrite (no new version); a later event on another file
        // proves the rewrite was processed (due files are read oldest first).
        dir.put(rel("proxy-confs/first.conf"), "server { listen 8080; }\n")
        await versionWhere(t, "w1", first, (v) => v.change_type === "MODIFY" && v.detection_source === "watch")
        dir.put(rel("proxy-confs/first.conf"), "server { listen 8080; }\n")
        const marker = dir.put(rel("proxy-confs/marker.conf"), "# marker\n")
        await versionWhere(t, "w1", marker, (v) => v.change_type === "CREATE")
        assert.equal((await historyOf(t, "w1", first)).length, 2, "identical rewrite makes no version")

        // Delete.
        unlinkSync(second)
        const deleted = await versionWhere(t, "w1", second, (v) => v.change_type === "DELETE")
        assert.equal(deleted.content_hash, null)
        assert.equal(deleted.detection_source, "watch")

        // Move (rename within the watched directory).
        const moved = `${root}/proxy-confs/renamed.conf`
        renameSync(marker, moved)
        const move = await versionWhere(t, "w1", moved, (v) => v.change_type === "MOVE")
        assert.equal(move.moved_from, marker)
        await versionWhere(t, "w1", marker, (v) => v.change_type === "DELETE")

        // Spaces, quotes and a newline in names.
        const odd = dir.put(rel(`proxy-confs/it's a "q" file.conf`), "# odd\n")
        const nl = dir.put(rel("proxy-confs/new\nline.conf"), "# newline\n")
        assert.equal((await versionWhere(t, "w1", odd, (v) => v.change_type === "CREATE")).detection_source, "watch")
        assert.equal((await versionWhere(t, "w1", nl, (v) => v.change_type === "CREATE")).detection_source, "watch")

        // A compose file in a directory created after the watch started (recursive watch + rescan).
        const later = dir.put(rel("apps/api/docker-compose.yml"), "services:\n  api:\n    image: api:1\n")
        await versionWhere(t, "w1", later, (v) => v.change_type === "CREATE")

        const status = await statusOf(t, "w1")
        assert.ok((status?.events_seen ?? 0) > 0)
        assert.equal(status?.last_error, null)
        await runIn(t, Watcher.use((w) => w.stopDevice("w1")))
        assert.equal((await statusOf(t, "w1"))?.mode, "stopped")
      })
    })

    test("a dead stream is restarted with backoff and events flow again", async () => {
      const root = `${dir.root}/${backend.name}-restart`
      const rel = (p: string) => `${backend.name}-restart/${p}`
      dir.put(rel("proxy-confs/a.conf"), "# a\n")
      await withWatchApp(backend, { globs: globsUnder(root), debounceMs: 50 }, async (t) => {
        await addDevice(t, "r1", sshd)
        await runIn(t, Watcher.use((w) => w.startDevice("r1")))
        const isReady = async () => {
          const s = await statusOf(t, "r1")
          return s?.mode === "inotify" && s.ready ? s : undefined
        }
        await waitFor("inotify ready", isReady)
        await sshd.restart() // the host's sshd dies with every session, then comes back
        const back = await waitFor("inotify ready again", async () => {
          const s = await isReady()
          return s !== undefined && s.restarts >= 1 ? s : undefined
        })
        assert.ok(back.last_error !== null)
        const after = dir.put(rel("proxy-confs/after.conf"), "# after\n")
        const v = await versionWhere(t, "r1", after, (x) => x.change_type === "CREATE")
        assert.ok(v.detection_source === "watch" || v.detection_source === "verify")
        await runIn(t, Watcher.use((w) => w.stop()))
      })
    })

    test("no inotifywait (exit 127): the poll fallback records changes", async () => {
      const root = `${dir.root}/${backend.name}-poll`
      const rel = (p: string) => `${backend.name}-poll/${p}`
      const existing = dir.put(rel("proxy-confs/a.conf"), "server { listen 80; }\n")
      await withWatchApp(backend, { globs: globsUnder(root), pollIntervalMs: 200, debounceMs: 50 }, async (t) => {
        await addDevice(t, "p1", noInotify)
        await runIn(t, Watcher.use((w) => w.startDevice("p1")))
        await waitFor("poll mode", async () => {
          const s = await statusOf(t, "p1")
          return s?.mode === "poll" && s.ready ? s : undefined
        })
        assert.equal((await historyOf(t, "p1", existing))[0].detection_source, "verify")
        const added = dir.put(rel("proxy-confs/b.conf"), "server { listen 81; }\n")
        const v = await versionWhere(t, "p1", added, (x) => x.change_type === "CREATE")
        assert.equal(v.detection_source, "poll")
        dir.put(rel("proxy-confs/a.conf"), "server { listen 82; }\n")
        await versionWhere(t, "p1", existing, (x) => x.change_type === "MODIFY" && x.detection_source === "poll")
        unlinkSync(added)
        await versionWhere(t, "p1", added, (x) => x.change_type === "DELETE" && x.detection_source === "poll")
        await runIn(t, Watcher.use((w) => w.stop()))
      })
    })
  })
}

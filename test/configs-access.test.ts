import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { createHash, randomBytes } from "node:crypto"
import { lstatSync, readdirSync, readFileSync, unlinkSync } from "node:fs"
import { after, before, describe, test } from "node:test"
import { Cause, Effect, Exit, Option } from "effect"
import { Collector } from "../src/pipeline/Collector.ts"
import { restoreSnapshot } from "../src/configs/restore.ts"
import { Events, type InfraEventWithMeta } from "../src/events/Events.ts"
import { Store } from "../src/store/Store.ts"
import { Watcher } from "../src/configs/watch/Watcher.ts"
import { runIn, type TestApp } from "./harness/app.ts"
import { type HostDir, hostDir, waitFor, withSharedStore, withWatchApp } from "./harness/config-watch.ts"
import { testBackends } from "./harness/db.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/**
 * Config file access is limited to the device's watched globs, checked on the host after symlinks
 * are resolved (issue 10, defect 1). A watched directory holds a symlink to a file outside the
 * globs whose content is a unique secret: it is recorded as a link with its target, never read;
 * a symlink inside the globs and a watched directory that is itself a symlink keep working; a
 * restore writes only to a path watched now, and never through a symlink out of the globs.
 */
let sshd: SshdHandle
let dir: HostDir
before(async () => {
  sshd = await startSshd({ address: "127.0.0.11", shims: { docker: "exit 1" } })
  dir = hostDir("cfgaccess")
})
after(() => {
  stopAllSshd()
  dir.remove()
})

const SECRET = `SECRET-MARKER-${randomBytes(12).toString("hex")}`
const SECRET2 = `SECRET-MARKER-${randomBytes(12).toString("hex")}`
const APP = "server {\n  listen 80;\n  server_name app.example.com;\n}\n"
const APP2 = APP.replace("listen 80;", "listen 8080;")
const LINKED = "server {\n  listen 81;\n}\n"
const sha = (s: string) => createHash("sha256").update(s).digest("hex")

/** Everything the store holds about config history, as text: the secret must never be in it. */
const storedText = (t: TestApp) =>
  runIn(
    t,
    Store.use((s) =>
      Effect.all([
        testQuery(s, "SELECT * FROM configuration_snapshots"),
        testQuery(s, "SELECT * FROM configuration_change_events"),
        testQuery(s, "SELECT * FROM data_collection_audit"),
      ])
    ),
  ).then((rows) => JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? String(v) : v)))

const assertNoSecret = (what: string, text: string) => {
  assert.ok(!text.includes(SECRET), `${what} holds the secret behind the outside symlink`)
  assert.ok(!text.includes(SECRET2), `${what} holds the second secret`)
}

const addDevice = async (t: TestApp, name: string) => {
  const res = await t.request("POST", "/api/devices", {
    name,
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    private_key_path: sshd.privateKeyPath,
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

const historyOf = async (t: TestApp, device: string, path: string): Promise<Array<any>> => {
  const res = await t.request("GET", `/api/devices/${device}/configs/history?path=${encodeURIComponent(path)}`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.versions
}

const scan = (t: TestApp, device: string) => runIn(t, Watcher.use((w) => w.scan(device, { source: "api" })))

const collect = (t: TestApp, device: string, dataType: string, params: Record<string, string | number>) =>
  runIn(
    t,
    Collector.use((c) => c.collect(device, dataType, { method: "api", source: "test", params })).pipe(Effect.exit),
  )

const act = (t: TestApp, device: string, params: Record<string, string | number>) =>
  runIn(
    t,
    Collector.use((c) => c.act(device, "config_restore", { method: "api", source: "test", params })).pipe(Effect.exit),
  )

/** The typed error an exit failed with (undefined when it succeeded). */
const failureOf = (exit: Exit.Exit<unknown, unknown>): any => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findErrorOption(exit.cause)
  return Option.isSome(error) ? error.value : Cause.squash(exit.cause)
}
const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined => failureOf(exit)?._tag

/** Host layout under one root: watched dirs, a symlinked watched dir, and secrets outside the globs. */
const layout = (name: string) => {
  const rel = (p: string) => `${name}/${p}`
  const root = `${dir.root}/${name}`
  const secret = dir.put(rel("outside/secret.txt"), `${SECRET}\n`)
  const secret2 = dir.put(rel("outside/secret2.txt"), `${SECRET2}\n`)
  const app = dir.put(rel("conf/app.conf"), APP)
  const leak = dir.link(rel("conf/leak.conf"), secret)
  const inside = dir.link(rel("conf/inside.conf"), "app.conf")
  const nested = dir.put(rel("conf/sub/nested.conf"), "# one level down: * does not cross /\n")
  const compose = dir.link(rel("compose/docker-compose.yml"), secret)
  dir.put(rel("real/linked.conf"), LINKED)
  dir.link(rel("linkdir"), `${root}/real`)
  const linked = `${root}/linkdir/linked.conf`
  const globs = {
    proxy_configs: [`${root}/conf/*.conf`, `${root}/linkdir/*.conf`],
    docker_compose: [`${root}/compose/docker-compose.yml`],
    systemd_services: [],
    env_files: [],
  }
  const patterns = JSON.stringify([...globs.proxy_configs, ...globs.docker_compose])
  return { rel, root, secret, secret2, app, leak, inside, nested, compose, linked, globs, patterns }
}

for (const backend of testBackends()) {
  describe(`config file access on ${backend.name}`, () => {
    test("a symlink out of the globs is recorded as a link with its target, never read", async () => {
      const l = layout(`${backend.name}-history`)
      await withWatchApp(backend, { globs: l.globs, debounceMs: 50 }, async (t) => {
        const seen: Array<InfraEventWithMeta> = []
        await runIn(t, Events.useSync((e) => e.listen((ev) => seen.push(ev))))
        await addDevice(t, "acc")

        const first = await scan(t, "acc")
        const recorded = new Map(first.recorded.map((r) => [r.path, r]))
        assert.deepEqual([...recorded.keys()].sort(), [l.app, l.compose, l.inside, l.leak, l.linked].sort())
        assertNoSecret("the store", await storedText(t))

        // The outside symlink: one CREATE version, metadata only, with the target it resolves to.
        const [leak] = await historyOf(t, "acc", l.leak)
        assert.equal(leak.change_type, "CREATE")
        assert.equal(leak.link_target, l.secret)
        assert.equal(leak.content_hash, null)
        assert.equal(Number(leak.content_bytes), 0)
        const snap = await t.request("GET", `/api/configs/snapshots/${leak.id}`)
        assert.equal(snap.status, 200)
        assert.equal(snap.body.content, "")
        assert.equal(snap.body.link_target, l.secret)
        assertNoSecret("the snapshot API", JSON.stringify(snap.body))
        const [compose] = await historyOf(t, "acc", l.compose)
        assert.equal(compose.link_target, l.secret, "the docker-compose.yml symlink of the report")
        const tracked = await t.request("GET", "/api/devices/acc/configs")
        const leakEntry = tracked.body.files.find((f: any) => f.path === l.leak)
        assert.equal(leakEntry.link_target, l.secret)
        assert.equal(leakEntry.deleted, false)

        // A symlink inside the globs and a watched directory that is a symlink are read as usual.
        const [inside] = await historyOf(t, "acc", l.inside)
        assert.equal(inside.content_hash, sha(APP))
        assert.equal(inside.link_target, null)
        const [linked] = await historyOf(t, "acc", l.linked)
        assert.equal(linked.content_hash, sha(LINKED))
        const linkedSnap = await t.request("GET", `/api/configs/snapshots/${linked.id}`)
        assert.equal(linkedSnap.body.content, LINKED)

        // Recorded once: the same target again is no change.
        assert.equal((await scan(t, "acc")).recorded.length, 0)
        // Again only when the target changes.
        dir.link(l.rel("conf/leak.conf"), l.secret2)
        const retarget = await scan(t, "acc")
        assert.deepEqual(retarget.recorded.map((r) => [r.path, r.changeType]), [[l.leak, "MODIFY"]])
        assert.equal((await historyOf(t, "acc", l.leak))[0].link_target, l.secret2)
        assert.equal((await scan(t, "acc")).recorded.length, 0)

        // Changes API: metadata only.
        const changes = await t.request("GET", `/api/changes?device=acc&path=${encodeURIComponent(l.leak)}`)
        assert.equal(changes.status, 200)
        assert.deepEqual(changes.body.changes.map((c: any) => c.link_target), [l.secret2, l.secret])
        assertNoSecret("the changes API", JSON.stringify(changes.body))
        const all = await t.request("GET", "/api/changes?device=acc&limit=1000")
        assertNoSecret("the changes API", JSON.stringify(all.body))

        // The link going away is a deletion like any other.
        unlinkSync(l.leak)
        const removed = await scan(t, "acc")
        assert.deepEqual(removed.recorded.map((r) => [r.path, r.changeType]), [[l.leak, "DELETE"]])

        // Through inotify: a new outside symlink is recorded as a link by the watch stream.
        await runIn(t, Watcher.use((w) => w.startDevice("acc")))
        await waitFor("inotify ready", async () => {
          const s = await runIn(t, Watcher.useSync((w) => w.status().find((x) => x.device === "acc")))
          return s?.mode === "inotify" && s.ready && s.last_scan_at !== null ? s : undefined
        })
        const late = dir.link(l.rel("conf/late.conf"), l.secret)
        const lateVersion = await waitFor("the late link recorded", async () => {
          const [v] = await historyOf(t, "acc", late)
          return v?.link_target === l.secret ? v : undefined
        })
        assert.equal(lateVersion.detection_source, "watch")
        assert.equal(lateVersion.content_hash, null)
        // A write to the outside file is no change of anything watched.
        dir.put(l.rel("outside/secret.txt"), `${SECRET} rewritten\n`)
        dir.put(l.rel("conf/marker.conf"), "# marker\n")
        await waitFor("marker recorded", async () => (await historyOf(t, "acc", `${l.root}/conf/marker.conf`))[0])
        assert.equal((await historyOf(t, "acc", late)).length, 1)
        await runIn(t, Watcher.use((w) => w.stop()))

        assertNoSecret("the store", await storedText(t))
        assertNoSecret("the events", JSON.stringify(seen))
        assertNoSecret("the history API", JSON.stringify(await historyOf(t, "acc", late)))
      })
    })

    test("config_files and config_scan return no content outside the globs", async () => {
      const l = layout(`${backend.name}-read`)
      await withWatchApp(backend, { globs: l.globs }, async (t) => {
        await addDevice(t, "rd")
        const paths = [l.secret, l.leak, l.app, l.nested, l.linked, l.inside, "/etc/shadow", "/proc/self/environ"]
        const read = await collect(t, "rd", "config_files", { paths: JSON.stringify(paths), globs: l.patterns })
        assert.ok(Exit.isSuccess(read), String(failureTag(read)))
        const files = (read.value.data as any).files as Array<any>
        assert.deepEqual(files.map((f) => f.status), [
          "outside",
          "outside",
          "ok",
          "outside",
          "ok",
          "ok",
          "outside",
          "outside",
        ])
        for (const f of files.filter((x) => x.status === "outside")) {
          assert.equal(f.content_base64, null)
          assert.equal(f.sha256, null)
        }
        assert.deepEqual(files.map((f) => f.target), [
          l.secret,
          l.secret,
          null,
          l.nested,
          null,
          null,
          "/etc/shadow",
          files[7].target,
        ])
        assert.match(files[7].target, /^\/proc\/\d+\/environ$/, "the symlink /proc/self is resolved too")
        assert.equal(Buffer.from(files[4].content_base64, "base64").toString("utf8"), LINKED)
        assert.equal(Buffer.from(files[5].content_base64, "base64").toString("utf8"), APP)
        assertNoSecret("config_files", JSON.stringify(files))

        // The globs are required.
        const noGlobs = await collect(t, "rd", "config_files", { paths: JSON.stringify([l.app]) })
        assert.equal(failureTag(noGlobs), "ValidationError")

        // config_scan: the outside file is listed as a link, its content never hashed.
        const scanned = await collect(t, "rd", "config_scan", { globs: l.patterns })
        assert.ok(Exit.isSuccess(scanned))
        const data = scanned.value.data as any
        assert.ok(data.files.every((f: any) => f.sha256 !== sha(`${SECRET}\n`)), "the secret's hash is not sent")
        assert.deepEqual(data.files.map((f: any) => f.path).sort(), [l.app, l.inside, l.linked].sort())
        assert.deepEqual(
          data.outside.map((f: any) => [f.path, f.target]).sort(),
          [[l.compose, l.secret], [l.leak, l.secret]].sort(),
        )
        assertNoSecret("the store", await storedText(t))
      })
    })

    test("a restore writes only to a path watched now, never through a symlink out of the globs", async () => {
      const l = layout(`${backend.name}-restore`)
      const old = dir.put(l.rel("old/keep.conf"), APP)
      const oldGlobs = { ...l.globs, proxy_configs: [...l.globs.proxy_configs, `${l.root}/old/*.conf`] }
      await withSharedStore(backend, async (store) => {
        // Recorded while old/ was watched.
        const recorded = await withWatchApp(backend, { globs: oldGlobs }, async (t) => {
          await addDevice(t, "rs")
          const first = await scan(t, "rs")
          dir.put(l.rel("conf/app.conf"), APP2)
          dir.put(l.rel("old/keep.conf"), APP2)
          await scan(t, "rs")
          const byPath = new Map(first.recorded.map((r) => [r.path, r.snapshotId]))
          return { app: byPath.get(l.app) as number, old: byPath.get(old) as number }
        }, { store })
        assert.ok(recorded.app > 0 && recorded.old > 0)

        // The service now watches without old/.
        await withWatchApp(backend, { globs: l.globs }, async (t) => {
          const settings = await runIn(t, Watcher.useSync((w) => w.settings))
          const restore = (snapshotId: number, dryRun: boolean) =>
            runIn(t, restoreSnapshot("rs", { snapshotId, dryRun, validate: false }, settings).pipe(Effect.exit))

          for (const dryRun of [true, false]) {
            const refused = await restore(recorded.old, dryRun)
            assert.equal(failureTag(refused), "RestoreRefused", `dry run ${dryRun}`)
            assert.match(failureOf(refused).message, /not watched/)
          }
          assert.equal(readFileSync(old, "utf8"), APP2, "the unwatched file is untouched")
          const http = await t.request("POST", "/api/devices/rs/configs/restore", {
            snapshot_id: recorded.old,
            dry_run: false,
          })
          assert.notEqual(http.status, 200)
          assert.equal(http.body.error.code, "restore_refused")
          assert.equal(readFileSync(old, "utf8"), APP2)

          // A watched path that is now a symlink out of the globs: refused, nothing written anywhere.
          dir.link(l.rel("conf/app.conf"), l.secret)
          const through = await restore(recorded.app, false)
          assert.equal(failureTag(through), "RestoreRefused")
          assert.equal(failureOf(through).details.target, l.secret)
          assert.equal(readFileSync(l.secret, "utf8"), `${SECRET}\n`)
          assert.ok(lstatSync(l.app).isSymbolicLink(), "the symlink is left as it was")

          // The restore script checks at write time too, whatever the caller read before.
          const direct = await act(t, "rs", {
            path: l.app,
            globs: l.patterns,
            content_base64: Buffer.from(APP).toString("base64"),
            stamp: "1",
            validator: "none",
          })
          assert.ok(Exit.isSuccess(direct), String(failureTag(direct)))
          const outcome = direct.value.result as any
          assert.equal(outcome.written, false)
          assert.equal(outcome.outside_target, l.secret)
          assert.equal(readFileSync(l.secret, "utf8"), `${SECRET}\n`)
          assert.ok(lstatSync(l.app).isSymbolicLink())
          assert.deepEqual(readdirSync(`${l.root}/conf`).filter((f) => f.includes(".infrastructor.")), [])
          const noGlobs = await act(t, "rs", {
            path: l.app,
            content_base64: Buffer.from(APP).toString("base64"),
            stamp: "2",
            validator: "none",
          })
          assert.equal(failureTag(noGlobs), "ValidationError")
          assert.equal(readFileSync(l.secret, "utf8"), `${SECRET}\n`)

          // Through a watched directory that is itself a symlink, a restore still works.
          dir.put(l.rel("real/linked.conf"), APP2)
          await addDevice(t, "rs2")
          const v = (await scan(t, "rs2")).recorded.find((r) => r.path === l.linked)?.snapshotId as number
          dir.put(l.rel("real/linked.conf"), LINKED)
          const ok = await runIn(t, restoreSnapshot("rs2", { snapshotId: v, dryRun: false, validate: false }, settings))
          assert.equal(ok.restored, true)
          assert.equal(readFileSync(`${l.root}/real/linked.conf`, "utf8"), APP2)
          assertNoSecret("the store", await storedText(t))
        }, { store })
      })
    })
  })
}

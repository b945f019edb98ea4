import assert from "node:assert/strict"
import { existsSync, readdirSync, readFileSync, unlinkSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import { Collector } from "../src/pipeline/Collector.ts"
import { runIn } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { type HostDir, hostDir, withWatchApp } from "./harness/config-watch.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/**
 * Config history through the API against a real sshd host: on-demand scans, versions, diffs,
 * change events, restore (dry run, real, rolled back by a failing validator), odd file names and
 * oversized files. The host's `nginx` is a shim that fails while any watched file holds
 * "bogus_directive"; `docker` fails (no daemon, so no swag container).
 */
let sshd: SshdHandle
let dir: HostDir
before(async () => {
  dir = hostDir("cfgapi")
  sshd = await startSshd({
    address: "127.0.0.7",
    shims: {
      docker: "exit 1",
      nginx:
        `if grep -rqs bogus_directive '${dir.root}/proxy-confs'; then echo 'nginx: [emerg] unknown directive "bogus_directive"' >&2; exit 1; fi
echo 'nginx: configuration file test is successful' >&2`,
    },
  })
})
after(() => {
  stopAllSshd()
  dir.remove()
})

const V1 =
  "server {\n  listen 443 ssl;\n  server_name app.example.com;\n  location / {\n    proxy_pass http://app:8080;\n  }\n}\n"
const V2 = V1.replace("app:8080", "app:9090")
const BOGUS = V1.replace("listen 443 ssl;", "listen 443 ssl;\n  bogus_directive on;")

for (const backend of testBackends()) {
  describe(`config history API on ${backend.name}`, () => {
    test("scan, versions, diff, changes, restore, odd names, oversized files", async () => {
      const sub = `${backend.name}`
      const globs = {
        proxy_configs: [`${dir.root}/proxy-confs/${sub}/*.conf`],
        docker_compose: [],
        systemd_services: [],
        env_files: [],
      }
      await withWatchApp(backend, { globs }, async (t) => {
        const add = await t.request("POST", "/api/devices", {
          name: "cfg",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        assert.equal(add.status, 201, JSON.stringify(add.body))
        const file = dir.put(`proxy-confs/${sub}/app.conf`, V1)

        const scan1 = await t.request("POST", "/api/devices/cfg/configs/scan")
        assert.equal(scan1.status, 200, JSON.stringify(scan1.body))
        assert.equal(scan1.body.recorded.length, 1)
        assert.equal(scan1.body.recorded[0].changeType, "CREATE")
        const v1 = scan1.body.recorded[0].snapshotId

        // Same content again: no new version.
        const again = await t.request("POST", "/api/devices/cfg/configs/scan")
        assert.equal(again.body.recorded.length, 0)

        dir.put(`proxy-confs/${sub}/app.conf`, V2)
        const scan2 = await t.request("POST", "/api/devices/cfg/configs/scan")
        assert.equal(scan2.body.recorded.length, 1)
        assert.equal(scan2.body.recorded[0].changeType, "MODIFY")
        const v2 = scan2.body.recorded[0].snapshotId

        const tracked = await t.request("GET", "/api/devices/cfg/configs")
        assert.equal(tracked.status, 200)
        const entry = tracked.body.files.find((f: any) => f.path === file)
        assert.ok(entry, JSON.stringify(tracked.body))
        assert.equal(Number(entry.versions), 2)
        assert.equal(entry.config_type, "proxy_configs")
        assert.equal(entry.snapshot_id, v2)

        const history = await t.request("GET", `/api/devices/cfg/configs/history?path=${encodeURIComponent(file)}`)
        assert.equal(history.status, 200)
        assert.deepEqual(history.body.versions.map((v: any) => v.id), [v2, v1])
        assert.deepEqual(history.body.versions.map((v: any) => v.detection_source), ["api", "api"])
        assert.equal(history.body.versions[0].previous_snapshot_id, v1)
        assert.equal((await t.request("GET", "/api/devices/cfg/configs/history")).status, 400)

        const snap = await t.request("GET", `/api/configs/snapshots/${v1}`)
        assert.equal(snap.status, 200)
        assert.equal(snap.body.content, V1)
        assert.equal(snap.body.path, file)
        assert.equal((await t.request("GET", "/api/configs/snapshots/999999")).status, 404)
        assert.equal((await t.request("GET", "/api/configs/snapshots/abc")).status, 400)

        const diff = await t.request("GET", `/api/configs/diff?from=${v1}&to=${v2}`)
        assert.equal(diff.status, 200)
        assert.match(diff.body.diff, /^-.*app:8080;$/m)
        assert.match(diff.body.diff, /^\+.*app:9090;$/m)
        assert.equal(diff.body.identical, false)

        const changes = await t.request("GET", "/api/changes?device=cfg")
        assert.equal(changes.status, 200)
        assert.deepEqual(changes.body.changes.map((c: any) => c.snapshot_id), [v2, v1])
        assert.deepEqual(changes.body.changes.map((c: any) => c.change_type), ["MODIFY", "CREATE"])
        assert.ok(changes.body.changes.every((c: any) => ["LOW", "MEDIUM", "HIGH", "CRITICAL"].includes(c.risk_level)))
        const risk = changes.body.changes[0].risk_level
        const byRisk = await t.request("GET", `/api/changes?device=cfg&risk=${risk}`)
        assert.ok(byRisk.body.changes.some((c: any) => c.snapshot_id === v2))
        assert.ok(byRisk.body.changes.every((c: any) => c.risk_level === risk))
        assert.equal((await t.request("GET", "/api/changes?risk=SEVERE")).status, 400)
        assert.equal((await t.request("GET", "/api/changes?device=cfg&config_type=docker_compose")).body.count, 0)
        // By change type, and the next page after an event id.
        const created = await t.request("GET", "/api/changes?device=cfg&change_type=create")
        assert.deepEqual(created.body.changes.map((c: any) => c.snapshot_id), [v1])
        const older = await t.request("GET", `/api/changes?device=cfg&before=${changes.body.changes[0].id}`)
        assert.deepEqual(older.body.changes.map((c: any) => c.snapshot_id), [v1])
        assert.equal((await t.request("GET", "/api/changes?change_type=RENAME")).status, 400)
        assert.equal((await t.request("GET", "/api/changes?before=abc")).status, 400)

        // Restore, dry run: the diff from what is on the host now to the snapshot; nothing written.
        const dry = await t.request("POST", "/api/devices/cfg/configs/restore", { snapshot_id: v1 })
        assert.equal(dry.status, 200, JSON.stringify(dry.body))
        assert.equal(dry.body.dry_run, true)
        assert.match(dry.body.diff, /^-.*app:9090;$/m)
        assert.match(dry.body.diff, /^\+.*app:8080;$/m)
        assert.equal(readFileSync(file, "utf8"), V2)

        // Real restore: content back, backup kept, validator ran, a "restore" version recorded.
        const real = await t.request("POST", "/api/devices/cfg/configs/restore", { snapshot_id: v1, dry_run: false })
        assert.equal(real.status, 200, JSON.stringify(real.body))
        assert.equal(real.body.restored, true)
        assert.equal(readFileSync(file, "utf8"), V1)
        assert.equal(real.body.validator, "nginx -t")
        assert.ok(real.body.backup.startsWith(`${file}.infrastructor.bak.`))
        assert.equal(readFileSync(real.body.backup, "utf8"), V2)
        const afterRestore = await t.request("GET", `/api/devices/cfg/configs/history?path=${encodeURIComponent(file)}`)
        assert.equal(afterRestore.body.versions[0].id, real.body.new_snapshot_id)
        assert.equal(afterRestore.body.versions[0].detection_source, "restore")
        assert.equal(afterRestore.body.versions[0].change_type, "MODIFY")
        assert.equal(afterRestore.body.versions[0].content_hash, history.body.versions[1].content_hash)
        // The host already matches v1: restoring it again writes nothing.
        const noop = await t.request("POST", "/api/devices/cfg/configs/restore", { snapshot_id: v1, dry_run: false })
        assert.equal(noop.body.restored, false)
        assert.equal(noop.body.identical, true)

        // A version the validator rejects: 422, and the file is rolled back.
        dir.put(`proxy-confs/${sub}/app.conf`, BOGUS)
        const bogus = (await t.request("POST", "/api/devices/cfg/configs/scan")).body.recorded[0].snapshotId
        dir.put(`proxy-confs/${sub}/app.conf`, V2)
        await t.request("POST", "/api/devices/cfg/configs/scan")
        const rejected = await t.request("POST", "/api/devices/cfg/configs/restore", {
          snapshot_id: bogus,
          dry_run: false,
        })
        assert.equal(rejected.status, 422, JSON.stringify(rejected.body))
        assert.equal(rejected.body.error.code, "validation_failed")
        assert.match(rejected.body.error.details.output, /unknown directive/)
        assert.equal(rejected.body.error.details.rolled_back, true)
        assert.equal(readFileSync(file, "utf8"), V2)
        const unchecked = await t.request("POST", "/api/devices/cfg/configs/restore", {
          snapshot_id: bogus,
          dry_run: false,
          validate: false,
        })
        assert.equal(unchecked.status, 200, JSON.stringify(unchecked.body))
        assert.equal(readFileSync(file, "utf8"), BOGUS)
        for (const f of readdirSync(path.dirname(file))) {
          if (f.includes(".infrastructor.bak.")) unlinkSync(path.join(path.dirname(file), f))
        }
        dir.put(`proxy-confs/${sub}/app.conf`, V2)
        const back = await t.request("POST", "/api/devices/cfg/configs/scan")
        assert.deepEqual(back.body.recorded.map((r: any) => [r.path, r.changeType]), [[file, "MODIFY"]])

        const audit = await t.request("GET", "/api/audit?device=cfg&data_type=config_restore")
        assert.equal(audit.body.count, 3, "each restore that wrote is audited")

        // Service map: the stored proxy confs joined with the containers read (docker fails here: no matches).
        const map = await t.request("GET", "/api/devices/cfg/service-map")
        assert.equal(map.status, 200, JSON.stringify(map.body))
        assert.equal(map.body.proxy_configs, 1)
        assert.deepEqual(
          map.body.entries.map((
            e: any,
          ) => [e.server_names, e.upstream_app, e.upstream_port, e.config_path, e.container]),
          [[["app.example.com"], "app", 9090, file, null]],
        )
        assert.equal(map.body.containers.count, 0)
        assert.equal(typeof map.body.containers.error.code, "string")

        // Bad requests.
        assert.equal((await t.request("POST", "/api/devices/cfg/configs/restore", {})).status, 400)
        assert.equal((await t.request("POST", "/api/devices/cfg/configs/restore", { snapshot_id: 999999 })).status, 404)
        assert.equal(
          (await t.request("POST", "/api/devices/cfg/configs/restore", { snapshot_id: v1, dry_run: "no" })).status,
          400,
        )
        assert.equal((await t.request("POST", "/api/devices/nope/configs/restore", { snapshot_id: v1 })).status, 404)

        // Names with spaces, quotes and a newline survive the scan and the read, byte for byte.
        const odd = [`my "quoted" file's.conf`, "two  spaces $HOME.conf", "new\nline.conf"]
        const oddPaths = odd.map((n) => dir.put(`proxy-confs/${sub}/${n}`, `# ${n}\n`))
        // A 6 MB file: recorded as too large, without content.
        const big = dir.put(`proxy-confs/${sub}/big.conf`, Buffer.alloc(6 * 1024 * 1024, "x"))
        const scan3 = await t.request("POST", "/api/devices/cfg/configs/scan")
        assert.equal(scan3.status, 200, JSON.stringify(scan3.body))
        const recordedPaths = scan3.body.recorded.map((r: any) => r.path).sort()
        assert.deepEqual(recordedPaths, [...oddPaths, big].sort())
        for (const p of oddPaths) {
          const h = await t.request("GET", `/api/devices/cfg/configs/history?path=${encodeURIComponent(p)}`)
          const s = await t.request("GET", `/api/configs/snapshots/${h.body.versions[0].id}`)
          assert.equal(s.body.content, readFileSync(p, "utf8"))
        }
        const bigHistory = await t.request("GET", `/api/devices/cfg/configs/history?path=${encodeURIComponent(big)}`)
        assert.equal(bigHistory.body.versions[0].size_too_large, true)
        assert.equal(Number(bigHistory.body.versions[0].content_bytes), 6 * 1024 * 1024)
        const bigSnap = await t.request("GET", `/api/configs/snapshots/${bigHistory.body.versions[0].id}`)
        assert.equal(bigSnap.body.content, "")
        assert.match(bigSnap.body.content_hash, /^[0-9a-f]{64}$/)
        // The internal read (not on the API): the device's globs are required, oversized files have no content.
        const readFiles = (params: Record<string, string>) =>
          runIn(
            t,
            Collector.use((c) => c.collect("cfg", "config_files", { method: "api", source: "test", params })).pipe(
              Effect.map((r) => r.data as any),
              Effect.catch((e) => Effect.succeed({ failed: e._tag })),
            ),
          )
        const read = await readFiles({ paths: JSON.stringify([big, file]), globs: JSON.stringify(globs.proxy_configs) })
        assert.equal(read.files[0].status, "too_large")
        assert.equal(read.files[0].content_base64, null)
        assert.equal(Buffer.from(read.files[1].content_base64, "base64").toString("utf8"), V2)
        assert.deepEqual(await readFiles({ paths: JSON.stringify([file]) }), { failed: "ValidationError" })
        const badScan = await runIn(
          t,
          Collector.use((c) => c.collect("cfg", "config_scan", { method: "api", params: { globs: "relative/*.conf" } }))
            .pipe(Effect.flip),
        )
        assert.equal(badScan._tag, "ValidationError")

        // Deleting a file records a DELETE version at the next scan.
        unlinkSync(oddPaths[0] as string)
        const scan4 = await t.request("POST", "/api/devices/cfg/configs/scan")
        assert.deepEqual(scan4.body.recorded.map((r: any) => [r.path, r.changeType]), [[oddPaths[0], "DELETE"]])
        const gone = await t.request("GET", "/api/devices/cfg/configs")
        const goneEntry = gone.body.files.find((f: any) => f.path === oddPaths[0])
        assert.equal(goneEntry.deleted, true)
        assert.equal(goneEntry.content_hash, null)
        assert.ok(!existsSync(oddPaths[0] as string))
      })
    })
  })
}

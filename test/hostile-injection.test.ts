/**
 * Shell injection corpus (issue 7): hostile names, paths and filters through every API route that
 * puts a parameter into a host command, against a real sshd. Every payload tries to create
 * /tmp/pwned-<random>-<n> on the host; none may exist afterwards, and every answer is a typed
 * error or a result, never a 500. Shims record the exact argv the tools received, to prove values
 * that pass validation arrive as literal arguments.
 */
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const tag = `pwned-${randomBytes(6).toString("hex")}`
const target = (n: number) => `/tmp/${tag}-${n}`
const recordDir = mkdtempSync(path.join(os.tmpdir(), "infra-inj-"))
chmodSync(recordDir, 0o777)
const recordFile = path.join(recordDir, "argv.log")

/** A shim that appends its name and argv (fields split by \x1f, invocations by \x1e) and then acts. */
const recording = (name: string, then: string) =>
  [
    "#!/bin/sh",
    `{ printf '%s' ${name}; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\036'; } >> ${recordFile}`,
    then,
  ].join("\n")

const shims: Record<string, string> = {
  docker: recording(
    "docker",
    `case "$1" in inspect) echo "Error: No such object: x" >&2; exit 1 ;; logs) exit 0 ;; ` +
      `start|stop|restart) echo "Error response from daemon: No such container: x" >&2; exit 1 ;; *) exit 0 ;; esac`,
  ),
  journalctl: recording("journalctl", "exit 0"),
  smartctl: recording("smartctl", `echo '{"smartctl":{"exit_status":2},"device":{"name":"x"}}'; exit 2`),
  lsblk: recording("lsblk", `echo '{"blockdevices":[]}'`),
  zpool: recording("zpool", "echo 'no pools available' >&2; exit 1"),
  zfs: recording("zfs", "exit 1"),
}

const invocations = (): Array<Array<string>> =>
  existsSync(recordFile)
    ? readFileSync(recordFile, "utf8").split("\x1e").filter((r) => r !== "").map((r) => r.split("\x1f"))
    : []

/** Payload n tries to run `touch target(n)` in every way a shell could be talked into it. */
const payloads = (): Array<string> => {
  const forms: Array<(f: string) => string> = [
    (f) => `;touch ${f}`,
    (f) => `$(touch ${f})`,
    (f) => `\`touch ${f}\``,
    (f) => `|touch ${f}`,
    (f) => `&& touch ${f}`,
    (f) => `x\ntouch ${f}\n`,
    (f) => `'; touch ${f}; '`,
    (f) => `"; touch ${f}; "`,
    (f) => "$(touch${IFS}" + f + ")",
    (f) => `x\u0000;touch ${f}`,
    (f) => `ünïcødé\u202e$(touch ${f})`,
    (f) => `${"A".repeat(70_000)};touch ${f}`,
    (f) => `-o ProxyCommand=touch ${f}`,
    (f) => `--since=$(touch ${f})`,
    (f) => `\\'$(touch ${f})\\'`,
    (f) => `a\r\n$(touch ${f})`,
    (f) => `${"\u{1F4A5}".repeat(500)}\`touch ${f}\``,
  ]
  return forms.map((form, i) => form(target(i)))
}

const routes = (e: string): Array<[string, string]> => [
  ["GET", `/api/devices/inj/containers/${e}`],
  ["GET", `/api/devices/inj/containers/${e}/logs`],
  ["GET", `/api/devices/inj/containers/web/logs?since=${e}`],
  ["GET", `/api/devices/inj/containers/web/logs?tail=${e}`],
  ["POST", `/api/devices/inj/containers/${e}/restart`],
  ["POST", `/api/devices/inj/containers/web/${e}`],
  ["GET", `/api/devices/inj/system_logs?unit=${e}`],
  ["GET", `/api/devices/inj/system_logs?priority=${e}`],
  ["GET", `/api/devices/inj/system_logs?since=${e}`],
  ["GET", `/api/devices/inj/system_logs?after_cursor=${e}`],
  ["GET", `/api/devices/inj/system_logs?limit=${e}`],
  ["GET", `/api/devices/inj/drive_health?device=${e}`],
  ["GET", `/api/devices/inj/drive_health?sudo=${e}`],
  ["GET", `/api/devices/inj/zfs?pool=${e}`],
  ["GET", `/api/devices/inj/zfs?snapshots=${e}`],
  ["GET", `/api/devices/inj/system_metrics?force_refresh=${e}`],
  ["GET", `/api/devices/${e}/system_metrics`],
  ["GET", `/api/devices/inj/${e}`],
  ["GET", `/api/devices/inj/system_metrics/history?table=${e}`],
  ["GET", `/api/devices/inj/system_metrics/history?from=${e}`],
  ["GET", `/api/audit?device=${e}&status=${e}&method=${e}&data_type=${e}`],
  ["GET", `/api/devices/inj/configs/history?path=${e}`],
  ["POST", `/api/devices/${e}/trust-host-key`],
]

const pwned = () => readdirSync("/tmp").filter((f) => f.startsWith(tag))

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.10", shims })
})
after(() => {
  stopAllSshd()
  rmSync(recordDir, { recursive: true, force: true })
  for (const f of pwned()) rmSync(path.join("/tmp", f), { force: true })
})

const backend = testBackends()[0]!

describe("shell injection corpus against a real sshd", () => {
  test("no payload executes on the host; every answer is typed, never a 500", async () => {
    await withSecureApp(backend, { ssh: { connectTimeoutMs: 3000, commandTimeoutMs: 10_000 } }, async (t) => {
      const add = await t.request("POST", "/api/devices?probe=false", {
        body: {
          name: "inj",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        },
      })
      assert.equal(add.status, 201, JSON.stringify(add.body))
      const statuses = new Map<number, number>()
      for (const [n, payload] of payloads().entries()) {
        const e = encodeURIComponent(payload)
        // Unknown params reach no script, only the cache key; system_metrics is slow, so a few suffice.
        const extra: Array<[string, string]> = n < 3 ? [["GET", `/api/devices/inj/system_metrics?x=${e}`]] : []
        for (const [method, url] of [...routes(e), ...extra]) {
          const res = await t.request(method, url)
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          assert.notEqual(
            res.status,
            500,
            `${method} ${url.slice(0, 120)} → 500 ${JSON.stringify(res.body).slice(0, 300)}`,
          )
          if (res.status >= 400) assert.equal(typeof res.body?.error?.code, "string", `${method} ${url.slice(0, 120)}`)
        }
        // Hostile device fields: refused, or stored as data and never reaching a shell.
        for (const field of ["name", "host", "username", "private_key_path"]) {
          const body: Record<string, unknown> = {
            name: "victim",
            host: sshd.host,
            port: sshd.port,
            username: sshd.user,
            private_key_path: sshd.privateKeyPath,
          }
          body[field] = payload
          const created = await t.request("POST", "/api/devices?probe=false", { body })
          assert.ok(created.status === 201 || created.status === 400, `${field}: ${created.status}`)
          if (created.status === 201) {
            const read = await t.request("GET", `/api/devices/${created.body.id}/system_metrics`)
            assert.ok(
              read.status >= 400 && read.status !== 500,
              `${field}: ${read.status} ${JSON.stringify(read.body)}`,
            )
            assert.equal((await t.request("DELETE", `/api/devices/${created.body.id}`)).status, 200)
          }
        }
      }
      assert.deepEqual(pwned(), [], "a payload ran on the host")
      assert.ok((statuses.get(400) ?? 0) > 100, `mostly refused up front: ${JSON.stringify([...statuses])}`)

      // Values that pass validation arrive as single literal arguments.
      const literal: Array<[string, string, (argv: Array<string>) => boolean]> = [
        [
          "unit",
          "/api/devices/inj/system_logs?unit=" + encodeURIComponent("a\\x2d*?[b]"),
          (a) => a.includes("a\\x2d*?[b]"),
        ],
        [
          "since",
          "/api/devices/inj/system_logs?since=" + encodeURIComponent("2024-01-01 00:00:00"),
          (a) => a.includes("--since=2024-01-01 00:00:00"),
        ],
        ["container", "/api/devices/inj/containers/a.b-c_d", (a) => a[0] === "docker" && a.at(-1) === "a.b-c_d"],
        [
          "logs since",
          "/api/devices/inj/containers/web/logs?since=1h30m&tail=5",
          (a) => a[0] === "docker" && a.includes("1h30m") && a.includes("5"),
        ],
        [
          "disk",
          "/api/devices/inj/drive_health?device=" + encodeURIComponent("/dev/sd:a+b"),
          (a) => a.includes("/dev/sd:a+b"),
        ],
        ["pool", "/api/devices/inj/zfs?pool=p.o:o-l_1", (a) => a[0] === "zpool" && a.at(-1) === "p.o:o-l_1"],
      ]
      for (const [what, url, check] of literal) {
        const res = await t.request("GET", url)
        assert.notEqual(res.status, 500, `${what}: ${JSON.stringify(res.body)}`)
        assert.ok(
          invocations().some(check),
          `${what}: no invocation with the literal value in ${JSON.stringify(invocations())}`,
        )
      }
      assert.deepEqual(pwned(), [])
    })
  })
})

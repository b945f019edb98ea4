/**
 * Transport faults against a real sshd (issue 7): killed mid-command, SIGSTOPped, connection reset
 * (an in-process TCP proxy), wrong key, refused, unresolvable name. Each must end as a typed error
 * within the configured timeout, land in the audit and the device status, and the next read after
 * the host is back must work with no manual step.
 */
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Result } from "effect"
import { noRetry } from "../src/domain/schedules.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { testBackends } from "./harness/db.ts"
import { type SecureApp, withSecureApp } from "./harness/security.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"
import { startTcpProxy, type TcpProxy } from "./harness/tcp-proxy.ts"

/** A command that is in flight long enough to be interrupted. */
const slow: DataTypeSpec<{ out: string }> = {
  name: "slow_probe",
  description: "test: sleeps, then answers",
  table: "",
  ttlSeconds: 0,
  params: params({ sleep: "seconds to sleep" }),
  timeout: "3 seconds",
  retry: noRetry,
  script: (p) => `sleep ${p["sleep"] === undefined ? 0 : Number(p["sleep"])}; echo ok`,
  parse: (r) => Result.succeed({ out: r.stdout.trim() }),
  toRows: () => [],
}

const CONNECT_MS = 2000
const COMMAND_MS = 3000
/** Worst case: connect timeout plus a command timeout plus transport retries, with slack. */
const BOUND_MS = CONNECT_MS + COMMAND_MS + 4000

const keyDir = mkdtempSync(path.join(os.tmpdir(), "infra-wrongkey-"))
const wrongKey = path.join(keyDir, "id_ed25519")
execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey], { stdio: "pipe" })

let sshd: SshdHandle
let proxy: TcpProxy
before(async () => {
  sshd = await startSshd({ address: "127.0.0.12" })
  proxy = await startTcpProxy({ host: sshd.host, port: sshd.port })
})
after(async () => {
  await proxy.close()
  stopAllSshd()
  rmSync(keyDir, { recursive: true, force: true })
})

const backend = testBackends()[0]!

const add = async (t: SecureApp, name: string, overrides: Record<string, unknown> = {}) => {
  const res = await t.request("POST", "/api/devices?probe=false", {
    body: {
      name,
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      private_key_path: sshd.privateKeyPath,
      ...overrides,
    },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

/** Reads, checks the error is typed and bounded, and that audit and device status show it. */
const expectFault = async (t: SecureApp, device: string, query: string, codes: ReadonlyArray<string>) => {
  const started = Date.now()
  const res = await t.request("GET", `/api/devices/${device}/slow_probe${query}`)
  const elapsed = Date.now() - started
  assert.ok(res.status === 502 || res.status === 504, `${device}: ${res.status} ${JSON.stringify(res.body)}`)
  assert.ok(codes.includes(res.body.error.code), `${device}: ${res.body.error.code} not in ${codes.join(", ")}`)
  assert.ok(elapsed < BOUND_MS, `${device}: answered after ${elapsed} ms`)
  const audit = await t.request("GET", `/api/audit?device=${device}&status=error&limit=1`)
  assert.equal(audit.body.count, 1, `${device}: audited`)
  assert.match(audit.body.entries[0].error_message, new RegExp(res.body.error.code.replace(/^ssh_/, "")))
  const status = (await t.request("GET", `/api/devices/${device}`)).body.status
  assert.ok(status !== "online" && status !== "unknown", `${device}: status ${status}`)
  return res.body.error.code as string
}

const expectOk = async (t: SecureApp, device: string) => {
  const res = await t.request("GET", `/api/devices/${device}/slow_probe`)
  assert.equal(res.status, 200, `${device}: ${JSON.stringify(res.body)}`)
  assert.equal(res.body.data.out, "ok")
}

describe("SSH faults against a real sshd", () => {
  test("each fault is a typed, bounded, audited error, and the pool recovers by itself", async () => {
    const ssh = { connectTimeoutMs: CONNECT_MS, commandTimeoutMs: COMMAND_MS }
    await withSecureApp(backend, { specs: [slow], ssh }, async (t) => {
      // sshd killed in the middle of a command; back after a restart.
      await add(t, "killed")
      await expectOk(t, "killed")
      const killing = setTimeout(() => sshd.kill(), 500)
      try {
        await expectFault(t, "killed", "?sleep=2", ["ssh_connection_lost", "ssh_connect_refused"])
      } finally {
        clearTimeout(killing)
        await sshd.restart()
      }
      await expectOk(t, "killed")

      // SIGSTOP: the host hangs mid-session; the command times out; SIGCONT and it answers again.
      await add(t, "stopped")
      await expectOk(t, "stopped")
      sshd.pause()
      try {
        await expectFault(t, "stopped", "?sleep=0", ["ssh_command_timeout", "ssh_connect_timeout"])
      } finally {
        sshd.resume()
      }
      await expectOk(t, "stopped")

      // Connection reset by the network (through the proxy), and refused while it stays down.
      await add(t, "reset", { host: proxy.host, port: proxy.port })
      await expectOk(t, "reset")
      const cutting = setTimeout(() => void proxy.cut(0), 500)
      try {
        await expectFault(t, "reset", "?sleep=2", ["ssh_connection_lost", "ssh_connect_refused"])
      } finally {
        clearTimeout(cutting)
        await proxy.restore()
      }
      await expectOk(t, "reset")
      // A reset with the path still open: the transport retry reconnects on its own.
      setTimeout(() => proxy.reset(), 500)
      const retried = await t.request("GET", "/api/devices/reset/slow_probe?sleep=1")
      assert.ok(
        retried.status === 200 || retried.body.error.code === "ssh_connection_lost",
        JSON.stringify(retried.body),
      )
      await expectOk(t, "reset")

      // Wrong key, nothing listening, a name that does not resolve.
      await add(t, "wrong-key", { private_key_path: wrongKey })
      assert.equal(await expectFault(t, "wrong-key", "", ["ssh_auth_failed"]), "ssh_auth_failed")
      await add(t, "refused", { host: "127.0.0.12", port: 1 })
      await expectFault(t, "refused", "", ["ssh_connect_refused"])
      await add(t, "no-dns", { host: "no-such-host.invalid" })
      await expectFault(t, "no-dns", "", ["ssh_dns"])
    })
  })
})

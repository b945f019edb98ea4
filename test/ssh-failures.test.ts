import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import { makeHostKeysMemory } from "../src/ssh/HostKeysMemory.ts"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { opensshFingerprint, sshDevice, withSsh } from "./harness/ssh-device.ts"
import { type SshdHandle, startSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
let scratch: string

before(async () => {
  sshd = await startSshd()
  scratch = mkdtempSync(path.join(os.tmpdir(), "infra-ssh-test-"))
})
after(() => {
  sshd.stop()
  rmSync(scratch, { recursive: true, force: true })
})

const unusedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const info = server.address()
      server.close(() => resolve(typeof info === "object" && info !== null ? info.port : 1))
    })
  })

describe("Ssh failure handling against a real sshd", () => {
  test("a hung (SIGSTOPped) host fails a new connection with connect_timeout, in time", async () => {
    const device = sshDevice(sshd, "hung-connect")
    sshd.pause()
    try {
      const started = Date.now()
      const error = await withSsh({ connectTimeoutMs: 800 }, (ssh) => Effect.flip(ssh.run(device, "true")))
      const elapsed = Date.now() - started
      assert.equal(error.reason, "connect_timeout")
      assert.ok(elapsed < 2000, `took ${elapsed} ms`)
    } finally {
      sshd.resume()
    }
  })

  test("a host that hangs under an open connection fails the command with command_timeout, then recovers", async () => {
    const device = sshDevice(sshd, "hung-command")
    const { error, elapsed, next } = await withSsh({ connectTimeoutMs: 1000 }, (ssh) =>
      Effect.gen(function* () {
        yield* ssh.run(device, "true")
        sshd.pause()
        const started = Date.now()
        const error = yield* Effect.flip(ssh.run(device, "echo hi", { timeout: "600 millis" })).pipe(
          Effect.ensuring(Effect.sync(() => sshd.resume())),
        )
        const elapsed = Date.now() - started
        const next = yield* ssh.run(device, "echo back", { timeout: "2 seconds" })
        return { error, elapsed, next }
      }))
    assert.equal(error.reason, "command_timeout")
    assert.ok(elapsed < 1500, `took ${elapsed} ms`)
    assert.equal(next.stdout, "back\n")
  })

  test("after the host is killed and restarted, the next call reconnects by itself", async () => {
    const device = sshDevice(sshd, "restart")
    const { first, second, stats } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const first = yield* ssh.run(device, "echo one")
        sshd.kill()
        yield* Effect.promise(() => sshd.restart())
        const second = yield* ssh.run(device, "echo two")
        return { first, second, stats: ssh.stats() }
      }))
    assert.equal(first.stdout, "one\n")
    assert.equal(second.stdout, "two\n")
    assert.equal(stats.connectionsOpened, 2)
    assert.equal(stats.openConnections, 1)
  })

  test("connection refused is reported as connect_refused, once: the SSH layer does not retry", async () => {
    const port = await unusedPort()
    const device = sshDevice(sshd, "refused", { port })
    const { error, stats } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(ssh.run(device, "true"))
        return { error, stats: ssh.stats() }
      }))
    assert.equal(error.reason, "connect_refused")
    assert.equal(stats.failures, 1, "retries belong to the pipeline, which knows whether a command may run twice")
  })

  test("the pipeline retries connect_refused with backoff, inside the data type's deadline", async () => {
    const port = await unusedPort()
    await withTestApp(testBackends()[0]!, {}, async (t) => {
      const add = await t.request("POST", "/api/devices?probe=false", {
        name: "refused",
        host: sshd.host,
        port,
        username: sshd.user,
        private_key_path: sshd.privateKeyPath,
      })
      assert.equal(add.status, 201)
      const started = Date.now()
      const read = await t.request("GET", "/api/devices/refused/system_metrics")
      const elapsed = Date.now() - started
      assert.equal(read.status, 502)
      assert.equal(read.body.error.code, "ssh_connect_refused")
      const audit = await t.request("GET", "/api/audit?device=refused&data_type=system_metrics")
      assert.equal(audit.body.entries[0].ssh_command_count, 3, "first try + 2 retries (transportRetry)")
      // Backoff from 200 ms, jittered: two waits add up to well over 250 ms.
      assert.ok(elapsed >= 250, `retries too fast: ${elapsed} ms`)
    })
  })

  test("an unknown host name fails with dns, without retries", async () => {
    const device = sshDevice(sshd, "dns", { host: "no-such-host.invalid" })
    const { error, stats } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(ssh.run(device, "true"))
        return { error, stats: ssh.stats() }
      }))
    assert.equal(error.reason, "dns")
    assert.equal(stats.failures, 1)
  })

  test("a key the server does not accept fails with auth_failed, without retries", async () => {
    const otherKey = path.join(scratch, "other_key")
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey])
    const device = sshDevice(sshd, "auth", { privateKeyPath: otherKey })
    const { error, stats } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(ssh.run(device, "true"))
        return { error, stats: ssh.stats() }
      }))
    assert.equal(error.reason, "auth_failed")
    assert.equal(stats.failures, 1)
  })

  test("a missing private key file is a config error that names the file", async () => {
    const device = sshDevice(sshd, "nokey", { privateKeyPath: path.join(scratch, "missing_key") })
    const error = await withSsh({}, (ssh) => Effect.flip(ssh.run(device, "true")))
    assert.equal(error.reason, "config")
    assert.match(error.message, /missing_key/)
  })
})

describe("host keys", () => {
  let keyHost: SshdHandle
  before(async () => {
    keyHost = await startSshd({ address: "127.0.0.2" })
  })
  after(() => keyHost.stop())

  test("tofu records the OpenSSH fingerprint, refuses a changed key, and re-trusts after forget", async () => {
    const device = sshDevice(keyHost, "hostkey")
    const hostPort = `${keyHost.host}:${keyHost.port}`
    const hostKeys = makeHostKeysMemory()
    const firstFingerprint = opensshFingerprint(`${keyHost.hostKeyPath}.pub`)

    const recorded = await withSsh(
      {},
      (ssh, keys) => Effect.andThen(ssh.run(device, "true"), keys.get(hostPort)),
      hostKeys,
    )
    assert.equal(recorded?.fingerprint, firstFingerprint)
    assert.equal(recorded?.algorithm, "ssh-ed25519")

    keyHost.regenerateHostKey()
    await keyHost.restart()
    const newFingerprint = opensshFingerprint(`${keyHost.hostKeyPath}.pub`)
    assert.notEqual(newFingerprint, firstFingerprint)

    const { error, stats, logins } = await withSsh(
      {},
      (ssh) =>
        Effect.gen(function* () {
          const logins = keyHost.acceptedLogins()
          const error = yield* Effect.flip(ssh.run(device, "true"))
          return { error, stats: ssh.stats(), logins: keyHost.acceptedLogins() - logins }
        }),
      hostKeys,
    )
    assert.equal(error.reason, "host_key_mismatch")
    assert.ok(error.message.includes(firstFingerprint), error.message)
    assert.ok(error.message.includes(newFingerprint), error.message)
    assert.equal(stats.failures, 1) // refused, not retried
    assert.equal(logins, 0) // we never authenticated to the impostor

    const after = await withSsh(
      {},
      (ssh, keys) =>
        Effect.gen(function* () {
          yield* keys.forget(hostPort)
          const result = yield* ssh.run(device, "echo trusted-again")
          return { result, known: yield* keys.get(hostPort) }
        }),
      hostKeys,
    )
    assert.equal(after.result.stdout, "trusted-again\n")
    assert.equal(after.known?.fingerprint, newFingerprint)
  })

  test("strict policy refuses an unknown host and accepts a pre-trusted one", async () => {
    const device = sshDevice(keyHost, "strict")
    const hostPort = `${keyHost.host}:${keyHost.port}`
    const hostKeys = makeHostKeysMemory()
    const error = await withSsh({ hostKeyPolicy: "strict" }, (ssh) => Effect.flip(ssh.run(device, "true")), hostKeys)
    assert.equal(error.reason, "host_key_unknown")
    assert.equal(await Effect.runPromise(hostKeys.get(hostPort)), undefined) // strict never records

    await Effect.runPromise(hostKeys.trust(hostPort, "ssh-ed25519", opensshFingerprint(`${keyHost.hostKeyPath}.pub`)))
    const result = await withSsh({ hostKeyPolicy: "strict" }, (ssh) => ssh.run(device, "echo ok"), hostKeys)
    assert.equal(result.stdout, "ok\n")
  })
})

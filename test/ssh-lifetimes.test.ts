/**
 * Lifetimes of the SSH service's resources (issue 11): a device's connection is shared while used
 * and closed after its idle time, a failed connect is not kept, host keys are looked up before
 * connecting (from memory when the store is away) and a newly trusted key is recorded once the
 * session is up.
 */
import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Effect, Stream } from "effect"
import { StoreError } from "../src/domain/errors.ts"
import type { HostKeysShape } from "../src/ssh/HostKeys.ts"
import { makeHostKeysMemory } from "../src/ssh/HostKeysMemory.ts"
import { opensshFingerprint, sshDevice, withSsh } from "./harness/ssh-device.ts"
import { type SshdHandle, startSshd } from "./harness/sshd.ts"

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.71" })
})
after(() => sshd.stop())

/** Host keys in memory behind a switch that makes the store unreachable or its writes fail. */
const flakyHostKeys = () => {
  const inner = makeHostKeysMemory()
  const state = { down: false, failTrust: 0 }
  const unavailable = (op: string) => new StoreError({ op, message: "database unreachable", unavailable: true })
  const keys: HostKeysShape = {
    get: (hostPort) => Effect.suspend(() => state.down ? Effect.fail(unavailable("get")) : inner.get(hostPort)),
    trust: (hostPort, algorithm, fingerprint) =>
      Effect.suspend(() => {
        if (state.down) return Effect.fail(unavailable("trust"))
        if (state.failTrust > 0) {
          state.failTrust--
          return Effect.fail(new StoreError({ op: "trust", message: "write failed", unavailable: false }))
        }
        return inner.trust(hostPort, algorithm, fingerprint)
      }),
    forget: (hostPort) => inner.forget(hostPort),
  }
  return { keys, inner, state }
}

describe("SSH resource lifetimes", () => {
  test("host keys seen before are checked from memory while the store is away; unknown hosts are refused", async () => {
    const { keys, state } = flakyHostKeys()
    const device = sshDevice(sshd, "remembered")
    // Another spelling of the same address: another host:port for the host-key store.
    const other = sshDevice(sshd, "never-seen", { host: "127.71" })
    const { first, again, refused } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const first = yield* ssh.run(device, "echo first")
        yield* ssh.close("remembered")
        state.down = true
        const again = yield* ssh.run(device, "echo again")
        const refused = yield* Effect.flip(ssh.run(other, "true"))
        return { first, again, refused }
      }), keys)
    assert.equal(first.stdout, "first\n")
    assert.equal(again.stdout, "again\n")
    assert.equal(refused.reason, "config")
    assert.match(refused.message, /cannot check the host key of 127\.71:.*database unreachable/)
  })

  test("a remembered key still refuses a changed host key while the store is away", async () => {
    const { keys, inner, state } = flakyHostKeys()
    const device = sshDevice(sshd, "remembered-mismatch")
    const hostPort = `${sshd.host}:${sshd.port}`
    const { error, logins } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        yield* ssh.run(device, "true")
        yield* ssh.close()
        state.down = true
        sshd.regenerateHostKey()
        yield* Effect.promise(() => sshd.restart())
        const before = sshd.acceptedLogins()
        const error = yield* Effect.flip(ssh.run(device, "true"))
        return { error, logins: sshd.acceptedLogins() - before }
      }), keys)
    assert.equal(error.reason, "host_key_mismatch")
    assert.equal(logins, 0)
    // What the store holds is untouched; the operator re-trusts there.
    const stored = await Effect.runPromise(inner.get(hostPort))
    assert.notEqual(stored?.fingerprint, opensshFingerprint(`${sshd.hostKeyPath}.pub`))
    await Effect.runPromise(inner.forget(hostPort))
  })

  test("a first-seen key is recorded once connected; when that fails the connection is refused and not kept", async () => {
    const { keys, inner, state } = flakyHostKeys()
    const device = sshDevice(sshd, "record")
    const hostPort = `${sshd.host}:${sshd.port}`
    state.failTrust = 1
    const { error, afterFailure, result, stats } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(ssh.run(device, "true"))
        const afterFailure = ssh.stats()
        const result = yield* ssh.run(device, "echo recorded")
        return { error, afterFailure, result, stats: ssh.stats() }
      }), keys)
    assert.equal(error.reason, "config")
    assert.match(error.message, /cannot record the host key/)
    assert.notEqual(error.commandSent, true)
    assert.equal(afterFailure.openConnections, 0)
    assert.equal(afterFailure.connectionsOpened, 0)
    assert.equal(result.stdout, "recorded\n")
    assert.equal(stats.connectionsOpened, 1)
    assert.equal(
      (await Effect.runPromise(inner.get(hostPort)))?.fingerprint,
      opensshFingerprint(`${sshd.hostKeyPath}.pub`),
    )
  })

  test("an open stream keeps its connection past the idle time; it closes once nothing uses it", async () => {
    const device = sshDevice(sshd, "held")
    const loginsBefore = sshd.acceptedLogins()
    const { ticks, during, afterIdle } = await withSsh({ idleTimeoutMs: 150 }, (ssh) =>
      Effect.gen(function* () {
        const ticks = yield* ssh.stream(device, "for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done").pipe(
          Stream.runCollect,
        )
        const during = yield* ssh.run(device, "echo same-connection")
        yield* Effect.sleep("450 millis")
        return { ticks: [...ticks], during, afterIdle: ssh.stats() }
      }))
    assert.deepEqual(ticks, ["1", "2", "3", "4", "5", "6"])
    assert.equal(during.stdout, "same-connection\n")
    assert.equal(sshd.acceptedLogins() - loginsBefore, 1, "the stream and the command shared one connection")
    assert.equal(afterIdle.openConnections, 0)
  })

  test("commands past the queue bound are refused before anything is sent", async () => {
    const device = sshDevice(sshd, "bounded")
    const outcomes = await withSsh({ shellsPerConnection: 1, maxQueuedCommands: 1 }, (ssh) =>
      Effect.gen(function* () {
        yield* ssh.run(device, "true") // connected, so the three below meet the shell pool together
        return yield* Effect.all(
          [
            ssh.run(device, "sleep 0.5; echo running"),
            Effect.andThen(Effect.sleep("50 millis"), ssh.run(device, "echo queued")),
            Effect.flip(Effect.andThen(Effect.sleep("100 millis"), ssh.run(device, "echo refused"))),
          ],
          { concurrency: "unbounded" },
        )
      }))
    const [running, queued, refused] = outcomes
    assert.equal(running.stdout, "running\n")
    assert.equal(queued.stdout, "queued\n")
    assert.equal(refused.reason, "channel_failed")
    assert.notEqual(refused.commandSent, true)
  })
})

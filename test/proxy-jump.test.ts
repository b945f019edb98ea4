/**
 * ProxyJump through a jump host's ssh2 connection. The servers run in a private network namespace:
 * the jump host listens on the namespace's veth address (reachable from here), the targets on the
 * namespace's own loopback, which only processes inside the namespace can reach. So a target that
 * answers was reached through the jump host, and its sshd log shows the login coming from inside.
 */
import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import type { Device } from "../src/domain/device.ts"
import type { SshError } from "../src/domain/errors.ts"
import { makeHostKeysMemory } from "../src/ssh/HostKeysMemory.ts"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { createNetns, type Netns, type NetnsSshd, startSshdInNetns } from "./harness/netns-sshd.ts"
import { opensshFingerprint, withSsh } from "./harness/ssh-device.ts"
import { TEST_USER } from "./harness/sshd.ts"

let ns: Netns
let jump: NetnsSshd
let target: NetnsSshd
let hop2: NetnsSshd

before(async () => {
  ns = createNetns()
  jump = await startSshdInNetns(ns, { address: ns.nsAddress, port: 22, label: "jump" })
  target = await startSshdInNetns(ns, { address: "127.0.0.1", port: 2201, label: "target" })
  hop2 = await startSshdInNetns(ns, { address: "127.0.0.1", port: 2202, label: "hop2" })
})

after(() => {
  for (const server of [jump, target, hop2]) server?.stop()
  ns?.remove()
})

const jumpSpec = () => `${TEST_USER}@${ns.nsAddress}:22`

const targetDevice = (name: string, overrides: Partial<Device> = {}): Device => ({
  id: 1,
  name,
  host: "127.0.0.1",
  port: 2201,
  username: TEST_USER,
  privateKeyPath: ns.privateKeyPath,
  password: null,
  transport: "ssh",
  proxyJump: jumpSpec(),
  tags: [],
  enabled: true,
  status: "unknown",
  lastSeen: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
})

const options = { connectTimeoutMs: 5000, commandTimeoutMs: 5000 }

describe("ProxyJump through the jump host's connection", () => {
  test("the target is unreachable directly; through the jump host it answers, both host keys recorded", async () => {
    const hostKeys = makeHostKeysMemory()
    const jumpLogins = jump.acceptedFrom().length
    const targetLogins = target.acceptedFrom().length
    const outcome = await withSsh(options, (ssh) =>
      Effect.gen(function* () {
        const direct = yield* Effect.flip(ssh.run(targetDevice("direct", { proxyJump: "none" }), "echo direct"))
        const via = yield* ssh.run(targetDevice("behind"), "echo through; hostname")
        return { direct, via, stats: ssh.stats() }
      }), hostKeys)
    assert.equal(outcome.direct._tag, "SshError")
    assert.equal((outcome.direct as SshError).reason, "connect_refused")
    assert.equal(outcome.via.exitCode, 0)
    assert.match(outcome.via.stdout, /^through\n/)
    // The jump host saw us (our veth address); the target saw a client inside the namespace.
    assert.deepEqual(jump.acceptedFrom().slice(jumpLogins), [ns.hostAddress])
    assert.deepEqual(target.acceptedFrom().slice(targetLogins), ["127.0.0.1"])
    assert.equal(outcome.stats.connectionsOpened, 2)
    // TOFU applied to each hop: both keys are recorded, each under the name it was reached by.
    const jumpKey = await Effect.runPromise(hostKeys.get(`${ns.nsAddress}:22`))
    const targetKey = await Effect.runPromise(hostKeys.get("127.0.0.1:2201"))
    assert.equal(jumpKey?.fingerprint, opensshFingerprint(`${jump.hostKeyPath}.pub`))
    assert.equal(targetKey?.fingerprint, opensshFingerprint(`${target.hostKeyPath}.pub`))
  })

  test("devices behind one jump host share its one connection", async () => {
    const jumpLogins = jump.acceptedFrom().length
    const targetLogins = target.acceptedFrom().length
    const stats = await withSsh(options, (ssh) =>
      Effect.gen(function* () {
        const [a, b] = yield* Effect.all([
          ssh.run(targetDevice("a"), "echo a"),
          ssh.run(targetDevice("b"), "echo b"),
        ], { concurrency: "unbounded" })
        assert.equal(a.stdout, "a\n")
        assert.equal(b.stdout, "b\n")
        yield* ssh.run(targetDevice("a"), "echo again")
        return ssh.stats()
      }))
    assert.equal(jump.acceptedFrom().length - jumpLogins, 1, "one login on the jump host for both devices")
    assert.equal(target.acceptedFrom().length - targetLogins, 2, "one connection per device to the target")
    assert.equal(stats.connectionsOpened, 3)
  })

  test("a chain of two hops: the second hop is reached through the first", async () => {
    const hop2Logins = hop2.acceptedFrom().length
    const targetLogins = target.acceptedFrom().length
    const result = await withSsh(
      options,
      (ssh) =>
        ssh.run(
          targetDevice("chained", { proxyJump: `${jumpSpec()}, ssh://${TEST_USER}@127.0.0.1:2202` }),
          "echo chained",
        ),
    )
    assert.equal(result.stdout, "chained\n")
    assert.deepEqual(hop2.acceptedFrom().slice(hop2Logins), ["127.0.0.1"])
    assert.deepEqual(target.acceptedFrom().slice(targetLogins), ["127.0.0.1"])
  })

  test("the host key policy applies to every hop", async () => {
    const jumpFingerprint = opensshFingerprint(`${jump.hostKeyPath}.pub`)
    const targetFingerprint = opensshFingerprint(`${target.hostKeyPath}.pub`)
    const pinned = (hostPort: string, fingerprint: string) => ({
      hostPort,
      algorithm: "ssh-ed25519",
      fingerprint,
      firstSeen: new Date(0),
    })
    // Strict, the jump host known, the target not: refused at the target, naming it.
    const unknownTarget = await withSsh(
      { ...options, hostKeyPolicy: "strict" },
      (ssh) => Effect.flip(ssh.run(targetDevice("strict"), "true")),
      makeHostKeysMemory([pinned(`${ns.nsAddress}:22`, jumpFingerprint)]),
    )
    assert.equal((unknownTarget as SshError).reason, "host_key_unknown")
    assert.match(unknownTarget.message, /127\.0\.0\.1:2201/)
    // Strict, the target known, the jump host not: refused at the jump host.
    const unknownJump = await withSsh(
      { ...options, hostKeyPolicy: "strict" },
      (ssh) => Effect.flip(ssh.run(targetDevice("strict"), "true")),
      makeHostKeysMemory([pinned("127.0.0.1:2201", targetFingerprint)]),
    )
    assert.equal((unknownJump as SshError).reason, "host_key_unknown")
    assert.equal((unknownJump as SshError).device, "strict")
    assert.match(unknownJump.message, new RegExp(`jump host .*${ns.nsAddress.replaceAll(".", "\\.")}:22`))
    // TOFU, but the jump host presents another key than the one trusted: refused, nothing sent on.
    const targetLogins = target.acceptedFrom().length
    const mismatch = await withSsh(
      options,
      (ssh) => Effect.flip(ssh.run(targetDevice("tofu"), "true")),
      makeHostKeysMemory([pinned(`${ns.nsAddress}:22`, targetFingerprint)]),
    )
    assert.equal((mismatch as SshError).reason, "host_key_mismatch")
    assert.equal(target.acceptedFrom().length, targetLogins)
  })

  test("the jump is part of the connection's identity: changing it opens a new connection", async () => {
    const outcome = await withSsh(options, (ssh) =>
      Effect.gen(function* () {
        const first = yield* ssh.run(targetDevice("moving"), "echo via")
        const direct = yield* Effect.flip(ssh.run(targetDevice("moving", { proxyJump: "none" }), "echo direct"))
        return { first, direct }
      }))
    assert.equal(outcome.first.stdout, "via\n")
    assert.equal((outcome.direct as SshError).reason, "connect_refused")
  })

  test("an unreachable hop behind the jump host fails with the jump host named", async () => {
    const error = await withSsh(options, (ssh) => Effect.flip(ssh.run(targetDevice("nowhere", { port: 2299 }), "true")))
    assert.equal((error as SshError).reason, "connect_refused")
    assert.match(error.message, /cannot reach 127\.0\.0\.1:2299/)
  })
})

for (const backend of testBackends()) {
  describe(`proxy_jump through the API on ${backend.name}`, () => {
    test("stored, validated, shown, and used by the probe", async () => {
      await withTestApp(backend, { ssh: options }, async (t) => {
        const bad = await t.request("POST", "/api/devices", {
          name: "bad-jump",
          host: "127.0.0.1",
          proxy_jump: "user@:22",
        })
        assert.equal(bad.status, 400)
        assert.match(JSON.stringify(bad.body), /proxy_?[jJ]ump/)
        const wrongType = await t.request("POST", "/api/devices", { name: "bad2", host: "h", proxy_jump: 22 })
        assert.equal(wrongType.status, 400)

        const created = await t.request("POST", "/api/devices", {
          name: "behind",
          host: "127.0.0.1",
          port: 2201,
          username: TEST_USER,
          private_key_path: ns.privateKeyPath,
          proxy_jump: jumpSpec(),
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        assert.equal(created.body.proxy_jump, jumpSpec())
        assert.equal(created.body.probe.ok, true, JSON.stringify(created.body.probe))

        const cleared = await t.request("PATCH", "/api/devices/behind", { proxy_jump: null })
        assert.equal(cleared.status, 200)
        assert.equal(cleared.body.proxy_jump, null)
        const shown = await t.request("GET", "/api/devices/behind")
        assert.equal(shown.body.proxy_jump, null)
      })
    })
  })
}

import assert from "node:assert/strict"
import { Buffer } from "node:buffer"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Chunk, Effect, Stream } from "effect"
import { shq } from "../src/domain/quote.ts"
import { sshDevice, withSsh } from "./harness/ssh-device.ts"
import { type SshdHandle, startSshd } from "./harness/sshd.ts"

let sshd: SshdHandle

before(async () => {
  sshd = await startSshd({ shims: { fakedocker: `echo "docker shim: $*"` } })
})
after(() => sshd.stop())

describe("Ssh over a real sshd", () => {
  test("stdout, stderr and exit code come back separately; a non-zero exit is a result, not retried", async () => {
    const device = sshDevice(sshd, "basic")
    const { result, stats } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const result = yield* ssh.run(device, "echo out; echo err >&2; printf 'no newline'; exit 3")
        return { result, stats: ssh.stats() }
      }))
    assert.equal(result.stdout, "out\nno newline")
    assert.equal(result.stderr, "err\n")
    assert.equal(result.exitCode, 3)
    assert.equal(result.truncated, false)
    assert.equal(result.bytes, Buffer.byteLength("out\nno newline") + Buffer.byteLength("err\n"))
    assert.equal(stats.commandsRun, 1)
    assert.equal(stats.failures, 0)
  })

  test("many commands reuse one connection (one login on the server)", async () => {
    const device = sshDevice(sshd, "reuse")
    const loginsBefore = sshd.acceptedLogins()
    const stats = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        for (let i = 0; i < 40; i++) {
          const r = yield* ssh.run(device, `echo ${i}`)
          assert.equal(r.stdout, `${i}\n`)
        }
        return ssh.stats()
      }))
    assert.equal(sshd.acceptedLogins() - loginsBefore, 1)
    assert.equal(stats.connectionsOpened, 1)
    assert.equal(stats.commandsRun, 40)
    assert.equal(stats.connectionsReused, 39)
    assert.equal(stats.openConnections, 1)
  })

  test("concurrent first calls share one connect; more commands than shells queue and all finish", async () => {
    const device = sshDevice(sshd, "concurrent")
    const loginsBefore = sshd.acceptedLogins()
    const started = Date.now()
    const results = await withSsh({ shellsPerConnection: 3 }, (ssh) =>
      Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) => ssh.run(device, `sleep 0.3; echo ${i}; echo e${i} >&2`),
        { concurrency: "unbounded" },
      ))
    const elapsed = Date.now() - started
    assert.deepEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 10 }, (_, i) => `${i}\n`),
    )
    assert.deepEqual(
      results.map((r) => r.stderr),
      Array.from({ length: 10 }, (_, i) => `e${i}\n`),
    )
    assert.equal(sshd.acceptedLogins() - loginsBefore, 1)
    // 10 × 0.3 s on 3 shells needs 4 rounds (1.2 s); serial would be 3 s.
    assert.ok(elapsed >= 1150, `too fast for 3 shells: ${elapsed} ms`)
    assert.ok(elapsed < 2700, `not parallel: ${elapsed} ms`)
  })

  test("scripts with quotes, newlines, $(), backticks and unicode round-trip exactly", async () => {
    const device = sshDevice(sshd, "quoting")
    const values = [
      `it's "quoted" \\ back\\slash`,
      "line1\nline2\n\n",
      "$(echo injected) `echo injected` $HOME ${PATH} %s %d",
      "ünïcödé ✓ 日本語 🚀",
      "';\n exit 9; echo '",
      "\t\r\ntrailing spaces   ",
      "-n",
      "",
    ]
    const results = await withSsh(
      {},
      (ssh) =>
        Effect.forEach(
          values,
          (value) =>
            Effect.all([
              ssh.run(device, `printf '%s' ${shq(value)}`),
              ssh.run(device, `printf '%s' ${shq(value)} >&2`),
            ]),
        ),
    )
    results.forEach(([out, err], i) => {
      assert.equal(out.stdout, values[i])
      assert.equal(out.stderr, "")
      assert.equal(out.exitCode, 0)
      assert.equal(err.stderr, values[i])
      assert.equal(err.stdout, "")
    })
  })

  test("each command is isolated: stdin is closed, exit/cd/variables do not leak into the next", async () => {
    const device = sshDevice(sshd, "isolation")
    const loginsBefore = sshd.acceptedLogins()
    const [cat, exited, cd, after] = await withSsh({ shellsPerConnection: 1 }, (ssh) =>
      Effect.all([
        ssh.run(device, "cat; echo after-cat"),
        ssh.run(device, "FOO=leaked; cd /tmp; exit 7"),
        ssh.run(device, "cd /; pwd"),
        ssh.run(device, `echo "[$FOO]"; pwd`),
      ]))
    assert.equal(cat.stdout, "after-cat\n")
    assert.equal(exited.exitCode, 7)
    assert.equal(cd.stdout, "/\n")
    assert.equal(after.stdout, `[]\n/home/${sshd.user}\n`)
    assert.equal(sshd.acceptedLogins() - loginsBefore, 1)
  })

  test("PATH shims from the harness are first on the session PATH", async () => {
    const device = sshDevice(sshd, "shims")
    const result = await withSsh({}, (ssh) => ssh.run(device, "fakedocker ps -a"))
    assert.equal(result.stdout, "docker shim: ps -a\n")
  })

  test("large output is exact; output past the cap is cut, flagged, and the device keeps working", async () => {
    const device = sshDevice(sshd, "output-cap")
    const [big, capped, next] = await withSsh({ shellsPerConnection: 1 }, (ssh) =>
      Effect.all([
        ssh.run(device, "head -c 1000000 /dev/zero | tr '\\0' a"),
        ssh.run(device, "head -c 1000000 /dev/zero | tr '\\0' b; echo never-finished-marker", { maxOutputBytes: 5000 }),
        ssh.run(device, "echo still-alive"),
      ]))
    assert.equal(big.stdout.length, 1_000_000)
    assert.equal(big.stdout, "a".repeat(1_000_000))
    assert.equal(big.truncated, false)
    assert.equal(capped.truncated, true)
    assert.equal(capped.stdout, "b".repeat(5000))
    assert.ok(capped.bytes > 5000)
    assert.equal(next.stdout, "still-alive\n")
  })

  test("a command past its timeout fails with command_timeout and the next command still works", async () => {
    const device = sshDevice(sshd, "timeout")
    const loginsBefore = sshd.acceptedLogins()
    const { error, elapsed, next, stats } = await withSsh({ shellsPerConnection: 1 }, (ssh) =>
      Effect.gen(function* () {
        yield* ssh.run(device, "true")
        const started = Date.now()
        const error = yield* Effect.flip(ssh.run(device, "sleep 30", { timeout: "400 millis" }))
        const elapsed = Date.now() - started
        const next = yield* ssh.run(device, "echo next")
        return { error, elapsed, next, stats: ssh.stats() }
      }))
    assert.equal(error.reason, "command_timeout")
    assert.equal(error.device, "timeout")
    assert.ok(elapsed < 1500, `timeout took ${elapsed} ms`)
    assert.equal(next.stdout, "next\n")
    assert.equal(stats.failures, 1) // command_timeout is not retried
    assert.equal(sshd.acceptedLogins() - loginsBefore, 1)
  })

  test("interrupting a running command (caller-side timeout) frees its shell for the next command", async () => {
    const device = sshDevice(sshd, "interrupt")
    const { outcome, next } = await withSsh({ shellsPerConnection: 1 }, (ssh) =>
      Effect.gen(function* () {
        const outcome = yield* ssh.run(device, "sleep 30").pipe(Effect.timeoutOption("300 millis"))
        const next = yield* ssh.run(device, "echo free", { timeout: "2 seconds" })
        return { outcome, next }
      }))
    assert.equal(outcome._tag, "None")
    assert.equal(next.stdout, "free\n")
  })

  test("a command waiting for a busy shell also respects its timeout", async () => {
    const device = sshDevice(sshd, "queue-timeout")
    const [slow, queued] = await withSsh({ shellsPerConnection: 1 }, (ssh) =>
      Effect.all(
        [
          ssh.run(device, "sleep 1; echo slow", { timeout: "3 seconds" }),
          Effect.flip(
            Effect.andThen(Effect.sleep("50 millis"), ssh.run(device, "echo queued", { timeout: "300 millis" })),
          ),
        ],
        { concurrency: "unbounded" },
      ))
    assert.equal(slow.stdout, "slow\n")
    assert.equal(queued.reason, "command_timeout")
  })

  test("stream() emits stdout lines as they come and ends with the command", async () => {
    const device = sshDevice(sshd, "stream")
    const { lines, firstAt, started } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const started = Date.now()
        let firstAt = 0
        const lines = yield* ssh.stream(device, "for i in 1 2 3; do echo $i; sleep 0.1; done").pipe(
          Stream.tap(() =>
            Effect.sync(() => {
              if (firstAt === 0) firstAt = Date.now()
            })
          ),
          Stream.runCollect,
        )
        return { lines: Chunk.toReadonlyArray(Chunk.fromIterable(lines)), firstAt, started }
      }))
    assert.deepEqual(lines, ["1", "2", "3"])
    // The first line arrives before the command ends (~300 ms): it really streams.
    assert.ok(firstAt - started < 250, `first line after ${firstAt - started} ms`)
  })

  test("closing a stream early closes its channel; the connection stays usable", async () => {
    const device = sshDevice(sshd, "stream-close")
    const loginsBefore = sshd.acceptedLogins()
    const { lines, next } = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        const lines = yield* ssh.stream(device, "while true; do echo tick; sleep 0.05; done").pipe(
          Stream.take(3),
          Stream.runCollect,
        )
        const next = yield* ssh.run(device, "echo after-stream")
        return { lines: [...lines], next }
      }))
    assert.deepEqual(lines, ["tick", "tick", "tick"])
    assert.equal(next.stdout, "after-stream\n")
    assert.equal(sshd.acceptedLogins() - loginsBefore, 1)
  })

  test("a stream command that exits non-zero fails with its stderr", async () => {
    const device = sshDevice(sshd, "stream-fail")
    const error = await withSsh(
      {},
      (ssh) =>
        Effect.flip(Stream.runCollect(ssh.stream(device, "echo partial; echo 'inotifywait: not found' >&2; exit 127"))),
    )
    assert.equal(error.reason, "channel_failed")
    assert.match(error.message, /127.*inotifywait: not found/)
  })

  test("an idle connection is closed after idleTimeoutMs and reopened on the next call", async () => {
    const device = sshDevice(sshd, "idle")
    const loginsBefore = sshd.acceptedLogins()
    const { idle, after } = await withSsh({ idleTimeoutMs: 200 }, (ssh) =>
      Effect.gen(function* () {
        yield* ssh.run(device, "true")
        yield* Effect.sleep("500 millis")
        const idle = ssh.stats()
        yield* ssh.run(device, "true")
        return { idle, after: ssh.stats() }
      }))
    assert.equal(idle.openConnections, 0)
    assert.equal(after.openConnections, 1)
    assert.equal(after.connectionsOpened, 2)
    assert.equal(sshd.acceptedLogins() - loginsBefore, 2)
  })

  test("~/.ssh/config aliases are honoured: HostName, Port, User, IdentityFile; device fields win when set", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "infra-sshcfg-"))
    try {
      const configPath = path.join(dir, "config")
      writeFileSync(
        configPath,
        [
          "Host other-*",
          "  User nobody",
          `Host web-alias !web-alias-off`,
          `  HostName ${sshd.host}`,
          `  Port ${sshd.port}`,
          `  User ${sshd.user}`,
          `  IdentityFile ${sshd.privateKeyPath}`,
          "Host *",
          "  Port 1",
          "",
        ].join("\n"),
      )
      const alias = sshDevice(sshd, "alias", { host: "web-alias", port: null, username: null, privateKeyPath: null })
      const [viaAlias, overridden] = await withSsh({ sshConfigPath: configPath }, (ssh) =>
        Effect.all([
          ssh.run(alias, "id -un"),
          // Port 1 from "Host *" would be refused; the device's own port wins.
          ssh.run(sshDevice(sshd, "fields-win", { host: sshd.host }), "echo fields"),
        ]))
      assert.equal(viaAlias.stdout, `${sshd.user}\n`)
      assert.equal(overridden.stdout, "fields\n")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("close(device) drops the connection; an edited device gets a new one", async () => {
    const device = sshDevice(sshd, "close")
    const stats = await withSsh({}, (ssh) =>
      Effect.gen(function* () {
        yield* ssh.run(device, "true")
        yield* ssh.close("close")
        assert.equal(ssh.stats().openConnections, 0)
        yield* ssh.run(device, "true")
        // Same name, edited key path (same file, other spelling): the old connection is replaced.
        yield* ssh.run({ ...device, privateKeyPath: sshd.privateKeyPath.replace(/\/([^/]+)$/, "/./$1") }, "true")
        return ssh.stats()
      }))
    assert.equal(stats.connectionsOpened, 3)
    assert.equal(stats.openConnections, 1)
  })
})

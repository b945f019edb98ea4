import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Effect, Stream } from "effect"
import { shq } from "../src/domain/quote.ts"
import { localDevice, withSsh } from "./harness/ssh-device.ts"

describe("local transport", () => {
  const device = localDevice("this-machine")

  test("runs a script under /bin/sh with separate stdout, stderr and exit code", async () => {
    const value = `it's "q" $(x) \`y\` ✓\n`
    const [result, quoted, stdin] = await withSsh({}, (ssh) =>
      Effect.all([
        ssh.run(device, "echo out; echo err >&2; exit 4"),
        ssh.run(device, `printf '%s' ${shq(value)}`),
        ssh.run(device, "cat; echo stdin-closed"),
      ]))
    assert.equal(result.stdout, "out\n")
    assert.equal(result.stderr, "err\n")
    assert.equal(result.exitCode, 4)
    assert.equal(quoted.stdout, value)
    assert.equal(stdin.stdout, "stdin-closed\n")
  })

  test("a timeout kills the whole process group and fails with command_timeout", async () => {
    const started = Date.now()
    const error = await withSsh(
      {},
      (ssh) => Effect.flip(ssh.run(device, "sleep 30 & sleep 30; wait", { timeout: "300 millis" })),
    )
    assert.equal(error.reason, "command_timeout")
    assert.ok(Date.now() - started < 2000)
  })

  test("output past the cap is cut and flagged", async () => {
    const result = await withSsh(
      {},
      (ssh) => ssh.run(device, "head -c 200000 /dev/zero | tr '\\0' z", { maxOutputBytes: 1000 }),
    )
    assert.equal(result.truncated, true)
    assert.equal(result.stdout, "z".repeat(1000))
  })

  test("stream() yields lines", async () => {
    const lines = await withSsh(
      {},
      (ssh) => Stream.runCollect(ssh.stream(device, "for i in 1 2 3; do echo $i; sleep 0.1; done")),
    )
    assert.deepEqual([...lines], ["1", "2", "3"])
  })

  test("stats count local commands and never open a connection", async () => {
    const stats = await withSsh({}, (ssh) => Effect.andThen(ssh.run(device, "echo 12345"), Effect.sync(ssh.stats)))
    assert.equal(stats.commandsRun, 1)
    assert.equal(stats.bytesReceived, 6)
    assert.equal(stats.connectionsOpened, 0)
  })
})

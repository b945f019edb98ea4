/**
 * Issue 12: an error code names the real cause. A tool that runs and fails (Docker daemon stopped,
 * systemctl without systemd) is a command failure carrying its stderr, decided once in the pipeline:
 * 502 `command_failed`, with the data type, the failed section and the tool's own words. Output that
 * is there but malformed stays 502 `parse_error`. Both through the REST API, from real sshd hosts
 * whose PATH shims print what the real tools print.
 */
import assert from "node:assert/strict"
import { chmodSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import type { CommandResult } from "../src/domain/command.ts"
import { MARKER } from "../src/domain/section-framing.ts"
import { NotFound, ParseError } from "../src/domain/errors.ts"
import { cleanStderr, explainFailure, STDERR_LIMIT } from "../src/pipeline/command-failure.ts"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import {
  DOCKER_DAEMON_DOWN,
  dockerDaemonDownShim,
  dockerGarbledPsShim,
  NO_SYSTEMD,
  noSystemdShim,
} from "./harness/shims/failing-tools.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/** Docker installed, its daemon stopped; systemctl installed, systemd not running. */
let broken: SshdHandle
/** Docker whose `ps` output is cut short. */
let garbled: SshdHandle
before(async () => {
  broken = await startSshd({ address: "127.0.0.82", shims: { docker: dockerDaemonDownShim, systemctl: noSystemdShim } })
  garbled = await startSshd({ address: "127.0.0.83", shims: { docker: dockerGarbledPsShim() } })
})
after(() => stopAllSshd())

const deviceBody = (name: string, sshd: SshdHandle) => ({
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

for (const backend of testBackends()) {
  describe(`command failures on ${backend.name}`, () => {
    test("a stopped Docker daemon answers command_failed with docker's stderr, not parse_error", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices", deviceBody("docker-down", broken))).status, 201)
        const res = await t.request("GET", "/api/devices/docker-down/containers")
        assert.equal(res.status, 502, JSON.stringify(res.body))
        assert.equal(res.body.error.code, "command_failed")
        assert.ok(res.body.error.message.includes(DOCKER_DAEMON_DOWN), res.body.error.message)
        assert.deepEqual(res.body.error.details, {
          data_type: "containers",
          section: "ps",
          exit_code: 1,
          stderr: DOCKER_DAEMON_DOWN,
        })

        const networks = await t.request("GET", "/api/devices/docker-down/docker_networks")
        assert.equal(networks.status, 502)
        assert.equal(networks.body.error.code, "command_failed")
        assert.equal(networks.body.error.details.stderr, DOCKER_DAEMON_DOWN)

        // Actions are decided the same way, by the pipeline and not by their parser.
        const restart = await t.request("POST", "/api/devices/docker-down/containers/web/restart")
        assert.equal(restart.status, 502, JSON.stringify(restart.body))
        assert.equal(restart.body.error.code, "command_failed")
        assert.equal(restart.body.error.details.stderr, DOCKER_DAEMON_DOWN)

        const audit = await t.request("GET", "/api/audit?device=docker-down&data_type=containers&status=error")
        assert.equal(audit.body.count, 1)
        assert.ok(audit.body.entries[0].error_message.includes(DOCKER_DAEMON_DOWN))

        // The host answered: one failing type makes it degraded, never offline.
        const device = await t.request("GET", "/api/devices/docker-down")
        assert.equal(device.body.status, "degraded")
      })
    })

    test("systemctl without systemd answers command_failed with what systemctl said, not 'printed nothing'", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices", deviceBody("no-systemd", broken))).status, 201)
        const res = await t.request("GET", "/api/devices/no-systemd/systemd_services")
        assert.equal(res.status, 502, JSON.stringify(res.body))
        assert.equal(res.body.error.code, "command_failed")
        assert.match(res.body.error.message, /System has not been booted with systemd as init system/)
        assert.doesNotMatch(res.body.error.message, /printed nothing/)
        assert.equal(res.body.error.details.section, "units")
        assert.equal(res.body.error.details.exit_code, 1)
        assert.equal(res.body.error.details.stderr, NO_SYSTEMD, "each line once, though three commands said it")
        assert.notEqual((await t.request("GET", "/api/devices/no-systemd")).body.status, "offline")
      })
    })

    test("a tool gone since the probe (exit 127) answers 422 unsupported, not parse_error", async () => {
      await withTestApp(backend, {}, async (t) => {
        const shim = path.join(garbled.shimDir, "zpool")
        writeFileSync(shim, "#!/bin/sh\nexit 0\n")
        chmodSync(shim, 0o755)
        try {
          assert.equal((await t.request("POST", "/api/devices", deviceBody("zfs-gone", garbled))).status, 201)
          assert.equal((await t.request("GET", "/api/devices/zfs-gone")).body.capabilities.tools.zpool, true)
        } finally {
          rmSync(shim, { force: true })
        }
        const res = await t.request("GET", "/api/devices/zfs-gone/zfs")
        assert.equal(res.status, 422, JSON.stringify(res.body))
        assert.equal(res.body.error.code, "unsupported_data_type")
        assert.match(res.body.error.message, /'zpool_list': command not found .*\(exit 127\)/)
      })
    })

    test("output that is there but malformed is still parse_error", async () => {
      await withTestApp(backend, {}, async (t) => {
        assert.equal((await t.request("POST", "/api/devices", deviceBody("garbled", garbled))).status, 201)
        const res = await t.request("GET", "/api/devices/garbled/containers")
        assert.equal(res.status, 502, JSON.stringify(res.body))
        assert.equal(res.body.error.code, "parse_error")
        assert.equal(res.body.error.details, undefined)
      })
    })
  })
}

const result = (stdout: string, stderr: string, exitCode = 0): CommandResult => ({
  stdout,
  stderr,
  exitCode,
  durationMs: 1,
  bytes: stdout.length + stderr.length,
  truncated: false,
})
const framed = (name: string, body: string, rc: number) => `\n${MARKER} ${name}\n${body}\n${MARKER}-rc ${name} ${rc}\n`
const bad = (at?: string) => new ParseError({ dataType: "t", message: "m", ...(at === undefined ? {} : { at }) })

describe("explainFailure: one decision from the command result and the parser's failure", () => {
  test("sections: the one the parser names decides", () => {
    const out = framed("a", "x", 0) + framed("b", "", 1) + framed("c", "junk", 0) + framed("d", "", 127)
    const failed = explainFailure("h", "t", result(out, "boom\nboom\n"), bad("b"))
    assert.equal(failed._tag, "CommandFailed")
    assert.deepEqual(failed._tag === "CommandFailed" && [failed.section, failed.exitCode, failed.stderr], [
      "b",
      1,
      "boom",
    ])
    assert.equal(
      explainFailure("h", "t", result(out, "boom"), bad("c: line 2"))._tag,
      "ParseError",
      "exit 0: malformed",
    )
    assert.equal(explainFailure("h", "t", result(out, ""), bad("b"))._tag, "CommandFailed", "failed, printed nothing")
    assert.equal(explainFailure("h", "t", result(out, ""), bad("d"))._tag, "UnsupportedDataType")
    assert.equal(explainFailure("h", "t", result(out, "boom"), bad("line 3"))._tag, "ParseError", "no section named")
  })

  test("single commands: exit status, stdout and stderr decide", () => {
    assert.equal(explainFailure("h", "t", result("", "denied", 1), bad())._tag, "CommandFailed")
    assert.equal(explainFailure("h", "t", result("", "", 2), bad())._tag, "CommandFailed", "failed silently")
    assert.equal(explainFailure("h", "t", result("", "only stderr", 0), bad())._tag, "CommandFailed")
    assert.equal(explainFailure("h", "t", result("", "sh: 1: x: not found", 127), bad())._tag, "UnsupportedDataType")
    assert.equal(explainFailure("h", "t", result("{oops", "", 0), bad())._tag, "ParseError")
    assert.equal(explainFailure("h", "t", result("partial", "", 1), bad())._tag, "ParseError", "output, no word why")
    const missing = new NotFound({ message: "no such container" })
    assert.equal(explainFailure("h", "t", result("", "No such container: x", 1), missing), missing)
  })

  test("stderr is kept once per line and bounded, the end kept", () => {
    assert.equal(cleanStderr("a\n\n  \nb  \na\nb\n"), "a\nb")
    const long = cleanStderr(Array.from({ length: 500 }, (_, i) => `line ${i}`).join("\n"))
    assert.equal(long.length, STDERR_LIMIT)
    assert.ok(long.endsWith("line 499"))
  })
})

/**
 * The collectors' scripts are POSIX sh: run them under dash, busybox ash and bash on this machine's
 * real /proc and /sys, with this machine's tools and with busybox's (applet links first on PATH), and
 * parse what they print with the real parsers. Shims stand in only where this machine has no answer
 * (systemctl without systemd) or to take a feature away (a df without -T, a timeout without its
 * coreutils syntax: older busybox).
 */
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import process from "node:process"
import { after, describe, it } from "node:test"
import { Result } from "effect"
import { capabilities } from "../src/collectors/capabilities/capabilities.ts"
import { networkInterfaces } from "../src/collectors/network-interfaces/network-interfaces.ts"
import { systemMetrics } from "../src/collectors/system-metrics/system-metrics.ts"
import { systemdServices } from "../src/collectors/systemd-services/systemd-services.ts"
import type { CommandResult } from "../src/domain/command.ts"
import type { AnyDataTypeSpec } from "../src/pipeline/DataType.ts"
import { noSystemdShim } from "./harness/shims/failing-tools.ts"
import { systemdShims } from "./harness/shims/systemd.ts"

const BUSYBOX = "/usr/bin/busybox"
const SHELLS: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["dash", ["/usr/bin/dash", "-c"]],
  ["busybox ash", [BUSYBOX, "ash", "-c"]],
  ["bash", ["/bin/bash", "-c"]],
]
const HOST_PATH = process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"

const root = mkdtempSync(path.join(os.tmpdir(), "infra-posix-sh-"))
after(() => rmSync(root, { recursive: true, force: true }))

let dirs = 0
/** A directory of executables: busybox applet links and shell-script shims. */
const binDir = (applets: ReadonlyArray<string>, shims: Record<string, string> = {}): string => {
  const dir = path.join(root, `bin${dirs++}`)
  mkdirSync(dir)
  for (const applet of applets) symlinkSync(BUSYBOX, path.join(dir, applet))
  for (const [name, body] of Object.entries(shims)) {
    writeFileSync(path.join(dir, name), body)
    chmodSync(path.join(dir, name), 0o755)
  }
  return dir
}

const run = (shell: ReadonlyArray<string>, script: string, pathVar: string): CommandResult => {
  const [cmd, ...args] = shell
  const out = spawnSync(cmd as string, [...args, script], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, PATH: pathVar },
  })
  return {
    stdout: out.stdout ?? "",
    stderr: out.stderr ?? "",
    exitCode: out.status ?? -1,
    durationMs: 0,
    bytes: (out.stdout ?? "").length,
    truncated: false,
  }
}

const parsed = <T>(spec: AnyDataTypeSpec, result: CommandResult): T => {
  const r = spec.parse(result, {})
  if (Result.isFailure(r)) {
    assert.fail(
      `${spec.name}: ${String(r.failure)}\nstdout:\n${result.stdout.slice(0, 3000)}\nstderr:\n${result.stderr}`,
    )
  }
  return r.success as T
}

/** Busybox applets the scripts call; the rest of PATH is still there for what busybox lacks. */
const busyboxUserland = binDir(["grep", "df", "sleep", "cat", "awk", "find", "head", "uname", "timeout", "nproc"])
/** Older busybox: df without -T or -B, timeout only as `timeout -t SECS`. */
const oldBusybox = binDir(["grep", "sleep", "cat"], {
  df: `#!/bin/sh\ncase "$*" in *T*|*B*) echo "df: invalid option" >&2; exit 1 ;; esac\nexec ${BUSYBOX} df "$@"\n`,
  timeout:
    `#!/bin/sh\nif [ "$1" = -t ]; then shift 2; exec "$@"; fi\necho "timeout: usage: timeout [-t SECS] PROG ARGS" >&2\nexit 1\n`,
})
const USERLANDS: ReadonlyArray<readonly [string, string]> = [
  ["this machine's tools", HOST_PATH],
  ["busybox tools", `${busyboxUserland}:${HOST_PATH}`],
  ["old busybox df and timeout", `${oldBusybox}:${HOST_PATH}`],
]

interface Metrics {
  hostname: string
  nproc: number | null
  sample_seconds: number
  cpu: { count: number; total: { delta_jiffies: number } }
  memory: { total_bytes: number }
  processes: { count: number }
  disk: { mounts: ReadonlyArray<{ mountpoint: string; type: string | null; size_bytes: number }> }
  network: { interfaces: ReadonlyArray<{ name: string }> }
}

describe("system_metrics script under every shell and userland", () => {
  for (const [shellName, shell] of SHELLS) {
    for (const [userland, pathVar] of USERLANDS) {
      it(`${shellName}, ${userland}`, () => {
        const m = parsed<Metrics>(systemMetrics, run(shell, systemMetrics.script({}), pathVar))
        assert.equal(m.hostname, os.hostname())
        assert.equal(m.nproc, os.availableParallelism())
        assert.ok(m.sample_seconds > 0)
        assert.ok(m.cpu.count >= 1 && m.cpu.total.delta_jiffies > 0)
        assert.ok(m.memory.total_bytes > 0)
        assert.ok(m.processes.count >= 1)
        assert.ok(m.network.interfaces.some((i) => i.name === "lo"))
        const rootMount = m.disk.mounts.find((d) => d.mountpoint === "/")
        assert.ok(rootMount !== undefined && rootMount.size_bytes > 0, "df lists /")
        // df -T where it exists; the old busybox df has no type column.
        if (userland.startsWith("old")) assert.equal(rootMount.type, null)
        else assert.notEqual(rootMount.type, null)
      })
    }
  }
})

interface Caps {
  hostname: string | null
  kernel: string | null
  arch: string | null
  cpu: { cores: number | null }
  memory_bytes: number | null
  root: boolean
  tools: Record<string, boolean>
}

describe("capability probe under every shell", () => {
  for (const [shellName, shell] of SHELLS) {
    for (const [userland, pathVar] of USERLANDS.slice(0, 2)) {
      it(`${shellName}, ${userland}`, () => {
        const c = parsed<Caps>(capabilities, run(shell, capabilities.script({}), pathVar))
        assert.equal(c.hostname, os.hostname())
        assert.equal(c.kernel, `${os.type()} ${os.release()}`)
        assert.equal(c.arch, spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim())
        assert.equal(c.cpu.cores, os.availableParallelism())
        assert.equal(c.memory_bytes, os.totalmem())
        assert.equal(c.root, process.getuid?.() === 0)
        assert.equal(c.tools["lsblk"], spawnSync("sh", ["-c", "command -v lsblk"]).status === 0)
      })
    }
  }
})

interface Network {
  interfaces: ReadonlyArray<{ name: string; counters: { rx_bytes: number } | null }>
}

describe("network_interfaces script under every shell", () => {
  const busyboxNet = binDir(["ip", "cat", "sleep", "netstat"])
  for (const [shellName, shell] of SHELLS) {
    for (const [userland, pathVar] of [["this machine's ip and ss", HOST_PATH], ["busybox ip", busyboxNet]]) {
      it(`${shellName}, ${userland}`, () => {
        const script = networkInterfaces.script({ interval: "0.1" })
        const n = parsed<Network>(networkInterfaces, run(shell, script, pathVar as string))
        const lo = n.interfaces.find((i) => i.name === "lo")
        assert.ok(lo !== undefined, "lo is listed")
        assert.ok((lo.counters?.rx_bytes ?? -1) >= 0)
      })
    }
  }
})

interface Services {
  units: ReadonlyArray<unknown>
}

describe("systemd_services script under every shell", () => {
  const withSystemd = binDir([], systemdShims)
  const withoutSystemd = binDir([], { systemctl: noSystemdShim })
  for (const [shellName, shell] of SHELLS) {
    it(`${shellName}: the recorded systemctl answers`, () => {
      const s = parsed<Services>(systemdServices, run(shell, systemdServices.script({}), `${withSystemd}:${HOST_PATH}`))
      assert.ok(s.units.length > 0)
    })
    it(`${shellName}: without systemd, list-units' failure and exit code reach the parser`, () => {
      const result = run(shell, systemdServices.script({}), `${withoutSystemd}:${HOST_PATH}`)
      const r = systemdServices.parse(result, {})
      assert.ok(Result.isFailure(r))
      assert.equal(r.failure.at, "units")
      assert.match(result.stdout, /@@INFRA@@-rc units 1\n/)
      assert.doesNotMatch(result.stdout, /unit_files|show|failed/)
    })
  }
})

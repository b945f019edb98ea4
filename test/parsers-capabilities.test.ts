import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import process from "node:process"
import { describe, it } from "node:test"
import { Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import { type Capabilities, PROBED_TOOLS, supportsDataType } from "../src/domain/capabilities.ts"
import {
  parseCapabilities,
  parseCpuinfo,
  parseMemTotal,
  parseOsRelease,
} from "../src/collectors/capabilities/parse-capabilities.ts"
import { section } from "../src/collectors/shared/sections.ts"
import { capabilities } from "../src/collectors/capabilities/capabilities.ts"
import { shq } from "../src/domain/quote.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { fixturePath, listFixtures, readFixture } from "./harness/fixtures.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { runScriptWithShims, vmStatusShims } from "./harness/shims/vms.ts"
import { mutations as mutate, ok, parseErrorOf } from "./harness/results.ts"

const cpuinfoFixtures = listFixtures("proc").filter((f) => f.includes("cpuinfo"))
const meminfoFixtures = listFixtures("proc").filter((f) => f.includes("meminfo"))

const parseError = (r: Result.Result<unknown, ParseError>): ParseError => parseErrorOf(r, "capabilities")

const mutations = (text: string, seed: number, count: number): Array<string> =>
  mutate(text, seed, count, [":", "\t", "\n", " ", "0", "#", "=", "@"])

/** What the probe sends for /proc/cpuinfo: the same awk filter, run on a recorded file. */
const firstKeysOf = (filePath: string): string =>
  spawnSync("awk", ["-F:", "!seen[$1]++", filePath], { encoding: "utf8" }).stdout
const firstKeys = (file: string): string => firstKeysOf(fixturePath("proc", file))

/** Non-x86 recordings kept with the tests (test/fixtures/proc, see test/fixtures/SOURCES.md). */
const localProcDir = path.resolve(process.cwd(), "test/fixtures/proc")
const localCpuinfo = readdirSync(localProcDir).filter((f) => f.includes("proc-cpuinfo")).sort()

const expected: Record<string, { model: string; processors: number; hypervisor: boolean }> = {
  "gopsutil__proc-cpuinfo_hygon-c86.txt": { model: "Hygon C86-4G (OPN:5435)", processors: 1, hypervisor: false },
  "insights__proc-cpuinfo_2x-xeon-e5-2670_32threads.txt": {
    model: "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz",
    processors: 32,
    hypervisor: false,
  },
  "insights__proc-cpuinfo_i7-4800MQ-8threads.txt": {
    model: "Intel(R) Core(TM) i7-4800MQ CPU @ 2.70GHz",
    processors: 8,
    hypervisor: false,
  },
  "insights__proc-cpuinfo_s390x.txt": { model: "IBM/S390 machine 3906", processors: 2, hypervisor: false },
  "jc__proc-cpuinfo_x86-1cpu.txt": {
    model: "Intel(R) Core(TM) i5-7360U CPU @ 2.30GHz",
    processors: 1,
    hypervisor: true,
  },
  "node_exporter__proc-cpuinfo_x86-i7-8650U-8threads.txt": {
    model: "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz",
    processors: 8,
    hypervisor: false,
  },
  "procfs__proc-cpuinfo_loongarch64.txt": { model: "Loongson-3A5000", processors: 4, hypervisor: false },
  "procfs__proc-cpuinfo_mips.txt": { model: "Cavium Octeon+ V0.1", processors: 2, hypervisor: false },
  "procfs__proc-cpuinfo_riscv64.txt": { model: "rv64imafdcsu", processors: 2, hypervisor: false },
}

/** Probe output with given section bodies and exit codes, framed by the real section(). */
const framed = (parts: Record<string, readonly [body: string, rc: number]>): CommandResult =>
  runScriptWithShims(
    {},
    Object.entries(parts)
      .map(([name, [body, rc]]) => section(name, `printf '%s\\n' ${shq(body)}; (exit ${rc})`))
      .join("\n"),
  )

const toolsBody = (present: ReadonlyArray<string>) =>
  PROBED_TOOLS.map((t) => `${t} ${present.includes(t) ? "yes" : "no"}`).join("\n")

/** A complete probe output; override sections to test one aspect. */
const probe = (over: Record<string, readonly [string, number]> = {}): CommandResult =>
  framed({
    os_release: [
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian',
      0,
    ],
    uname: ["Linux\n6.1.0-18-amd64\nx86_64\nnas", 0],
    cpuinfo: [firstKeys("insights__proc-cpuinfo_2x-xeon-e5-2670_32threads.txt"), 0],
    nproc: ["32", 0],
    meminfo: ["MemTotal:        8009912 kB", 0],
    virt: ["none", 1],
    container_markers: ["", 0],
    init: ["systemd\n@systemd-booted", 0],
    tools: [toolsBody(["docker", "zpool", "journalctl", "systemctl"]), 0],
    privilege: ["none", 0],
    compose_files: ["/opt/b/compose.yaml\n/opt/a/docker-compose.yml\n/opt/a/docker-compose.yml", 1],
    nginx_dirs: ["/etc/nginx/conf.d", 0],
    ...over,
  })

describe("capabilities: recorded /proc files", () => {
  it("every cpuinfo fixture has an expectation", () => {
    assert.deepEqual(cpuinfoFixtures, Object.keys(expected).sort())
  })

  for (const file of cpuinfoFixtures) {
    it(`${file}: model, processor count, hypervisor flag (whole file and the probe's first-keys cut)`, () => {
      const want = expected[file]
      assert.ok(want !== undefined)
      const whole = ok(parseCpuinfo(readFixture("proc", file)))
      assert.equal(whole.model, want.model)
      assert.equal(whole.processors, want.processors)
      assert.equal(whole.flags.includes("hypervisor"), want.hypervisor)
      const cut = ok(parseCpuinfo(firstKeys(file)))
      assert.equal(cut.model, want.model)
      assert.deepEqual(cut.flags, whole.flags)
    })
  }

  // `cut` is what the probe's first-keys awk leaves: only the first CPU part of a big.LITTLE system.
  const local: Record<string, { model: string; cut?: string; processors: number }> = {
    "cpu_features__proc-cpuinfo_ppc64le-power8-powernv-excerpt.txt": {
      model: "POWER8 (raw), altivec supported",
      processors: 2,
    },
    "procfs__proc-cpuinfo_armv6-legacy-no-index.txt": { model: "ARM1136", processors: 0 },
    "procfs__proc-cpuinfo_armv7-bcm2835.txt": { model: "ARM Cortex-A72", processors: 4 },
    "procfs__proc-cpuinfo_armv7-legacy-Processor-line.txt": { model: "ARM Cortex-A7", processors: 2 },
    "procfs__proc-cpuinfo_ppc64-power7-6threads.txt": {
      model: "POWER7 (architected), altivec supported",
      processors: 6,
    },
    "procfs__proc-cpuinfo_s390x-4cpus-core-ids.txt": { model: "IBM/S390 machine 2964", processors: 4 },
    "pytorch-cpuinfo__proc-cpuinfo_arm64-big-little-a53-a57-nexus5x.txt": {
      model: "ARM Cortex-A53 + ARM Cortex-A57",
      cut: "ARM Cortex-A53",
      processors: 6,
    },
    "pytorch-cpuinfo__proc-cpuinfo_arm64-cavium-thunderx-scaleway.txt": {
      model: "Cavium ThunderX 88xx",
      processors: 6,
    },
    "pytorch-cpuinfo__proc-cpuinfo_arm64-cortex-a57-jetson-tx1.txt": { model: "ARM Cortex-A57", processors: 4 },
  }

  it("every local cpuinfo recording has an expectation", () => {
    assert.deepEqual(localCpuinfo, Object.keys(local).sort())
  })

  for (const file of localCpuinfo) {
    it(`${file} (non-x86): the CPU model, not the machine's or nothing`, () => {
      const want = local[file]
      assert.ok(want !== undefined)
      const whole = ok(parseCpuinfo(readFileSync(path.join(localProcDir, file), "utf8")))
      assert.equal(whole.model, want.model)
      assert.equal(whole.processors, want.processors)
      assert.equal(whole.flags.includes("hypervisor"), false)
      assert.equal(ok(parseCpuinfo(firstKeysOf(path.join(localProcDir, file)))).model, want.cut ?? want.model)
    })
  }

  for (const file of meminfoFixtures) {
    it(`${file}: MemTotal in bytes`, () => {
      const text = readFixture("proc", file)
      const kb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(text)?.[1])
      assert.ok(kb > 0)
      assert.equal(ok(parseMemTotal(text)), kb * 1024)
    })
  }

  it("unusable cpuinfo and meminfo are ParseErrors", () => {
    assert.match(parseError(parseCpuinfo("garbage\n")).message, /no 'key : value' lines/)
    assert.match(parseError(parseMemTotal(readFixture("proc", "jc__proc-loadavg.txt"))).message, /MemTotal/)
  })

  it("os-release quoting", () => {
    const m = parseOsRelease(
      '# c\nID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu \\"Jammy\\""\nNAME=\'x y\'\nbroken line\n',
    )
    assert.equal(m.get("ID"), "ubuntu")
    assert.equal(m.get("VERSION_ID"), "22.04")
    assert.equal(m.get("PRETTY_NAME"), 'Ubuntu "Jammy"')
    assert.equal(m.get("NAME"), "x y")
  })

  it("mutated cpuinfo never throws", () => {
    for (const file of cpuinfoFixtures) {
      for (const v of mutations(readFixture("proc", file), file.length, 30)) {
        const r = parseCpuinfo(v)
        if (Result.isFailure(r)) assert.ok(r.failure instanceof ParseError)
      }
    }
  })
})

describe("capabilities probe", () => {
  it("runs on this machine and agrees with what Node sees", () => {
    const shims = { ...vmStatusShims, journalctl: systemLogsShims["journalctl"] as string }
    const caps = ok(capabilities.parse(runScriptWithShims(shims, capabilities.script({})), {}))
    assert.equal(caps.hostname, os.hostname())
    assert.equal(caps.memory_bytes, os.totalmem())
    assert.equal(caps.arch, spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim())
    assert.equal(caps.kernel, `${os.type()} ${os.release()}`)
    assert.equal(caps.cpu.cores, Number(spawnSync("nproc", { encoding: "utf8" }).stdout.trim()))
    for (const tool of ["virsh", "qm", "pct", "journalctl"]) assert.equal(caps.tools[tool], true, tool)
    assert.deepEqual(Object.keys(caps.tools).sort(), [...PROBED_TOOLS].sort())
    assert.equal(caps.root, process.getuid?.() === 0)
    if (existsSync("/etc/os-release")) assert.notEqual(caps.os.id, null)
    assert.deepEqual(capabilities.toRows(caps), [])
    assert.equal(capabilities.table, "")
  })

  it("a complete probe output", () => {
    const caps: Capabilities = ok(parseCapabilities(probe()))
    assert.deepEqual(caps, {
      os: { id: "debian", version_id: "12", pretty_name: "Debian GNU/Linux 12 (bookworm)" },
      kernel: "Linux 6.1.0-18-amd64",
      arch: "x86_64",
      hostname: "nas",
      cpu: { model: "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz", cores: 32 },
      memory_bytes: 8009912 * 1024,
      virtualization: { kind: "none", type: null, source: "systemd-detect-virt" },
      init: "systemd",
      tools: Object.fromEntries(
        PROBED_TOOLS.map((t) => [t, ["docker", "zpool", "journalctl", "systemctl"].includes(t)]),
      ),
      sudo: false,
      root: false,
      compose_files: ["/opt/a/docker-compose.yml", "/opt/b/compose.yaml"],
      nginx_dirs: ["/etc/nginx/conf.d"],
    })
  })

  it("virtualization: systemd-detect-virt, else marker files, else the cpuinfo hypervisor flag", () => {
    const virt = (over: Record<string, readonly [string, number]>) => ok(parseCapabilities(probe(over))).virtualization
    assert.deepEqual(virt({ virt: ["kvm", 0] }), { kind: "vm", type: "kvm", source: "systemd-detect-virt" })
    assert.deepEqual(virt({ virt: ["lxc", 0] }), { kind: "container", type: "lxc", source: "systemd-detect-virt" })
    assert.deepEqual(virt({ virt: ["", 127], container_markers: ["/.dockerenv", 0] }), {
      kind: "container",
      type: "docker",
      source: "marker-file",
    })
    assert.deepEqual(virt({ virt: ["", 127], cpuinfo: [firstKeys("jc__proc-cpuinfo_x86-1cpu.txt"), 0] }), {
      kind: "vm",
      type: null,
      source: "cpuinfo",
    })
    assert.deepEqual(virt({ virt: ["", 127] }), { kind: "none", type: null, source: "cpuinfo" })
    assert.deepEqual(virt({ virt: ["", 127], cpuinfo: [firstKeys("procfs__proc-cpuinfo_riscv64.txt"), 0] }), {
      kind: "unknown",
      type: null,
      source: "none",
    })
  })

  it("init and privilege", () => {
    const caps = ok(parseCapabilities(probe({ init: ["tini", 0], privilege: ["sudo", 0] })))
    assert.equal(caps.init, "tini")
    assert.equal(caps.sudo, true)
    assert.equal(caps.root, false)
  })

  it("broken sections are ParseErrors naming the section", () => {
    const missingTool = parseError(parseCapabilities(probe({ tools: [toolsBody([]).replace(/^nginx no$/m, ""), 0] })))
    assert.match(missingTool.message, /no answer for nginx/)
    assert.match(parseError(parseCapabilities(probe({ nproc: ["many", 0] }))).message, /nproc printed/)
    assert.match(parseError(parseCapabilities(probe({ privilege: ["maybe", 0] }))).message, /root\|sudo\|none/)
    assert.match(parseError(parseCapabilities(framed({ uname: ["Linux", 0] }))).message, /section 'os_release' missing/)
    assert.match(parseError(parseCapabilities({ ...probe(), truncated: true })).message, /truncated/)
  })

  it("mutated probe output never throws", () => {
    const full = probe()
    for (const v of mutations(full.stdout, 5, 200)) {
      const r = parseCapabilities({ ...full, stdout: v })
      if (Result.isFailure(r)) assert.ok(r.failure instanceof ParseError)
    }
  })
})

describe("supportsDataType", () => {
  const caps = (present: ReadonlyArray<string>, sudo = false): Capabilities => ({
    ...ok(parseCapabilities(probe())),
    tools: Object.fromEntries(PROBED_TOOLS.map((t) => [t, present.includes(t)])),
    sudo,
  })

  it("docker is met by docker or podman", () => {
    assert.deepEqual(supportsDataType(caps(["docker"]), ["docker"]), { ok: true })
    assert.deepEqual(supportsDataType(caps(["podman"]), ["docker"]), { ok: true })
    assert.deepEqual(supportsDataType(caps(["zpool"]), ["docker"]), {
      ok: false,
      reason: "requires docker or podman: not found on the device",
    })
  })

  it("alternatives with |, all requirements must hold, sudo from the probe", () => {
    assert.deepEqual(supportsDataType(caps(["pct"]), ["virsh|qm|pct"]), { ok: true })
    assert.equal(supportsDataType(caps([]), ["virsh|qm|pct"]).ok, false)
    assert.deepEqual(supportsDataType(caps(["qm"]), ["virsh"]), { ok: true })
    assert.deepEqual(supportsDataType(caps(["lsblk"]), ["zpool|lsblk"]), { ok: true })
    assert.equal(supportsDataType(caps(["smartctl"]), ["smartctl", "sudo"]).ok, false)
    assert.deepEqual(supportsDataType(caps(["smartctl"], true), ["smartctl", "sudo"]), { ok: true })
    assert.deepEqual(supportsDataType(caps([]), ["sudo"]), {
      ok: false,
      reason: "requires root or passwordless sudo (sudo -n true failed)",
    })
    assert.deepEqual(supportsDataType(caps([]), []), { ok: true })
  })

  it("a requirement the probe does not check is refused with that reason", () => {
    assert.deepEqual(supportsDataType(caps(PROBED_TOOLS), ["kubectl"]), {
      ok: false,
      reason: "requires 'kubectl', which the capability probe does not check",
    })
  })
})

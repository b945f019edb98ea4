import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { describe, it } from "node:test"
import { Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import { MARKER } from "../src/collectors/shared/sections.ts"
import { parseCpuinfo } from "../src/collectors/system-metrics/parse/cpuinfo.ts"
import { diskUsedPercentMax, parseDf } from "../src/collectors/system-metrics/parse/df.ts"
import { parseLoadavg } from "../src/collectors/system-metrics/parse/loadavg.ts"
import { parseMeminfo } from "../src/collectors/system-metrics/parse/meminfo.ts"
import { netRates, parseNetDev } from "../src/collectors/system-metrics/parse/netdev.ts"
import { parsePressure } from "../src/collectors/system-metrics/parse/pressure.ts"
import { cpuPercentFromSamples, parseProcStat, type ProcStat } from "../src/collectors/system-metrics/parse/stat.ts"
import { parseUptime } from "../src/collectors/system-metrics/parse/uptime.ts"
import { countCpuList, splitGrepFiles } from "../src/collectors/system-metrics/parse/grep-files.ts"
import {
  parseSystemMetrics,
  PREVIOUS_SAMPLE,
  previousSampleOf,
  SECTIONS,
} from "../src/collectors/system-metrics/parse-system-metrics.ts"
import { Effect } from "effect"
import { Store } from "../src/store/Store.ts"
import { localDevice } from "./harness/ssh-device.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { systemMetrics } from "../src/collectors/system-metrics/system-metrics.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { ok } from "./harness/results.ts"

const KiB = 1024

const err = <A>(r: Result.Result<A, ParseError>): ParseError => {
  assert.ok(Result.isFailure(r), "expected a ParseError")
  assert.ok(r.failure instanceof ParseError)
  assert.equal(r.failure.dataType, "system_metrics")
  assert.ok(r.failure.message.length > 0)
  assert.ok(r.failure.at !== undefined && r.failure.at.length > 0, "error names where it happened")
  return r.failure
}

/** Succeeds, or fails with a typed ParseError; never throws. */
const parsesOrTypedError = <A>(parse: () => Result.Result<A, ParseError>): "ok" | "error" => {
  const r = parse()
  if (Result.isSuccess(r)) return "ok"
  err(r)
  return "error"
}

/** Frame bodies the way section() does, as one script's stdout. */
const framed = (bodies: Record<string, string>, exitCodes: Record<string, number> = {}): CommandResult => {
  const stdout = Object.entries(bodies)
    .map(([name, body]) => `\n${MARKER} ${name}\n${body}\n${MARKER}-rc ${name} ${exitCodes[name] ?? 0}\n`)
    .join("")
  return { stdout, stderr: "", exitCode: 0, durationMs: 1, bytes: stdout.length, truncated: false }
}

const proc = (name: string) => readFixture("proc", name)
/** Recordings kept with the tests (test/fixtures/proc, see test/fixtures/SOURCES.md). */
const localProcDir = path.resolve(process.cwd(), "test/fixtures/proc")
const localProc = (name: string) => readFileSync(path.join(localProcDir, name), "utf8")
const procFixtures = (kind: string) => listFixtures("proc").filter((f) => f.includes(`proc-${kind}`))
const dfFixtures = listFixtures("drives").filter((f) => /__df/.test(f))

describe("per-file parsers over every fixture: parse or typed ParseError, never a throw", () => {
  const cases: Array<[string, ReadonlyArray<string>, (text: string) => Result.Result<unknown, ParseError>]> = [
    ["stat", procFixtures("stat"), (t) => parseProcStat(t)],
    ["meminfo", procFixtures("meminfo"), (t) => parseMeminfo(t)],
    ["loadavg", procFixtures("loadavg"), (t) => parseLoadavg(t)],
    ["uptime", procFixtures("uptime"), (t) => parseUptime(t)],
    ["pressure", procFixtures("pressure"), (t) => parsePressure(t)],
    ["cpuinfo", procFixtures("cpuinfo"), (t) => parseCpuinfo(t)],
  ]
  for (const [kind, files, parse] of cases) {
    it(`${kind}: all ${files.length} fixtures parse`, () => {
      assert.ok(files.length > 0, `no ${kind} fixtures found`)
      for (const f of files) assert.equal(parsesOrTypedError(() => parse(proc(f))), "ok", f)
    })
  }

  it("net/dev fixtures parse", () => {
    const files = listFixtures("network").filter((f) => f.includes("net-dev"))
    assert.equal(files.length, 2)
    for (const f of files) assert.equal(parsesOrTypedError(() => parseNetDev(readFixture("network", f))), "ok", f)
  })

  it("df fixtures: POSIX/1K-block outputs parse, df -h is a typed error", () => {
    assert.ok(dfFixtures.length >= 5)
    const outcomes = Object.fromEntries(
      dfFixtures.map((f) => [f, parsesOrTypedError(() => parseDf(readFixture("drives", f)))]),
    )
    for (const f of dfFixtures) assert.equal(outcomes[f], f.includes("df-h") ? "error" : "ok", f)
    const human = err(parseDf(readFixture("drives", "jc__ubuntu-18.04__df-h.txt")))
    assert.match(human.message, /df -h/)
  })

  it("other text (wrong file, empty, binary-ish) is a typed error for every parser", () => {
    const junk = ["", "\n\n", "hello world", "cpu x y z", "\u0000\u0001garbage: here"]
    for (const j of junk) {
      err(parseProcStat(j))
      err(parseMeminfo(j))
      err(parseLoadavg(j))
      err(parseUptime(j))
      err(parsePressure(j))
      err(parseCpuinfo(j))
      err(parseNetDev(j))
      err(parseDf(j))
    }
    // A real file of the wrong kind.
    err(parseLoadavg(proc("jc__proc-uptime.txt")))
    err(parseUptime(proc("jc__proc-loadavg.txt")))
    err(parseMeminfo(proc("jc__proc-stat.txt")))
    err(parseDf(proc("jc__proc-meminfo.txt")))
  })
})

describe("parseProcStat", () => {
  it("reads total, per-core and counters (jc)", () => {
    const s = ok(parseProcStat(proc("jc__proc-stat.txt")))
    assert.deepEqual(s.total, {
      user: 6002,
      nice: 152,
      system: 8398,
      idle: 3444436,
      iowait: 448,
      irq: 0,
      softirq: 1174,
      steal: 0,
      guest: 0,
      guestNice: 0,
    })
    assert.deepEqual(
      s.cores.map((c) => [c.cpu, c.times.user, c.times.idle]),
      [
        [0, 2784, 1732802],
        [1, 3218, 1711634],
      ],
    )
    assert.equal(s.contextSwitches, 4622716)
    assert.equal(s.bootTime, 1662154781)
    assert.equal(s.processesCreated, 9831)
    assert.equal(s.procsRunning, 1)
    assert.equal(s.procsBlocked, 0)
  })

  it("skips a ~128 KB intr line and reads 8 cores (procfs)", () => {
    const s = ok(parseProcStat(proc("procfs__proc-stat.txt")))
    assert.equal(s.cores.length, 8)
    assert.equal(s.cores[7]?.times.user, 29098)
    assert.equal(s.total.idle, 8979004)
    assert.equal(s.procsRunning, 2)
    assert.equal(s.procsBlocked, 1)
    assert.equal(s.contextSwitches, 38014093)
  })

  it("reads the steal column (insights, a VM)", () => {
    const s = ok(parseProcStat(proc("insights__proc-stat.txt")))
    assert.equal(s.total.steal, 18738206)
    assert.equal(s.total.softirq, 1522035)
    assert.equal(s.cores.length, 8)
  })

  it("tolerates the 4-column lines of a 2.4 kernel, rejects fewer", () => {
    const s = ok(parseProcStat("cpu  100 0 50 850\ncpu0 100 0 50 850\n"))
    assert.equal(s.total.iowait, 0)
    assert.equal(s.total.steal, 0)
    assert.equal(s.cores.length, 1)
    const e = err(parseProcStat("cpu  100 0 50\n"))
    assert.match(e.at ?? "", /stat line 1/)
  })
})

describe("cpuPercentFromSamples", () => {
  const base = ok(parseProcStat(proc("jc__proc-stat.txt")))
  const later = (d: Partial<Record<"user" | "system" | "idle" | "iowait" | "steal", number>>): ProcStat => {
    const bump = (t: ProcStat["total"]) => ({
      ...t,
      user: t.user + (d.user ?? 0),
      system: t.system + (d.system ?? 0),
      idle: t.idle + (d.idle ?? 0),
      iowait: t.iowait + (d.iowait ?? 0),
      steal: t.steal + (d.steal ?? 0),
    })
    return { ...base, total: bump(base.total), cores: base.cores.map((c) => ({ cpu: c.cpu, times: bump(c.times) })) }
  }

  it("computes busy, iowait and steal shares of the elapsed jiffies", () => {
    const p = cpuPercentFromSamples(base, later({ user: 30, system: 10, idle: 50, iowait: 5, steal: 5 }))
    assert.equal(p.total.delta_jiffies, 100)
    assert.equal(p.total.busy_percent, 45) // user + system + steal
    assert.equal(p.total.user_percent, 30)
    assert.equal(p.total.system_percent, 10)
    assert.equal(p.total.iowait_percent, 5)
    assert.equal(p.total.steal_percent, 5)
    assert.equal(p.cores.length, 2)
    assert.equal(p.cores[1]?.busy_percent, 45)
  })

  it("is all zero for a zero interval and for counters that went backwards", () => {
    const same = cpuPercentFromSamples(base, base)
    assert.deepEqual(same.total, {
      busy_percent: 0,
      user_percent: 0,
      system_percent: 0,
      iowait_percent: 0,
      steal_percent: 0,
      delta_jiffies: 0,
    })
    const back = cpuPercentFromSamples(later({ user: 100, idle: 100 }), base)
    assert.equal(back.total.busy_percent, 0)
    assert.equal(back.total.delta_jiffies, 0)
  })
})

describe("parseMeminfo", () => {
  it("converts kB to bytes and uses MemAvailable (jc)", () => {
    const m = ok(parseMeminfo(proc("jc__proc-meminfo.txt")))
    assert.equal(m.total_bytes, 3997272 * KiB)
    assert.equal(m.free_bytes, 2760316 * KiB)
    assert.equal(m.available_bytes, 3386876 * KiB)
    assert.equal(m.available_estimated, false)
    assert.equal(m.used_bytes, (3997272 - 3386876) * KiB)
    assert.equal(m.used_percent, 15.27)
    assert.equal(m.swap_total_bytes, 3996668 * KiB)
    assert.equal(m.swap_used_bytes, 0)
  })

  it("falls back to Free+Buffers+Cached without MemAvailable (node_exporter)", () => {
    const m = ok(parseMeminfo(proc("node_exporter__proc-meminfo.txt")))
    assert.equal(m.available_estimated, true)
    assert.equal(m.available_bytes, (225472 + 22040 + 930888) * KiB)
    assert.equal(m.swap_used_bytes, (4194300 - 3155360) * KiB)
  })

  it("skips the 2.4-era table header and handles a partial file without swap lines", () => {
    const legacy = ok(parseMeminfo(proc("gopsutil__proc-meminfo_legacy-2.4-header.txt")))
    assert.equal(legacy.total_bytes, 254472 * KiB)
    assert.equal(legacy.available_bytes, 210156 * KiB)
    const partial = ok(parseMeminfo(proc("gopsutil__proc-meminfo_minimal-anonhugepages.txt")))
    assert.equal(partial.total_bytes, 260799420 * KiB)
    assert.equal(partial.swap_total_bytes, 0)
    assert.equal(partial.swap_used_bytes, 0)
  })

  it("requires MemTotal", () => {
    assert.match(err(parseMeminfo("MemFree: 10 kB\n")).message, /MemTotal/)
  })
})

describe("parseLoadavg / parseUptime / parsePressure", () => {
  it("loadavg (node_exporter)", () => {
    assert.deepEqual(ok(parseLoadavg(proc("node_exporter__proc-loadavg.txt"))), {
      load1: 0.21,
      load5: 0.37,
      load15: 0.39,
      running: 1,
      total: 719,
      last_pid: 19737,
    })
    assert.equal(ok(parseLoadavg(proc("jc__proc-loadavg.txt"))).total, 111)
  })

  it("uptime (jc)", () => {
    assert.deepEqual(ok(parseUptime(proc("jc__proc-uptime.txt"))), { uptime_seconds: 46901.13, idle_seconds: 46856.66 })
  })

  it("pressure: some+full, full only without trailing newline, some only", () => {
    const io = ok(parsePressure(proc("node_exporter__proc-pressure-io.txt")))
    assert.deepEqual(io.some, { avg10: 0.18, avg60: 0.34, avg300: 0.1, total_micros: 159886802 })
    assert.equal(io.full?.total_micros, 159229614)
    const irq = ok(parsePressure(proc("node_exporter__proc-pressure-irq_no-trailing-newline.txt")))
    assert.equal(irq.some, null)
    assert.equal(irq.full?.total_micros, 8494)
    const cpu = ok(parsePressure(proc("procfs__proc-pressure-cpu_some-only.txt")))
    assert.equal(cpu.full, null)
    assert.equal(cpu.some?.avg300, 3.85)
    assert.match(err(parsePressure("some avg10=x avg60=0 avg300=0 total=1", "psi_cpu")).at ?? "", /psi_cpu line 1/)
  })
})

describe("parseNetDev / netRates", () => {
  it("lists lo but leaves it out of totals (jc)", () => {
    const n = ok(parseNetDev(readFixture("network", "jc__proc-net-dev.txt")))
    assert.deepEqual(
      n.interfaces.map((i) => [i.name, i.rx_bytes, i.tx_bytes, i.rx_packets]),
      [
        ["lo", 13222, 13222, 152],
        ["ens33", 60600053, 44256546, 109378],
      ],
    )
    assert.equal(n.totals.rx_bytes, 60600053)
    assert.equal(n.totals.tx_packets, 121425)
  })

  it("sums every non-loopback interface (procfs, docker host)", () => {
    const n = ok(parseNetDev(readFixture("network", "procfs__proc-net-dev.txt")))
    assert.equal(n.interfaces.length, 4)
    assert.equal(n.totals.rx_bytes, 648 + 2568 + 874354587)
    assert.equal(n.totals.tx_bytes, 438 + 438 + 563352563)
  })

  it("rates from two samples, excluding lo; zero interval gives zero", () => {
    const a = ok(parseNetDev(readFixture("network", "jc__proc-net-dev.txt")))
    const b = ok(
      parseNetDev(
        readFixture("network", "jc__proc-net-dev.txt")
          .replace("60600053", String(60600053 + 1000))
          .replace("13222     152", String(13222 + 500) + "     152"),
      ),
    )
    const r = netRates(a, b, 0.5)
    assert.equal(r.rx_bytes_per_sec, 2000)
    assert.equal(r.tx_bytes_per_sec, 0)
    assert.equal(r.interfaces.find((i) => i.name === "lo")?.rx_bytes_per_sec, 1000)
    assert.equal(netRates(a, b, 0).rx_bytes_per_sec, 0)
  })

  it("accepts a byte count glued to the colon, rejects short rows", () => {
    const header = readFixture("network", "jc__proc-net-dev.txt").split("\n").slice(0, 2).join("\n")
    const glued = ok(parseNetDev(`${header}\n  eth0:1234567890 5 0 0 0 0 0 0 99 1 0 0 0 0 0 0\n`))
    assert.equal(glued.interfaces[0]?.rx_bytes, 1234567890)
    assert.match(err(parseNetDev(`${header}\n  eth0: 1 2 3\n`)).message, /eth0/)
  })
})

describe("parseDf", () => {
  it("reads 1K-block df with pseudo filesystems flagged by name (centos)", () => {
    const d = ok(parseDf(readFixture("drives", "jc__centos-7.7__df.txt")))
    assert.equal(d.mounts.length, 7)
    const root = d.mounts.find((m) => m.mountpoint === "/")
    assert.deepEqual(root, {
      filesystem: "/dev/mapper/centos-root",
      type: null,
      size_bytes: 17811456 * KiB,
      used_bytes: 1805580 * KiB,
      available_bytes: 16005876 * KiB,
      used_percent: 10.14,
      mountpoint: "/",
      pseudo: false,
    })
    assert.deepEqual(
      d.mounts.filter((m) => m.pseudo).map((m) => m.filesystem),
      ["devtmpfs", "tmpfs", "tmpfs", "tmpfs", "tmpfs"],
    )
    // /boot: 237600 / (237600 + 800736)
    assert.equal(diskUsedPercentMax(d.mounts), 22.88)
  })

  it("ignores full snap squashfs loop mounts for the maximum (ubuntu)", () => {
    const d = ok(parseDf(readFixture("drives", "jc__ubuntu-18.04__df.txt")))
    assert.ok(d.mounts.filter((m) => m.filesystem.startsWith("/dev/loop")).every((m) => m.pseudo))
    assert.equal(diskUsedPercentMax(d.mounts), 29.56) // /dev/sda2 5748028 / (5748028 + 13695408)
  })

  it("reads -PT output with a long device name and a Type column", () => {
    const d = ok(parseDf(readFixture("drives", "jc__df-PT_long-filesystem-name.txt")))
    assert.deepEqual(
      d.mounts.map((m) => [m.filesystem, m.type, m.size_bytes, m.mountpoint, m.pseudo]),
      [
        ["/dev/mapper/VolGroup00-LogVol00", "ext3", 6030784 * KiB, "/", false],
        ["proc", "proc", 0, "/proc", true],
        ["sysfs", "sysfs", 0, "/sys", true],
      ],
    )
    assert.equal(d.mounts[1]?.used_percent, null)
  })

  it("skips df's own error lines before the header and blank lines (insights -alP)", () => {
    const d = ok(parseDf(readFixture("drives", "insights__df-alP_with-errors.txt")))
    assert.equal(d.mounts.length, 9)
    assert.equal(d.mounts[0]?.filesystem, "/dev/mapper/vg_lxcrhel6sat56-lv_root")
    assert.equal(d.mounts[0]?.size_bytes, 98571884 * KiB)
    assert.equal(diskUsedPercentMax(d.mounts), 4.54) // 4244032 / (4244032 + 89313940)
  })

  it("handles -B1, mount points with spaces, wrapped names, and falls back to pseudo mounts", () => {
    const d = ok(
      parseDf(
        [
          "Filesystem     1-blocks   Used Available Capacity Mounted on",
          "/dev/sdb1          1000    250       750      25% /mnt/my disk",
          "/dev/mapper/a-very-long-volume-group-name-lv",
          "                   2000   1000      1000      50% /data",
        ].join("\n"),
      ),
    )
    assert.deepEqual(
      d.mounts.map((m) => [m.filesystem, m.size_bytes, m.mountpoint, m.used_percent]),
      [
        ["/dev/sdb1", 1000, "/mnt/my disk", 25],
        ["/dev/mapper/a-very-long-volume-group-name-lv", 2000, "/data", 50],
      ],
    )
    const overlayOnly = ok(
      parseDf("Filesystem Type 1-blocks Used Available Capacity Mounted on\noverlay overlay 1000 400 600 40% /\n"),
    )
    assert.equal(overlayOnly.mounts[0]?.pseudo, true)
    assert.equal(diskUsedPercentMax(overlayOnly.mounts), 40)
  })

  it("rejects rows it cannot read with the line number", () => {
    const e = err(parseDf("Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/sda1 12 x 3 4% /\n"))
    assert.equal(e.at, "df line 2")
  })
})

describe("parseCpuinfo", () => {
  const cpu = (f: string) => ok(parseCpuinfo(proc(f)))

  it("x86: threads, cores and sockets from physical/core ids", () => {
    const xeon = cpu("insights__proc-cpuinfo_2x-xeon-e5-2670_32threads.txt")
    assert.deepEqual(xeon, {
      arch: "x86",
      vendor: "GenuineIntel",
      model: "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz",
      threads: 32,
      cores: 16,
      sockets: 2,
      mhz: 2359.484,
    })
    const laptop = cpu("node_exporter__proc-cpuinfo_x86-i7-8650U-8threads.txt")
    assert.deepEqual([laptop.threads, laptop.cores, laptop.sockets, laptop.mhz], [8, 4, 1, 799.998])
    const i7 = cpu("insights__proc-cpuinfo_i7-4800MQ-8threads.txt")
    assert.deepEqual([i7.threads, i7.cores, i7.model], [8, 4, "Intel(R) Core(TM) i7-4800MQ CPU @ 2.70GHz"])
    const vm = cpu("jc__proc-cpuinfo_x86-1cpu.txt")
    assert.deepEqual([vm.threads, vm.cores, vm.mhz], [1, 1, 2303.998])
    const hygon = cpu("gopsutil__proc-cpuinfo_hygon-c86.txt")
    assert.deepEqual([hygon.vendor, hygon.model, hygon.threads], ["HygonGenuine", "Hygon C86-4G (OPN:5435)", 1])
  })

  it("s390x, riscv64, loongarch64 and mips shapes", () => {
    assert.deepEqual(cpu("insights__proc-cpuinfo_s390x.txt"), {
      arch: "s390x",
      vendor: "IBM/S390",
      model: "IBM/S390 machine 3906",
      threads: 2,
      cores: null,
      sockets: null,
      mhz: 5208,
    })
    const rv = cpu("procfs__proc-cpuinfo_riscv64.txt")
    assert.deepEqual([rv.arch, rv.threads, rv.model, rv.mhz, rv.cores], ["riscv", 2, "rv64imafdcsu", null, null])
    const la = cpu("procfs__proc-cpuinfo_loongarch64.txt")
    assert.deepEqual([la.arch, la.threads, la.cores, la.sockets, la.model, la.mhz], [
      "loongarch",
      4,
      4,
      1,
      "Loongson-3A5000",
      2500,
    ])
    const mips = cpu("procfs__proc-cpuinfo_mips.txt")
    assert.deepEqual([mips.arch, mips.threads, mips.cores, mips.model, mips.mhz], [
      "mips",
      2,
      2,
      "Cavium Octeon+ V0.1",
      null,
    ])
  })
})

describe("parseCpuinfo on non-x86 recordings (test/fixtures/proc)", () => {
  const cpu = (f: string) => ok(parseCpuinfo(localProc(f)))

  it("every local cpuinfo recording parses to a known arch, a model and its CPU count", () => {
    const files = readdirSync(localProcDir).filter((f) => f.includes("proc-cpuinfo"))
    assert.ok(files.length >= 8)
    for (const f of files) {
      const c = cpu(f)
      assert.notEqual(c.arch, "unknown", f)
      assert.ok(c.model !== null && c.model.length > 0, f)
      assert.ok(c.threads > 0, f)
    }
  })

  it("ppc64: cpu, clock and machine keys (POWER7 pSeries, POWER8 PowerNV)", () => {
    assert.deepEqual(cpu("procfs__proc-cpuinfo_ppc64-power7-6threads.txt"), {
      arch: "powerpc",
      vendor: "IBM",
      model: "POWER7 (architected), altivec supported",
      threads: 6,
      cores: null,
      sockets: null,
      mhz: 3000,
    })
    const p8 = cpu("cpu_features__proc-cpuinfo_ppc64le-power8-powernv-excerpt.txt")
    assert.deepEqual([p8.arch, p8.model, p8.threads, p8.mhz], ["powerpc", "POWER8 (raw), altivec supported", 2, 2061])
  })

  it("s390x: per-CPU 'cpu number' blocks give cores and sockets", () => {
    assert.deepEqual(cpu("procfs__proc-cpuinfo_s390x-4cpus-core-ids.txt"), {
      arch: "s390x",
      vendor: "IBM/S390",
      model: "IBM/S390 machine 2964",
      threads: 4,
      cores: 2,
      sockets: 1,
      mhz: 5000,
    })
  })

  it("arm64 without 'model name': implementer and part codes name the CPU", () => {
    assert.deepEqual(cpu("pytorch-cpuinfo__proc-cpuinfo_arm64-cavium-thunderx-scaleway.txt"), {
      arch: "arm64",
      vendor: "Cavium",
      model: "Cavium ThunderX 88xx",
      threads: 6,
      cores: null,
      sockets: null,
      mhz: null,
    })
    const tx1 = cpu("pytorch-cpuinfo__proc-cpuinfo_arm64-cortex-a57-jetson-tx1.txt")
    assert.deepEqual([tx1.arch, tx1.vendor, tx1.model, tx1.threads], ["arm64", "ARM", "ARM Cortex-A57", 4])
    const bigLittle = cpu("pytorch-cpuinfo__proc-cpuinfo_arm64-big-little-a53-a57-nexus5x.txt")
    assert.deepEqual([bigLittle.arch, bigLittle.model, bigLittle.threads], [
      "arm64",
      "ARM Cortex-A53 + ARM Cortex-A57",
      6,
    ])
  })

  it("32-bit ARM: the 'Processor' model line is not a CPU index", () => {
    const legacy = cpu("procfs__proc-cpuinfo_armv7-legacy-Processor-line.txt")
    assert.deepEqual([legacy.arch, legacy.vendor, legacy.model, legacy.threads], ["arm", "ARM", "ARM Cortex-A7", 2])
    const pi = cpu("procfs__proc-cpuinfo_armv7-bcm2835.txt")
    assert.deepEqual([pi.arch, pi.model, pi.threads, pi.mhz], ["arm", "ARM Cortex-A72", 4, null])
    // A uniprocessor kernel prints no "processor : N" index at all: one CPU, not a ParseError.
    const arm11 = cpu("procfs__proc-cpuinfo_armv6-legacy-no-index.txt")
    assert.deepEqual([arm11.arch, arm11.vendor, arm11.model, arm11.threads], ["arm", "ARM", "ARM1136", 1])
  })
})

describe("parseProcStat refuses duplicated cpu lines", () => {
  const withLineRepeated = (text: string, prefix: string): { text: string; line: number } => {
    const lines = text.split("\n")
    const i = lines.findIndex((l) => l.startsWith(prefix))
    assert.ok(i >= 0, prefix)
    return { text: [...lines.slice(0, i + 1), lines[i] as string, ...lines.slice(i + 1)].join("\n"), line: i + 2 }
  }

  it("a second cpu3 line (9 CPUs on an 8-CPU host) is a ParseError naming cpu3", () => {
    const stat = proc("procfs__proc-stat.txt")
    assert.equal(ok(parseProcStat(stat)).cores.length, 8)
    const dup = withLineRepeated(stat, "cpu3 ")
    const e = err(parseProcStat(dup.text))
    assert.match(e.message, /duplicate 'cpu3'/)
    assert.equal(e.at, `stat line ${dup.line}`)
  })

  it("a second aggregate cpu line is refused too", () => {
    const dup = withLineRepeated(proc("jc__proc-stat.txt"), "cpu ")
    assert.match(err(parseProcStat(dup.text)).message, /duplicate 'cpu'/)
  })

  it("through the whole system_metrics output, the error names the section", () => {
    const cpuLines = proc("jc__proc-stat.txt").split("\n").filter((l) => l.startsWith("cpu")).join("\n")
    const e = err(parseSystemMetrics(fixtureOutput({ [SECTIONS.cpu2]: withLineRepeated(cpuLines, "cpu1 ").text })))
    assert.match(e.message, /duplicate 'cpu1'/)
    assert.match(e.at ?? "", /^cpu2: stat line/)
  })
})

/** A whole script output assembled from real fixtures (both samples identical: no time passed). */
const fixtureOutput = (
  overrides: Record<string, string> = {},
  exitCodes: Record<string, number> = {},
): CommandResult => {
  const stat = proc("jc__proc-stat.txt")
  const cpuLines = stat.split("\n").filter((l) => l.startsWith("cpu")).join("\n")
  const counters = stat.split("\n").filter((l) => /^(ctxt|btime|processes|procs_)/.test(l)).join("\n")
  const netdev = readFixture("network", "jc__proc-net-dev.txt")
  const uptime = proc("jc__proc-uptime.txt")
  return framed(
    {
      [SECTIONS.hostname]: "web1",
      [SECTIONS.nproc]: "2",
      [SECTIONS.cpu1]: cpuLines,
      [SECTIONS.net1]: netdev,
      [SECTIONS.up1]: uptime,
      [SECTIONS.cpu2]: cpuLines,
      [SECTIONS.net2]: netdev,
      [SECTIONS.up2]: uptime,
      [SECTIONS.counters]: counters,
      [SECTIONS.meminfo]: proc("jc__proc-meminfo.txt"),
      [SECTIONS.loadavg]: proc("jc__proc-loadavg.txt"),
      [SECTIONS.pids]: "87",
      [SECTIONS.df]: readFixture("drives", "jc__centos-7.7__df.txt"),
      [SECTIONS.psiCpu]: proc("procfs__proc-pressure-cpu_some-only.txt"),
      [SECTIONS.psiMemory]: proc("node_exporter__proc-pressure-memory.txt"),
      [SECTIONS.psiIo]: "",
      ...overrides,
    },
    { [SECTIONS.psiIo]: 1, ...exitCodes },
  )
}

describe("parseSystemMetrics", () => {
  it("assembles and validates a whole output, and toRows maps it to the table columns", () => {
    const m = ok(parseSystemMetrics(fixtureOutput()))
    assert.equal(m.hostname, "web1")
    assert.equal(m.nproc, 2)
    assert.equal(m.sample_seconds, 0)
    assert.equal(m.cpu.count, 2)
    assert.equal(m.cpu.total.busy_percent, 0)
    assert.equal(m.uptime.boot_time, 1662154781)
    assert.equal(m.processes.created_since_boot, 9831)
    assert.equal(m.pressure.io, null, "missing PSI file is null, not an error")
    assert.equal(m.pressure.cpu?.some?.avg10, 0.1)
    const rows = systemMetrics.toRows(m)
    assert.equal(rows.length, 1)
    assert.deepEqual(
      Object.keys(rows[0] ?? {}).sort(),
      [
        "cpu_iowait_percent",
        "cpu_percent",
        "cpu_steal_percent",
        "data",
        "disk_used_percent_max",
        "load1",
        "load15",
        "load5",
        "mem_available_bytes",
        "mem_total_bytes",
        "mem_used_percent",
        "net_rx_bytes",
        "net_tx_bytes",
        "process_count",
        "swap_total_bytes",
        "swap_used_bytes",
        "uptime_seconds",
      ],
    )
    assert.deepEqual({ ...rows[0], data: undefined }, {
      cpu_percent: 0,
      cpu_iowait_percent: 0,
      cpu_steal_percent: 0,
      mem_total_bytes: 3997272 * KiB,
      mem_available_bytes: 3386876 * KiB,
      mem_used_percent: 15.27,
      swap_total_bytes: 3996668 * KiB,
      swap_used_bytes: 0,
      load1: 0,
      load5: 0.01,
      load15: 0.03,
      uptime_seconds: 46901.13,
      process_count: 87,
      disk_used_percent_max: 22.88,
      net_rx_bytes: 60600053,
      net_tx_bytes: 44256546,
      data: undefined,
    })
    assert.equal(rows[0]?.["data"], m)
  })

  it("names the missing or broken section", () => {
    const missing = fixtureOutput()
    const cut = { ...missing, stdout: missing.stdout.replace(`${MARKER} meminfo\n`, `${MARKER} nomem\n`) }
    assert.equal(err(parseSystemMetrics(cut)).at, "meminfo")
    assert.match(err(parseSystemMetrics(fixtureOutput({ [SECTIONS.loadavg]: "busy" }))).at ?? "", /^loadavg/)
    assert.match(err(parseSystemMetrics(fixtureOutput({ [SECTIONS.cpu2]: "cpu 1 2" }))).at ?? "", /^cpu2: stat line 1/)
    assert.equal(err(parseSystemMetrics(fixtureOutput({ [SECTIONS.pids]: "many" }))).at, "pids")
    assert.equal(err(parseSystemMetrics(fixtureOutput({ [SECTIONS.df]: "" }))).at, "df")
    assert.equal(err(parseSystemMetrics({ ...fixtureOutput(), stdout: "" })).at, "hostname")
  })

  it("rejects values the schema does not allow (a PSI average above 100%)", () => {
    const e = err(
      parseSystemMetrics(fixtureOutput({ [SECTIONS.psiCpu]: "some avg10=150.00 avg60=0.00 avg300=0.00 total=1" })),
    )
    assert.equal(e.at, "system_metrics")
    assert.match(e.message, /validation/)
  })
})

/** The current script's shape: /proc files behind `path:` from one grep per sample. */
const grepLines = (path: string, text: string) =>
  text.split("\n").filter((l) => l !== "").map((l) => `${path}:${l}`).join("\n")

const grepOutput = (withPressure: boolean, cpusAllowed = "0-1"): CommandResult => {
  const stat = proc("jc__proc-stat.txt")
  const sample1 = [
    grepLines("/proc/stat", stat.split("\n").filter((l) => !l.startsWith("intr ")).join("\n")),
    grepLines("/proc/uptime", proc("jc__proc-uptime.txt")),
    grepLines("/proc/net/dev", readFixture("network", "jc__proc-net-dev.txt")),
  ].join("\n")
  const sample2 = [
    sample1,
    grepLines("/proc/meminfo", proc("jc__proc-meminfo.txt")),
    grepLines("/proc/loadavg", proc("jc__proc-loadavg.txt")),
    grepLines("/proc/sys/kernel/hostname", "web1"),
    ...(withPressure
      ? [
        grepLines("/proc/pressure/cpu", proc("procfs__proc-pressure-cpu_some-only.txt")),
        grepLines("/proc/pressure/memory", proc("node_exporter__proc-pressure-memory.txt")),
      ]
      : []),
  ].join("\n")
  return framed(
    {
      [SECTIONS.sample1]: sample1,
      [SECTIONS.sample2]: sample2,
      [SECTIONS.cpusAllowed]: cpusAllowed,
      [SECTIONS.pids]: "87",
      [SECTIONS.df]: readFixture("drives", "jc__centos-7.7__df.txt"),
    },
    { [SECTIONS.sample2]: withPressure ? 0 : 2 },
  )
}

describe("parseSystemMetrics on the grep samples of the current script", () => {
  it("reads the same values as from one section per file", () => {
    const fromGrep = ok(parseSystemMetrics(grepOutput(true)))
    const fromSections = ok(parseSystemMetrics(fixtureOutput()))
    assert.deepEqual(fromGrep, fromSections)
    assert.equal(fromGrep.hostname, "web1")
    assert.equal(fromGrep.nproc, 2)
    assert.notEqual(fromGrep.pressure.cpu, null)
    assert.equal(fromGrep.pressure.io, null, "a file grep printed nothing of is not supported")
  })

  it("no /proc/pressure (grep exits 2): PSI is null, the rest parses", () => {
    const m = ok(parseSystemMetrics(grepOutput(false)))
    assert.deepEqual(m.pressure, { cpu: null, memory: null, io: null })
    assert.ok(m.memory.total_bytes > 0)
  })

  it("a broken CPU list is a ParseError naming its section", () => {
    assert.equal(err(parseSystemMetrics(grepOutput(true, "all of them"))).at, SECTIONS.cpusAllowed)
  })

  it("splitGrepFiles keeps colons inside lines and the file order", () => {
    const files = splitGrepFiles("/proc/net/dev:  eth0: 1 2\n/proc/uptime:5.0 1.0\n/proc/net/dev:  lo: 3 4\nnoise")
    assert.deepEqual([...files.keys()], ["/proc/net/dev", "/proc/uptime"])
    assert.equal(files.get("/proc/net/dev"), "  eth0: 1 2\n  lo: 3 4")
  })

  it("countCpuList", () => {
    assert.equal(countCpuList("0"), 1)
    assert.equal(countCpuList("0-3,8,10-11\n"), 7)
    assert.equal(countCpuList(""), undefined)
    assert.equal(countCpuList("3-1"), undefined)
    assert.equal(countCpuList("0-3,"), undefined)
  })
})

/** The grep output of a read that took no first sample of its own (prepare gave it the previous read's). */
const withoutSample1 = (): CommandResult => {
  const full = grepOutput(true)
  const sections = full.stdout.split(`\n${MARKER} `).filter((part) => !part.startsWith(`${SECTIONS.sample1}\n`))
  const stdout = sections.join(`\n${MARKER} `)
  return { ...full, stdout, bytes: stdout.length }
}

/** A `cpu` line as it was earlier: up to 50 jiffies less user time and 150 less idle. */
const earlier = (line: string) => {
  const [name, user, nice, system, idle, ...rest] = line.trim().split(/\s+/)
  const less = (v: string | undefined, n: number) => Math.max(0, Number(v) - n)
  return [name, less(user, 50), nice, system, less(idle, 150), ...rest].join(" ")
}

describe("CPU and network rates from the previous read's counters", () => {
  const now = ok(parseSystemMetrics(grepOutput(true)))
  const previous = previousSampleOf(now)
  assert.ok(previous !== null)

  it("a read records the counters the next one starts from", () => {
    assert.equal(now.sample_basis, "short_sample")
    assert.ok(now.cpu_jiffies !== undefined && now.cpu_jiffies[0]?.startsWith("cpu "))
    assert.equal(previous.net.length, now.network.interfaces.length)
  })

  it("no sample of its own: the interval and the deltas are since the previous read", () => {
    const before = {
      uptime_seconds: previous.uptime_seconds - 300,
      cpu: previous.cpu.map(earlier),
      net: previous.net.map((n) => ({ ...n, rx_bytes: n.rx_bytes - 3000, tx_bytes: n.tx_bytes - 600 })),
    }
    const m = ok(parseSystemMetrics(withoutSample1(), { [PREVIOUS_SAMPLE]: JSON.stringify(before) }))
    assert.equal(m.sample_basis, "previous_read")
    assert.equal(m.sample_seconds, 300)
    // 50 jiffies of user time and 150 idle since: 25 % busy.
    assert.equal(m.cpu.total.busy_percent, 25)
    const external = m.network.interfaces.filter((i) => i.name !== "lo").length
    assert.equal(m.network.rx_bytes_per_sec, external * 10)
    assert.equal(m.network.tx_bytes_per_sec, external * 2)
  })

  it("uptime went back (a reboot since): rates since boot", () => {
    const before = { ...previous, uptime_seconds: previous.uptime_seconds + 1 }
    const m = ok(parseSystemMetrics(withoutSample1(), { [PREVIOUS_SAMPLE]: JSON.stringify(before) }))
    assert.equal(m.sample_basis, "since_boot")
    assert.equal(m.sample_seconds, now.uptime.uptime_seconds)
    assert.ok(m.cpu.total.busy_percent > 0)
  })

  it("neither its own sample nor usable previous counters: the missing section is named", () => {
    assert.equal(err(parseSystemMetrics(withoutSample1())).at, SECTIONS.cpu1)
    assert.equal(err(parseSystemMetrics(withoutSample1(), { [PREVIOUS_SAMPLE]: "{not json" })).at, SECTIONS.cpu1)
  })

  it("the script takes no sample and does not sleep when given the previous counters", () => {
    const script = systemMetrics.script({ [PREVIOUS_SAMPLE]: JSON.stringify(previous) })
    assert.doesNotMatch(script, /sleep|sample1/)
    assert.match(systemMetrics.script({}), /sleep 0\.5/)
  })
})

for (const backend of testBackends()) {
  describe(`system_metrics prepare on ${backend.name}`, () => {
    it("a stored read 1 minute old becomes the next read's first sample; none, or one 1 hour old, does not", async () => {
      const program = Effect.gen(function* () {
        const store = yield* Store
        const row = yield* store.createDevice({ name: "metrics-host", host: "localhost" })
        const device = { ...localDevice("metrics-host"), id: row.id }
        const prepare = systemMetrics.prepare
        assert.ok(prepare !== undefined)
        const none = yield* prepare(store, device, {})
        const store1 = (time: Date) =>
          store.insertRows(
            systemMetrics.table,
            systemMetrics.toRows(now).map((r) => ({ ...r, time, device_id: row.id })),
          )
        const now = ok(parseSystemMetrics(grepOutput(true)))
        yield* store1(new Date(Date.now() - 3_600_000))
        const old = yield* prepare(store, device, {})
        yield* store1(new Date(Date.now() - 60_000))
        const recent = yield* prepare(store, device, {})
        return { none, old, recent, now }
      })
      const r = await Effect.runPromise(Effect.provide(program, backend.layer(uniqueSchema("smprep"))))
      assert.deepEqual(r.none, {})
      assert.deepEqual(r.old, {})
      const prev = r.recent[PREVIOUS_SAMPLE]
      assert.equal(typeof prev, "string")
      assert.deepEqual(JSON.parse(prev as string), previousSampleOf(r.now))
      // This machine's counters against the recorded ones: a real read from the previous one's counters.
      const script = systemMetrics.script(r.recent)
      const stdout = execFileSync("/bin/sh", ["-c", script], { encoding: "utf8", timeout: 20_000 })
      const result = { stdout, stderr: "", exitCode: 0, durationMs: 0, bytes: stdout.length, truncated: false }
      const m = ok(systemMetrics.parse(result, r.recent))
      assert.notEqual(m.sample_basis, "short_sample")
    })
  })
}

describe("system_metrics script on this machine", () => {
  it("runs under /bin/sh in one go and parses to sane values", () => {
    const script = systemMetrics.script({})
    const stdout = execFileSync("/bin/sh", ["-c", script], { encoding: "utf8", timeout: 20_000 })
    const m = ok(
      systemMetrics.parse(
        { stdout, stderr: "", exitCode: 0, durationMs: 0, bytes: stdout.length, truncated: false },
        {},
      ),
    )
    assert.equal(m.hostname, os.hostname())
    assert.equal(m.nproc, os.availableParallelism(), "Cpus_allowed_list counts what nproc counts")
    assert.ok(m.sample_seconds > 0, "the two samples are apart in time")
    assert.ok(m.cpu.count >= 1)
    assert.ok(m.cpu.total.delta_jiffies > 0)
    for (const u of [m.cpu.total, ...m.cpu.cores]) {
      assert.ok(u.busy_percent >= 0 && u.busy_percent <= 100)
      assert.ok(u.iowait_percent >= 0 && u.iowait_percent <= 100)
    }
    assert.ok(m.memory.total_bytes > 0)
    assert.ok(m.memory.available_bytes <= m.memory.total_bytes)
    assert.ok(m.disk.mounts.length >= 1)
    assert.ok(m.processes.count >= 1)
    assert.ok(m.network.interfaces.length >= 1)
    assert.ok(!script.includes("/proc/stat |"), "never ships the whole /proc/stat")
    const row = systemMetrics.toRows(m)[0]
    assert.equal(typeof row?.["cpu_percent"], "number")
  })
})

/**
 * Host footprint: what one read of each data type costs the monitored host. A real sshd test host on
 * loopback (this machine's /proc, its ip/ss/systemctl, the docker shim; no smartctl, zpool or virsh),
 * read over the project's own Ssh layer, as the pipeline does.
 *
 * Per data type: host CPU per read (utime+stime+cutime+cstime of the sshd session's process tree,
 * from /proc: the login shell and everything it ran, and separately the sshd processes' crypto and
 * I/O), the part that is our scripts (same reads with the external tools replaced by /bin/true),
 * processes started and programs executed per read (strace -f on the login shell), bytes sent and
 * received over SSH per read, and the host CPU per hour at the default schedule (3600 / ttl reads;
 * types the capability probe rules out are not polled and not counted).
 *
 * Run: `npm run bench:host` (root: the test user is created if missing). BENCH_N reads per type (20).
 * BENCH_HOST_BASELINE=<dir>: also measure the scripts of another build (its src/collectors/index.js),
 * in the same run, e.g. the last commit's:
 *   mkdir /tmp/base && git archive HEAD src tsconfig.json package.json | tar -x -C /tmp/base &&
 *   ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npx tsc -p . --outDir out --declaration false) ;
 *   BENCH_HOST_BASELINE=/tmp/base/out npm run bench:host
 *
 * system_metrics and network_interfaces are read as the scheduler reads them, from the previous read's counters (its prepare
 * hands them over when that read is 5 s to 15 min old): here reads follow each other within
 * milliseconds, which changes the rates, not the cost. "(first read)" is a read without them.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs"
import { Buffer } from "node:buffer"
import os from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Result } from "effect"
import { allDataTypes } from "../src/collectors/index.ts"
import { type Capabilities, supportsDataType } from "../src/domain/capabilities.ts"
import type { AnyDataTypeSpec, Params } from "../src/pipeline/DataType.ts"
import { PREVIOUS_COUNTERS } from "../src/collectors/network-interfaces/parse-network-interfaces.ts"
import { PREVIOUS_SAMPLE, previousSampleOf } from "../src/collectors/system-metrics/parse-system-metrics.ts"
import { frameCommand } from "../src/ssh/framing.ts"
import type { SshShape } from "../src/ssh/Ssh.ts"
import { dockerShims } from "../test/harness/shims/docker.ts"
import { sshDevice, withSsh } from "../test/harness/ssh-device.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "../test/harness/sshd.ts"
import { table } from "./stats.ts"

const N = Number(process.env["BENCH_N"] ?? 20)
const STRACE_N = 2
/** Programs that are a data source's own tool, not our script: their work is theirs. */
const TOOLS = [
  "docker",
  "podman",
  "systemctl",
  "journalctl",
  "smartctl",
  "zpool",
  "zfs",
  "virsh",
  "qm",
  "pct",
  "ip",
  "ss",
  "netstat",
  "lsblk",
  "sudo",
  "systemd-detect-virt",
]
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())

interface Proc {
  readonly pid: number
  readonly ppid: number
  readonly comm: string
  readonly ticks: number
}

const readProc = (pid: number): Proc | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8")
    const close = text.lastIndexOf(")")
    const comm = text.slice(text.indexOf("(") + 1, close)
    // Fields after "(comm)": state ppid ... utime(14) stime cutime cstime, counted from field 3.
    const rest = text.slice(close + 2).split(" ")
    const n = (i: number) => Number(rest[i] ?? 0)
    return { pid, ppid: n(1), comm, ticks: n(11) + n(12) + n(13) + n(14) }
  } catch {
    return undefined // exited between readdir and read
  }
}

/** Every process under the sshd listener (not the listener itself). */
const sessionTree = (root: number): Array<Proc> => {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d)))
  const byParent = new Map<number, Array<Proc>>()
  for (const p of all) {
    if (p === undefined) continue
    byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p])
  }
  const out: Array<Proc> = []
  const walk = (pid: number) => {
    for (const child of byParent.get(pid) ?? []) {
      out.push(child)
      walk(child.pid)
    }
  }
  walk(root)
  return out
}

const isSshd = (p: Proc) => p.comm.startsWith("sshd")

/** CPU ms of the session tree: [login shell and what it ran, sshd]. */
const cpuNow = (root: number): [number, number] => {
  let script = 0
  let ssh = 0
  for (const p of sessionTree(root)) {
    if (isSshd(p)) ssh += p.ticks
    else script += p.ticks
  }
  return [script * TICK_MS, ssh * TICK_MS]
}

interface Measured {
  readonly scriptMs: number
  readonly sshMs: number
  readonly sentBytes: number
  readonly receivedBytes: number
  readonly parsed: boolean
  readonly capabilities?: Capabilities
}

/**
 * One data type as the bench reads it. `steady`: with what the pipeline's prepare would give it from the
 * previous read (system_metrics: its counters, so no sample of its own); otherwise as a first read.
 */
interface Case {
  readonly name: string
  readonly spec: AnyDataTypeSpec
  readonly steady: boolean
}

/** network_interfaces' prepare: the last read's counters and the uptime they were read at. */
const previousCounters = (last: unknown): string | null => {
  const v = last as { sample_uptime?: unknown; interfaces?: ReadonlyArray<{ name: string; counters: unknown }> }
  if (typeof v?.sample_uptime !== "number" || v.interfaces === undefined) return null
  const counters = Object.fromEntries(v.interfaces.filter((i) => i.counters !== null).map((i) => [i.name, i.counters]))
  return JSON.stringify({ uptime: v.sample_uptime, counters })
}

const paramsFor = (c: Case, last: unknown): Params => {
  if (!c.steady || last === undefined) return {}
  if (c.spec.name === "network_interfaces") {
    const previous = previousCounters(last)
    return previous === null ? {} : { [PREVIOUS_COUNTERS]: previous }
  }
  const previous = previousSampleOf(last)
  return previous === null ? {} : { [PREVIOUS_SAMPLE]: JSON.stringify(previous) }
}

const readOnce = (ssh: SshShape, sshd: SshdHandle, spec: AnyDataTypeSpec, params: Params) =>
  Effect.gen(function* () {
    const script = spec.script(params)
    const before = ssh.stats().bytesReceived
    const result = yield* ssh.run(sshDevice(sshd, "bench-host"), script, {
      timeout: spec.timeout,
      maxOutputBytes: spec.maxOutputBytes,
    })
    const parsed = spec.parse(result, params)
    return {
      sent: Buffer.byteLength(frameCommand(script)?.text ?? script),
      received: ssh.stats().bytesReceived - before,
      parsed: Result.isSuccess(parsed),
      value: Result.isSuccess(parsed) ? parsed.success : undefined,
    }
  })

/** N reads of each spec on one fresh connection, after one warm-up read (connection and shell). */
const measure = (sshd: SshdHandle, cases: ReadonlyArray<Case>, n: number) =>
  withSsh({}, (ssh) =>
    Effect.gen(function* () {
      const out = new Map<string, Measured>()
      for (const c of cases) {
        const spec = c.spec
        let value = (yield* readOnce(ssh, sshd, spec, {})).value
        const [s0, h0] = cpuNow(sshd.pid)
        let sent = 0
        let received = 0
        let parsed = true
        for (let i = 0; i < n; i++) {
          const r = yield* readOnce(ssh, sshd, spec, paramsFor(c, value))
          sent += r.sent
          received += r.received
          parsed = parsed && r.parsed
          value = r.value
        }
        const [s1, h1] = cpuNow(sshd.pid)
        out.set(c.name, {
          scriptMs: (s1 - s0) / n,
          sshMs: (h1 - h0) / n,
          sentBytes: sent / n,
          receivedBytes: received / n,
          parsed,
          ...(spec.name === "capabilities" && parsed ? { capabilities: value as Capabilities } : {}),
        })
      }
      return out
    }).pipe(Effect.orDie))

/** Same reads with every external tool replaced by /bin/true in the shim dir: what is left is ours. */
const withToolsStubbed = async <A>(sshd: SshdHandle, body: () => Promise<A>): Promise<A> => {
  const moved: Array<string> = []
  for (const tool of TOOLS) {
    const file = path.join(sshd.shimDir, tool)
    if (existsSync(file)) {
      renameSync(file, `${file}.real`)
      moved.push(file)
    }
    symlinkSync("/bin/true", file)
  }
  try {
    return await body()
  } finally {
    for (const tool of TOOLS) rmSync(path.join(sshd.shimDir, tool), { force: true })
    for (const file of moved) renameSync(`${file}.real`, file)
  }
}

interface Forks {
  readonly processes: number
  readonly execs: number
}

/** Processes started (fork/clone) and programs executed per read, from strace -f on the login shells. */
const countForks = (sshd: SshdHandle, cases: ReadonlyArray<Case>) =>
  withSsh({}, (ssh) =>
    Effect.gen(function* () {
      const out = new Map<string, Forks>()
      for (const c of cases) {
        const spec = c.spec
        const params = paramsFor(c, (yield* readOnce(ssh, sshd, spec, {})).value)
        const shells = sessionTree(sshd.pid).filter((p) => !isSshd(p))
        const log = path.join(os.tmpdir(), `bench-host-strace-${process.pid}.log`)
        const strace = spawn(
          "strace",
          [
            "-f",
            "-qq",
            "-e",
            "trace=execve,clone,clone3,fork,vfork",
            "-o",
            log,
            ...shells.flatMap((p) => [
              "-p",
              String(p.pid),
            ]),
          ],
          { stdio: "ignore" },
        )
        yield* Effect.promise(() => waitTraced(shells.map((p) => p.pid)))
        for (let i = 0; i < STRACE_N; i++) yield* readOnce(ssh, sshd, spec, params)
        const exited = new Promise((resolve) => strace.once("exit", resolve))
        strace.kill("SIGINT")
        yield* Effect.promise(() => exited)
        const lines = readFileSync(log, "utf8").split("\n")
        rmSync(log, { force: true })
        const { processes, execs } = countStrace(lines)
        out.set(c.name, { processes: processes / STRACE_N, execs: execs / STRACE_N })
      }
      return out
    }).pipe(Effect.orDie))

/**
 * strace -f splits a call that another process interrupts into "clone(... <unfinished ...>" and
 * "<... clone resumed>... = pid": the flags (CLONE_THREAD) are in the first half, the result in the second.
 */
const countStrace = (lines: ReadonlyArray<string>): Forks => {
  const thread = new Set<string>()
  let processes = 0
  let execs = 0
  for (const line of lines) {
    const pid = line.split(" ")[0] ?? ""
    const isFork = /\b(clone3?|v?fork)\(/.test(line) || /<\.\.\. (clone3?|v?fork) resumed>/.test(line)
    if (isFork && line.includes("CLONE_THREAD")) thread.add(pid)
    if (isFork && /= [1-9]\d*$/.test(line)) {
      if (!thread.delete(pid)) processes++
    }
    if (/execve(\(| resumed>)/.test(line) && / = 0$/.test(line)) execs++
  }
  return { processes, execs }
}

const waitTraced = async (pids: ReadonlyArray<number>): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    const traced = pids.every((pid) => /TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, "utf8")))
    if (traced) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error("strace did not attach")
}

/**
 * What a host is read for: every pollable type and the capability probe, each as the scheduler reads it
 * again and again; system_metrics also as a first read (no previous counters: it samples for itself).
 */
const benchCases = (specs: ReadonlyArray<AnyDataTypeSpec>): Array<Case> =>
  specs.filter((s) => s.pollable === true || s.name === "capabilities").flatMap((spec) => [
    { name: spec.name, spec, steady: true },
    // Its steady reads take the previous read's counters (paramsFor): a first read samples for itself.
    ...(spec.name === "system_metrics" || spec.name === "network_interfaces"
      ? [{ name: `${spec.name} (first read)`, spec, steady: false }]
      : []),
  ])

const readsPerHour = (spec: AnyDataTypeSpec) => (spec.ttlSeconds > 0 ? 3600 / spec.ttlSeconds : 0)

interface Row {
  readonly name: string
  readonly steady: boolean
  readonly spec: AnyDataTypeSpec
  readonly full: Measured
  readonly ours: Measured
  readonly forks: Forks
}

const run = async (sshd: SshdHandle, cases: ReadonlyArray<Case>): Promise<Array<Row>> => {
  const full = await measure(sshd, cases, N)
  const ours = await withToolsStubbed(sshd, () => measure(sshd, cases, N))
  const forks = await countForks(sshd, cases)
  return cases.map((c) => ({
    name: c.name,
    steady: c.steady,
    spec: c.spec,
    full: full.get(c.name) as Measured,
    ours: ours.get(c.name) as Measured,
    forks: forks.get(c.name) as Forks,
  }))
}

const f1 = (v: number) => v.toFixed(1)
const f2 = (v: number) => v.toFixed(2)
const kb = (v: number) => (v / 1024).toFixed(1)

const report = (label: string, rows: ReadonlyArray<Row>) => {
  const caps = rows.find((r) => r.spec.name === "capabilities")?.full.capabilities
  const polled = (r: Row) =>
    r.steady && r.spec.pollable === true && (caps === undefined || supportsDataType(caps, r.spec.requires ?? []).ok)
  const hourly = (r: Row, ms: number) => (r.spec.name === "capabilities" || polled(r) ? ms * readsPerHour(r.spec) : 0)
  const body = rows.map((r) => [
    r.name,
    r.full.parsed ? "ok" : "fails",
    f1(r.full.scriptMs),
    f1(r.ours.scriptMs),
    f1(r.full.scriptMs - r.ours.scriptMs),
    f1(r.full.sshMs),
    f1(r.forks.processes),
    f1(r.forks.execs),
    kb(r.full.sentBytes),
    kb(r.full.receivedBytes),
    r.spec.name === "capabilities"
      ? "on add (ttl 6 h)"
      : polled(r)
      ? f1(readsPerHour(r.spec))
      : r.steady
      ? "not polled"
      : "first only",
    f2(hourly(r, r.ours.scriptMs) / 1000),
    f2(hourly(r, r.full.scriptMs) / 1000),
  ])
  const total = (pick: (r: Row) => number) => f2(rows.reduce((a, r) => a + hourly(r, pick(r)), 0) / 1000)
  console.log(`\n## ${label}\n`)
  console.log(table(
    [
      "data type",
      "parse",
      "host CPU ms/read",
      "ours ms",
      "tools ms",
      "sshd ms",
      "processes",
      "execs",
      "sent KiB",
      "recv KiB",
      "reads/h",
      "ours s/h",
      "all s/h",
    ],
    [...body, [
      "total per hour",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      total((r) => r.ours.scriptMs),
      total((r) => r.full.scriptMs),
    ]],
  ))
}

const main = async () => {
  const sshd = await startSshd({ address: "127.0.0.11", shims: dockerShims })
  try {
    console.log(
      `host footprint, ${N} reads per type (processes/execs: ${STRACE_N} reads under strace) · ${os.cpus().length} CPUs · ` +
        `load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} · ${new Date().toISOString()}`,
    )
    const baselineDir = process.env["BENCH_HOST_BASELINE"]
    if (baselineDir !== undefined && baselineDir !== "") {
      const mod = await import(pathToFileURL(path.join(baselineDir, "src/collectors/index.js")).href) as {
        allDataTypes: ReadonlyArray<AnyDataTypeSpec>
      }
      report(`baseline (${baselineDir})`, await run(sshd, benchCases(mod.allDataTypes)))
    }
    report("current", await run(sshd, benchCases(allDataTypes)))
    console.log(
      "\nhost CPU: the login shell's tree (our script and the tools it runs); ours: the same with the tools " +
        `(${TOOLS.join(", ")}) replaced by /bin/true; tools = the difference; sshd: the session's sshd processes.`,
    )
  } finally {
    sshd.stop()
    stopAllSshd()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})

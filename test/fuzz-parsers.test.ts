/**
 * Property tests for every parser (issue 7): random bytes and mutated real fixtures (deletions,
 * duplications, byte flips, truncation, huge numbers, NaN strings) into every `parse*` exported by
 * src/collectors/<type>/parse-*.ts and collectors/shared, and every registry spec's parse. Nothing may throw; a failure must be a typed
 * ParseError (specs may also say NotFound). Seeded: FUZZ_SEED=<n> reproduces a run.
 */
import assert from "node:assert/strict"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { describe, test } from "node:test"
import { Result } from "effect"
import * as capabilities from "../src/collectors/capabilities/parse-capabilities.ts"
import * as containers from "../src/collectors/docker/parse-containers.ts"
import * as dockerNetworks from "../src/collectors/docker/parse-docker-networks.ts"
import * as driveHealth from "../src/collectors/drive-health/parse-drive-health.ts"
import * as networkInterfaces from "../src/collectors/network-interfaces/parse-network-interfaces.ts"
import { MARKER } from "../src/collectors/shared/sections.ts"
import * as sections from "../src/collectors/shared/sections.ts"
import * as time from "../src/collectors/shared/time.ts"
import * as systemLogs from "../src/collectors/system-logs/parse-system-logs.ts"
import * as systemMetrics from "../src/collectors/system-metrics/parse-system-metrics.ts"
import * as systemdServices from "../src/collectors/systemd-services/parse-systemd-services.ts"
import * as systemdUnit from "../src/configs/semantic/unit-file.ts"
import * as vmStatus from "../src/collectors/vm-status/parse-vm-status.ts"
import * as zfs from "../src/collectors/zfs/parse-zfs.ts"
import type { ActionSpec, AnyDataTypeSpec } from "../src/pipeline/DataType.ts"
import { allActions, allDataTypes } from "../src/collectors/index.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { fixturesDir } from "./harness/fixtures.ts"

const SEED = Number(process.env["FUZZ_SEED"] ?? 20240607)
const CASES_PER_PARSER = Number(process.env["FUZZ_CASES"] ?? 150)
const CASES_PER_SPEC = CASES_PER_PARSER * 3

/** mulberry32: small, fast, and the same sequence on Node and Deno. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
type Rand = () => number
const int = (r: Rand, n: number) => Math.floor(r() * n)
const pick = <A>(r: Rand, xs: ReadonlyArray<A>): A => xs[int(r, xs.length)] as A

/** Source modules → the fixture categories their inputs look like. */
const modules: ReadonlyArray<{ name: string; mod: Record<string, unknown>; categories: ReadonlyArray<string> }> = [
  { name: "capabilities", mod: capabilities, categories: ["proc", "systemd"] },
  { name: "containers", mod: containers, categories: ["docker", "compose"] },
  { name: "docker-networks", mod: dockerNetworks, categories: ["docker"] },
  { name: "drive-health", mod: driveHealth, categories: ["drives", "smartctl"] },
  { name: "network-interfaces", mod: networkInterfaces, categories: ["network"] },
  { name: "sections", mod: sections, categories: ["proc"] },
  { name: "time", mod: time, categories: ["proc"] },
  { name: "system-logs", mod: systemLogs, categories: ["logs"] },
  { name: "system-metrics", mod: systemMetrics, categories: ["proc"] },
  { name: "systemd-services", mod: systemdServices, categories: ["systemd"] },
  { name: "systemd-unit", mod: systemdUnit, categories: ["systemd"] },
  { name: "vm-status", mod: vmStatus, categories: ["vms"] },
  { name: "zfs", mod: zfs, categories: ["zfs"] },
]

/** Parsers that take a whole CommandResult (the pipeline's input) rather than a text. */
const takesResult = new Set([
  "parseCapabilities",
  "parseContainers",
  "parseInspectOutput",
  "parseContainerActionOutput",
  "parseLogsOutput",
  "parseDockerNetworks",
  "parseDriveHealth",
  "parseNetworkInterfaces",
  "parseSystemLogs",
  "parseSystemMetrics",
  "parseSystemdServices",
  "parseVmStatus",
  "parseZfs",
])

/** Arguments after the input, where a parser needs them. */
const extraArgs = (name: string, r: Rand): Array<unknown> => {
  switch (name) {
    case "parseIpRoute":
    case "parseIpRouteJson":
    case "parseIpRouteText":
      return [pick(r, ["inet", "inet6"])]
    case "parseCounterSample":
      return ["sample"]
    case "parseLogLine":
      return [pick(r, ["stdout", "stderr"])]
    case "parseSmartctlJson":
      return ["/dev/sda", pick(r, [0, 2, 4, 64, 255])]
    case "parseContainerActionOutput":
      return ["web", pick(r, ["start", "stop", "restart"])]
    case "parseDriveHealth":
    case "parseSystemLogs":
      return [{}]
    default:
      return []
  }
}

/** Recordings kept with the tests (test/fixtures/<category>) join the shared ones. */
const localFixturesDir = path.resolve(process.cwd(), "test/fixtures")

const fixtureTexts = new Map<string, Array<string>>()
const fixturesOf = (category: string): Array<string> => {
  let texts = fixtureTexts.get(category)
  if (texts === undefined) {
    texts = [path.join(fixturesDir, category), path.join(localFixturesDir, category)]
      .filter((dir) => existsSync(dir))
      .flatMap((dir) =>
        readdirSync(dir)
          .filter((f) => f !== "SOURCES.md")
          .map((f) => readFileSync(path.join(dir, f), "utf8"))
      )
    fixtureTexts.set(category, texts)
  }
  return texts
}
const allCategories = readdirSync(fixturesDir).filter((c) => !c.includes("."))

const randomBytes = (r: Rand, max: number): string => {
  const n = int(r, max)
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = int(r, 256)
  return r() < 0.5 ? new TextDecoder("utf-8").decode(bytes) : String.fromCharCode(...bytes)
}

const nasty = [
  "NaN",
  "Infinity",
  "-Infinity",
  "-0",
  "1e309",
  "99999999999999999999999999",
  "-9223372036854775809",
  "0x1F",
  "",
  "null",
  "\u0000",
]

/** One mutation of a text: how real output goes wrong (cut, repeated, corrupted, absurd numbers). */
const mutate = (r: Rand, text: string): string => {
  const at = int(r, text.length + 1)
  const len = int(r, Math.min(400, text.length - at + 1))
  switch (int(r, 9)) {
    case 0: // deletion
      return text.slice(0, at) + text.slice(at + len)
    case 1: // duplication
      return text.slice(0, at + len) + text.slice(at, at + len) + text.slice(at + len)
    case 2: { // byte flips
      const chars = [...text]
      for (let i = 0; i < 1 + int(r, 8) && chars.length > 0; i++) {
        chars[int(r, chars.length)] = String.fromCharCode(
          pick(r, [0, 0xfffd, 0xd800, 10, 13, 34, 123, 125, 91, 58, int(r, 0x10000)]),
        )
      }
      return chars.join("")
    }
    case 3: // truncation
      return text.slice(0, at)
    case 4: // huge numbers
      return text.replace(
        /\d+/g,
        (m) => (r() < 0.2 ? pick(r, ["9".repeat(40), "1e309", "-99999999999999999999", "18446744073709551616"]) : m),
      )
    case 5: // NaN-like strings where numbers were
      return text.replace(/-?\d+(\.\d+)?/g, (m) => (r() < 0.2 ? pick(r, nasty) : m))
    case 6: { // lines shuffled / dropped
      const lines = text.split("\n")
      for (let i = 0; i < 3 && lines.length > 1; i++) {
        const a = int(r, lines.length)
        const b = int(r, lines.length)
        ;[lines[a], lines[b]] = [lines[b] as string, lines[a] as string]
      }
      return lines.join("\n")
    }
    case 7: // random bytes inserted
      return text.slice(0, at) + randomBytes(r, 64) + text.slice(at)
    default: // structural garbage
      return text.slice(0, at) +
        pick(r, ["{", "}", "[", "]", '"', ":", ",", "\n\n", `\n${MARKER} x\n`, `\n${MARKER}-rc x 0\n`]) + text.slice(at)
  }
}

/** A fuzz input: random bytes, or a real fixture with 1-4 mutations (sometimes none). */
const input = (r: Rand, categories: ReadonlyArray<string>): string => {
  if (r() < 0.15) return randomBytes(r, 4096)
  const category = r() < 0.85 ? pick(r, categories) : pick(r, allCategories)
  let text = pick(r, fixturesOf(category))
  const n = r() < 0.1 ? 0 : 1 + int(r, 4)
  for (let i = 0; i < n; i++) text = mutate(r, text)
  return text
}

/** Section names a spec's script prints (dynamic ones like smart:$dev get a plausible value). */
const sectionNames = (script: string): Array<string> => {
  const names = new Set<string>()
  for (const m of script.matchAll(/@@INFRA@@ %s\\n' ("?)([^\s";]+)\1/g)) {
    names.add((m[2] as string).replace(/\$\{?dev\}?/g, "/dev/sda").replace(/\$\w+/g, "x"))
  }
  return [...names]
}

/** Batched output for a spec: its own section names, bodies from fixtures, random exit codes. */
const batchedOutput = (r: Rand, names: ReadonlyArray<string>, categories: ReadonlyArray<string>): string => {
  const parts: Array<string> = []
  for (const name of names) {
    if (r() < 0.1) continue // a section went missing
    const rc = pick(r, [0, 0, 0, 0, 1, 2, 127, -1])
    parts.push(`\n${MARKER} ${name}\n${input(r, categories)}\n${MARKER}-rc ${name} ${rc}\n`)
  }
  const text = parts.join("")
  return r() < 0.3 ? mutate(r, text) : text
}

const commandResult = (r: Rand, stdout: string): CommandResult => ({
  stdout,
  stderr: r() < 0.7 ? "" : input(r, ["logs"]).slice(0, 2000),
  exitCode: pick(r, [0, 0, 0, 1, 2, 125, 127, -1]),
  durationMs: int(r, 10_000),
  bytes: stdout.length,
  truncated: r() < 0.1,
})

interface Failure {
  readonly where: string
  readonly seed: number
  readonly caseIndex: number
  readonly problem: string
}

/** Outcomes seen, so a run that never parses anything (or never fails) shows up. */
const outcomes = { success: 0, typedFailure: 0 }

/** Runs one parser call; returns what was wrong, or undefined. */
const check = (call: () => unknown, allowed: ReadonlyArray<string>): string | undefined => {
  let out: unknown
  try {
    out = call()
  } catch (e) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 300)
  }
  if (Result.isResult(out) && Result.isSuccess(out)) outcomes.success++
  if (Result.isResult(out) && Result.isFailure(out)) {
    outcomes.typedFailure++
    const failure = out.failure as { _tag?: unknown; message?: unknown } | null
    const tag = failure?._tag
    if (!allowed.includes(String(tag))) return `failed with ${String(tag)} instead of ${allowed.join("/")}`
    // A re-wrapped error that lost its message tells the operator nothing.
    if (typeof failure?.message !== "string" || failure.message === "") return `${String(tag)} with an empty message`
  }
  return undefined
}

const report = (failures: ReadonlyArray<Failure>) =>
  failures.slice(0, 8).map((f) => `${f.where} case ${f.caseIndex} (FUZZ_SEED=${f.seed}): ${f.problem}`).join("\n")

const hash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7)

describe(`parser fuzzing (FUZZ_SEED=${SEED})`, () => {
  test("every parse* export of src/collectors/*/parse-*.ts: no throw, failures are ParseError", () => {
    const failures: Array<Failure> = []
    const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../src/collectors")
    const source = (f: string) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts")
    const onDisk = [
      ...readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== "shared").flatMap((d) =>
        readdirSync(path.join(dir, d.name)).filter((f) => source(f) && f.startsWith("parse-"))
          .map((f) => f.slice("parse-".length))
      ),
      ...readdirSync(path.join(dir, "shared")).filter(source),
    ].map((f) => f.replace(/\.(ts|js)$/, "")).filter((f) => f !== "as-root")
    const covered = new Set(modules.map((m) => m.name))
    assert.deepEqual(onDisk.filter((f) => !covered.has(f)), [], "a parser module is missing from this test's list")
    let calls = 0
    for (const { name, mod, categories } of modules) {
      for (const [exported, fn] of Object.entries(mod)) {
        if (!/^parse/.test(exported) || typeof fn !== "function") continue
        const seed = (SEED ^ hash(`${name}.${exported}`)) >>> 0
        const r = prng(seed)
        for (let i = 0; i < CASES_PER_PARSER; i++) {
          const text = input(r, categories)
          const arg = takesResult.has(exported) ? commandResult(r, text) : text
          const problem = check(() => (fn as (...a: Array<unknown>) => unknown)(arg, ...extraArgs(exported, r)), [
            "ParseError",
          ])
          calls++
          if (problem !== undefined) failures.push({ where: `${name}.${exported}`, seed: SEED, caseIndex: i, problem })
        }
      }
    }
    assert.ok(calls > 1000, `only ${calls} calls`)
    assert.equal(failures.length, 0, `${failures.length} failures:\n${report(failures)}`)
  })

  test("every registry spec's parse (data types and actions), on batched output built from its own script", () => {
    const failures: Array<Failure> = []
    const categoriesOf = (name: string): ReadonlyArray<string> =>
      modules.find((m) => name.replace(/_/g, "-").startsWith(m.name.replace(/s$/, "")))?.categories ??
        (name.startsWith("container") || name.startsWith("docker") ? ["docker"] : allCategories)
    const specs: Array<AnyDataTypeSpec | ActionSpec> = [...allDataTypes, ...allActions]
    let batched = 0
    const before = { ...outcomes }
    for (const spec of specs) {
      const params = { name: "web" }
      // Some specs need params to build a script (globs, a pool...): then the sections stay unknown.
      const script = (() => {
        try {
          return spec.script(params)
        } catch {
          return ""
        }
      })()
      const names = sectionNames(script)
      if (names.length > 0) batched++
      const categories = categoriesOf(spec.name)
      const seed = (SEED ^ hash(spec.name)) >>> 0
      const r = prng(seed)
      for (let i = 0; i < CASES_PER_SPEC; i++) {
        const stdout = names.length > 0 && r() < 0.8 ? batchedOutput(r, names, categories) : input(r, categories)
        const problem = check(() => spec.parse(commandResult(r, stdout), params), ["ParseError", "NotFound"])
        if (problem !== undefined) failures.push({ where: `spec ${spec.name}`, seed: SEED, caseIndex: i, problem })
      }
    }
    assert.ok(batched >= 8, `section names found for only ${batched} specs`)
    assert.ok(outcomes.success > before.success, "some mutated outputs still parse")
    assert.ok(outcomes.typedFailure > before.typedFailure, "and some are refused with a typed error")
    assert.equal(failures.length, 0, `${failures.length} failures:\n${report(failures)}`)
  })

  test("the generator is deterministic for a seed", () => {
    const a = prng(42)
    const b = prng(42)
    const xs = Array.from({ length: 5 }, () => input(a, ["proc"]))
    const ys = Array.from({ length: 5 }, () => input(b, ["proc"]))
    assert.deepEqual(xs, ys)
  })
})

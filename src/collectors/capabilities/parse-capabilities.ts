import { Result, Schema } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { CommandResult } from "../../domain/command.ts"
import { type Capabilities, CapabilitiesSchema, PROBED_TOOLS } from "../../domain/capabilities.ts"
import { cpuIdentity } from "../system-metrics/parse/cpuinfo.ts"
import { type Section, splitSections } from "../shared/sections.ts"

export const CAPABILITIES = "capabilities"

export const CAP_SECTIONS = {
  osRelease: "os_release",
  uname: "uname",
  cpuinfo: "cpuinfo",
  nproc: "nproc",
  meminfo: "meminfo",
  virt: "virt",
  markers: "container_markers",
  init: "init",
  tools: "tools",
  privilege: "privilege",
  compose: "compose_files",
  nginx: "nginx_dirs",
} as const

const capFail = <A = never>(message: string, at: string): Result.Result<A, ParseError> =>
  Result.fail(new ParseError({ dataType: CAPABILITIES, message, at }))

const lines = (text: string): Array<string> =>
  text
    .replace(/\r/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")

// --- small pure parsers, one per file or tool -------------------------------------------------

/** /etc/os-release (shell-like KEY=value; values may be "double" or 'single' quoted). */
export const parseOsRelease = (text: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const line of lines(text)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line)
    if (m === null) continue // comments and malformed lines are ignored, as os-release(5) says
    let v = m[2] as string
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, "$1")
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1)
    out.set(m[1] as string, v)
  }
  return out
}

export interface Cpuinfo {
  readonly model: string | null
  /** Number of "processor" entries (s390x: its "# processors" line); 0 if none. */
  readonly processors: number
  /** First CPU's flags (x86 "flags"); empty on architectures without them. */
  readonly flags: ReadonlyArray<string>
}

// Fallback when cpuIdentity cannot name the CPU (an architecture it does not know), best first.
// Raspberry Pi's "Model" names the board; x86's "model" is a number and is skipped as such.
const MODEL_KEYS = ["model name", "cpu model", "processor_model", "model", "hardware", "uarch", "vendor_id", "isa"]

/**
 * /proc/cpuinfo in any architecture's layout ("key<TAB>: value" blocks). The model is the same
 * one system metrics reports (src/collectors/system-metrics/parse/cpuinfo.ts: POWER's `cpu`, ARM's implementer and
 * part codes, s390x's machine type). Keys are compared case-insensitively ("model name" on x86,
 * "Model Name" on LoongArch). ARM32's "Processor" line names the model while x86's "processor"
 * is the index: a non-numeric value counts as a model.
 */
export const parseCpuinfo = (text: string): Result.Result<Cpuinfo, ParseError> => {
  const first = new Map<string, string>()
  let processors = 0
  let s390Count: number | null = null
  for (const line of lines(text)) {
    const idx = line.indexOf(":")
    if (idx <= 0) continue
    const key = line.slice(0, idx).trim().toLowerCase()
    const value = line.slice(idx + 1).trim()
    if (key === "processor") {
      if (/^\d+$/.test(value)) processors++
      else if (!first.has("processor_model")) first.set("processor_model", value)
      continue
    }
    if (key === "# processors" && /^\d+$/.test(value)) s390Count = Number(value)
    if (!first.has(key)) first.set(key, value)
  }
  if (first.size === 0 && processors === 0) return capFail("cpuinfo has no 'key : value' lines", CAP_SECTIONS.cpuinfo)
  const model = cpuIdentity(text).model ??
    MODEL_KEYS.map((k) => first.get(k)).find((v) => v !== undefined && v !== "" && !/^\d+$/.test(v)) ?? null
  return Result.succeed({
    model,
    processors: s390Count ?? processors,
    flags: (first.get("flags") ?? "").split(/\s+/).filter((f) => f !== ""),
  })
}

/** "MemTotal:  16314848 kB" → bytes. */
export const parseMemTotal = (text: string): Result.Result<number, ParseError> => {
  const m = /^MemTotal:\s+(\d+)\s*kB$/m.exec(text)
  return m === null ? capFail("no 'MemTotal: N kB' line", CAP_SECTIONS.meminfo) : Result.succeed(Number(m[1]) * 1024)
}

/** systemd-detect-virt ids that are containers; every other non-"none" id is a VM. */
const CONTAINER_IDS = new Set([
  "openvz",
  "lxc",
  "lxc-libvirt",
  "systemd-nspawn",
  "docker",
  "podman",
  "rkt",
  "wsl",
  "proot",
  "pouch",
])

// --- the probe ---------------------------------------------------------------------------------

const need = (sections: Map<string, Section>, name: string): Result.Result<Section, ParseError> => {
  const s = sections.get(name)
  return s === undefined ? capFail(`section '${name}' missing from command output`, name) : Result.succeed(s)
}

const ok = (s: Section): boolean => s.exitCode === 0 && s.body.trim() !== ""

const virtualizationOf = (virt: Section, markers: Section, cpu: Cpuinfo | null): Capabilities["virtualization"] => {
  const detected = virt.body.trim()
  // systemd-detect-virt prints "none" and exits 1 on bare metal.
  if ((virt.exitCode === 0 || virt.exitCode === 1) && /^[a-z0-9_-]+$/.test(detected)) {
    if (detected === "none") return { kind: "none", type: null, source: "systemd-detect-virt" }
    return { kind: CONTAINER_IDS.has(detected) ? "container" : "vm", type: detected, source: "systemd-detect-virt" }
  }
  const found = lines(markers.body)
  if (found.includes("/.dockerenv")) return { kind: "container", type: "docker", source: "marker-file" }
  if (found.includes("/run/.containerenv")) return { kind: "container", type: "podman", source: "marker-file" }
  if (cpu !== null && cpu.flags.includes("hypervisor")) return { kind: "vm", type: null, source: "cpuinfo" }
  // x86 sets the hypervisor flag in every VM; other architectures have no such flag.
  if (cpu !== null && cpu.flags.length > 0) return { kind: "none", type: null, source: "cpuinfo" }
  return { kind: "unknown", type: null, source: "none" }
}

const parseTools = (body: string): Result.Result<Record<string, boolean>, ParseError> => {
  const tools: Record<string, boolean> = {}
  for (const line of lines(body)) {
    const m = /^(\S+) (yes|no)$/.exec(line)
    if (m === null) return capFail(`tools: unexpected line ${JSON.stringify(line.slice(0, 80))}`, CAP_SECTIONS.tools)
    tools[m[1] as string] = m[2] === "yes"
  }
  const missing = PROBED_TOOLS.filter((t) => !(t in tools))
  if (missing.length > 0) return capFail(`tools: no answer for ${missing.join(", ")}`, CAP_SECTIONS.tools)
  return Result.succeed(tools)
}

/** Absolute paths, one per line, deduplicated and sorted (find order is not stable). */
const pathList = (body: string): Array<string> => [...new Set(lines(body).filter((l) => l.startsWith("/")))].sort()

/** Parse the capability probe's output. */
export const parseCapabilities = (result: CommandResult): Result.Result<Capabilities, ParseError> =>
  Result.gen(function* () {
    if (result.truncated) yield* capFail(`output truncated after ${result.bytes} bytes`, "stdout")
    const sections = splitSections(result.stdout)
    const S = CAP_SECTIONS
    const osRelease = yield* need(sections, S.osRelease)
    const uname = yield* need(sections, S.uname)
    const cpuinfo = yield* need(sections, S.cpuinfo)
    const nproc = yield* need(sections, S.nproc)
    const meminfo = yield* need(sections, S.meminfo)
    const virt = yield* need(sections, S.virt)
    const markers = yield* need(sections, S.markers)
    const init = yield* need(sections, S.init)
    const tools = yield* need(sections, S.tools)
    const privilege = yield* need(sections, S.privilege)
    const compose = yield* need(sections, S.compose)
    const nginx = yield* need(sections, S.nginx)

    const os = parseOsRelease(ok(osRelease) ? osRelease.body : "")
    const [sysname, release, machine, nodename] = ok(uname) ? uname.body.split("\n").map((l) => l.trim()) : []
    const cpu = ok(cpuinfo) ? yield* parseCpuinfo(cpuinfo.body) : null
    let cores: number | null = null
    if (ok(nproc)) {
      const n = nproc.body.trim()
      if (!/^[1-9]\d*$/.test(n)) return yield* capFail(`nproc printed ${JSON.stringify(n.slice(0, 40))}`, S.nproc)
      cores = Number(n)
    }
    const initLines = lines(init.body)
    const priv = privilege.body.trim()
    if (!["root", "sudo", "none"].includes(priv)) {
      return yield* capFail(`privilege: expected root|sudo|none, got ${JSON.stringify(priv.slice(0, 40))}`, S.privilege)
    }
    const value = {
      os: {
        id: os.get("ID") ?? null,
        version_id: os.get("VERSION_ID") ?? null,
        pretty_name: os.get("PRETTY_NAME") ?? null,
      },
      kernel: sysname && release ? `${sysname} ${release}` : null,
      arch: machine || null,
      hostname: nodename || null,
      cpu: { model: cpu?.model ?? null, cores },
      memory_bytes: ok(meminfo) ? yield* parseMemTotal(meminfo.body) : null,
      virtualization: virtualizationOf(virt, markers, cpu),
      init: initLines.includes("@systemd-booted") ? "systemd" : (initLines[0] ?? "unknown"),
      tools: yield* parseTools(tools.body),
      sudo: priv !== "none",
      root: priv === "root",
      compose_files: pathList(compose.body),
      nginx_dirs: pathList(nginx.body),
    }
    return yield* Result.mapError(
      Schema.decodeUnknownResult(CapabilitiesSchema)(value),
      (e) =>
        new ParseError({
          dataType: CAPABILITIES,
          message: `capabilities failed validation: ${e.message}`,
          at: "schema",
        }),
    )
  })

import { Result } from "effect"
import { parseDocument } from "yaml"
import { ParseError } from "../../domain/errors.ts"
import {
  bag,
  commandOf,
  type Dependency,
  isRecord,
  keyValues,
  networkNames,
  normalizeDependsOn,
  normalizePorts,
  normalizeVolumes,
  type PortMapping,
  stringList,
  text,
  type VolumeMount,
} from "./compose-fields.ts"

/**
 * A docker compose file, normalised so that two versions compare field by field: every
 * short/long syntax pair collapses to one shape, YAML anchors/merge keys (`<<`) are resolved.
 * Not done here: `extends` and `include` are recorded, not followed (they name other files);
 * `${VAR}` interpolation is kept as written. Environment values are raw here — callers redact.
 */

export interface ComposeService {
  readonly image?: string
  readonly build?: {
    readonly context?: string
    readonly dockerfile?: string
    readonly target?: string
    readonly args?: Readonly<Record<string, string | null>>
  }
  readonly container_name?: string
  readonly ports: ReadonlyArray<PortMapping>
  readonly expose: ReadonlyArray<string>
  readonly volumes: ReadonlyArray<VolumeMount>
  readonly environment: Readonly<Record<string, string | null>>
  readonly env_file: ReadonlyArray<string>
  readonly depends_on: Readonly<Record<string, Dependency>>
  readonly networks: ReadonlyArray<string>
  readonly network_mode?: string
  readonly profiles: ReadonlyArray<string>
  readonly healthcheck?: Readonly<Record<string, unknown>>
  readonly restart?: string
  readonly labels: Readonly<Record<string, string | null>>
  readonly command?: string | ReadonlyArray<string>
  readonly entrypoint?: string | ReadonlyArray<string>
  readonly deploy?: Readonly<Record<string, unknown>>
  readonly extends?: { readonly service: string; readonly file?: string }
  readonly privileged: boolean
  readonly user?: string
  readonly cap_add: ReadonlyArray<string>
  readonly pid?: string
  readonly devices: ReadonlyArray<string>
  readonly secrets: ReadonlyArray<string>
  /** Every other key of the service (sysctls, ulimits, logging, …) as YAML gave it. */
  readonly other: Readonly<Record<string, unknown>>
}

export interface ComposeFile {
  readonly name?: string
  readonly version?: string
  readonly services: Readonly<Record<string, ComposeService>>
  readonly networks: Readonly<Record<string, unknown>>
  readonly volumes: Readonly<Record<string, unknown>>
  readonly secrets: Readonly<Record<string, unknown>>
  readonly configs: Readonly<Record<string, unknown>>
  /** Top-level `x-…` extension keys. */
  readonly extensions: ReadonlyArray<string>
  /** Top-level `include:` entries (paths), not followed. */
  readonly include: ReadonlyArray<string>
}

/**
 * Bound on alias expansion (yaml's count × aliases-per-anchor measure). The yaml default of 100
 * rejects real files: getsentry/self-hosted's compose file needs about 2000.
 */
export const MAX_ALIAS_COUNT = 5000

const fail = (message: string, at?: string): Result.Result<never, ParseError> =>
  Result.fail(new ParseError({ dataType: "docker_compose", message, ...(at !== undefined ? { at } : {}) }))

const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V }

const buildOf = (v: unknown): ComposeService["build"] => {
  const s = text(v)
  if (s !== undefined) return { context: s }
  if (!isRecord(v)) return undefined
  return {
    ...opt("context", text(v["context"])),
    ...opt("dockerfile", text(v["dockerfile"])),
    ...opt("target", text(v["target"])),
    ...(v["args"] !== undefined ? { args: keyValues(v["args"]) } : {}),
  }
}

const extendsOf = (v: unknown): ComposeService["extends"] => {
  const s = text(v)
  if (s !== undefined) return { service: s }
  if (!isRecord(v)) return undefined
  return { service: text(v["service"]) ?? "", ...opt("file", text(v["file"])) }
}

const deployOf = (v: unknown): Record<string, unknown> | undefined => {
  if (!isRecord(v)) return undefined
  const out = bag<unknown>()
  for (const k of ["mode", "replicas", "resources", "restart_policy", "placement"]) {
    if (v[k] !== undefined) out[k] = v[k]
  }
  return out
}

const secretNames = (v: unknown): Array<string> =>
  Array.isArray(v)
    ? v.map((s) => text(s) ?? (isRecord(s) ? text(s["source"]) : undefined)).filter((s) => s !== undefined)
    : []

const KNOWN_SERVICE_KEYS = new Set([
  "image",
  "build",
  "container_name",
  "ports",
  "expose",
  "volumes",
  "environment",
  "env_file",
  "depends_on",
  "networks",
  "network_mode",
  "profiles",
  "healthcheck",
  "restart",
  "labels",
  "command",
  "entrypoint",
  "deploy",
  "extends",
  "privileged",
  "user",
  "cap_add",
  "pid",
  "devices",
  "secrets",
])

const otherKeys = (s: Record<string, unknown>): Record<string, unknown> => {
  const out = bag<unknown>()
  for (const [k, v] of Object.entries(s)) if (!KNOWN_SERVICE_KEYS.has(k)) out[k] = v
  return out
}

const serviceOf = (v: unknown): ComposeService => {
  const s = isRecord(v) ? v : {}
  const healthcheck = isRecord(s["healthcheck"]) ? s["healthcheck"] : undefined
  return {
    ...opt("image", text(s["image"])),
    ...opt("build", buildOf(s["build"])),
    ...opt("container_name", text(s["container_name"])),
    ports: normalizePorts(s["ports"]),
    expose: stringList(s["expose"]),
    volumes: normalizeVolumes(s["volumes"]),
    environment: keyValues(s["environment"]),
    env_file: Array.isArray(s["env_file"])
      ? s["env_file"].map((e) => text(e) ?? (isRecord(e) ? text(e["path"]) : undefined)).filter((e) => e !== undefined)
      : stringList(s["env_file"]),
    depends_on: normalizeDependsOn(s["depends_on"]),
    networks: networkNames(s["networks"]),
    ...opt("network_mode", text(s["network_mode"])),
    profiles: stringList(s["profiles"]),
    ...opt("healthcheck", healthcheck),
    ...opt("restart", text(s["restart"])),
    labels: keyValues(s["labels"]),
    ...opt("command", commandOf(s["command"])),
    ...opt("entrypoint", commandOf(s["entrypoint"])),
    ...opt("deploy", deployOf(s["deploy"])),
    ...opt("extends", extendsOf(s["extends"])),
    privileged: s["privileged"] === true || s["privileged"] === "true",
    ...opt("user", text(s["user"])),
    cap_add: stringList(s["cap_add"]),
    ...opt("pid", text(s["pid"])),
    devices: Array.isArray(s["devices"]) ? stringList(s["devices"]) : [],
    secrets: secretNames(s["secrets"]),
    other: otherKeys(s),
  }
}

const section = (v: unknown): Record<string, unknown> => {
  const out = bag<unknown>()
  if (isRecord(v)) { for (const [k, val] of Object.entries(v)) out[k] = val ?? {} }
  return out
}

const includeOf = (v: unknown): Array<string> =>
  Array.isArray(v) ? v.flatMap((e) => (isRecord(e) ? stringList(e["path"]) : stringList(e))) : []

/** YAML → plain JS with merge keys and a bound on alias expansion (billion-laughs input). */
export const loadYaml = (text: string): Result.Result<unknown, ParseError> => {
  try {
    const doc = parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: false })
    const first = doc.errors[0]
    if (first !== undefined) {
      const pos = first.linePos?.[0]
      return fail(first.message.split("\n")[0] ?? "invalid YAML", pos ? `line ${pos.line}` : undefined)
    }
    return Result.succeed(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      return fail(`excessive YAML alias expansion (limit ${MAX_ALIAS_COUNT}): refusing to expand`)
    }
    return fail(e instanceof Error ? e.message : String(e))
  }
}

export const normalizeCompose = (data: unknown): Result.Result<ComposeFile, ParseError> => {
  if (data === null || data === undefined) return fail("empty document")
  if (!isRecord(data)) return fail("top level is not a mapping")
  const services = data["services"]
  if (services !== undefined && services !== null && !isRecord(services)) return fail("`services` is not a mapping")
  const out = bag<ComposeService>()
  if (isRecord(services)) { for (const [name, svc] of Object.entries(services)) out[name] = serviceOf(svc) }
  return Result.succeed({
    ...opt("name", text(data["name"])),
    ...opt("version", text(data["version"])),
    services: out,
    networks: section(data["networks"]),
    volumes: section(data["volumes"]),
    secrets: section(data["secrets"]),
    configs: section(data["configs"]),
    extensions: Object.keys(data).filter((k) => k.startsWith("x-")),
    include: includeOf(data["include"]),
  })
}

export const parseCompose = (text: string): Result.Result<ComposeFile, ParseError> =>
  Result.flatMap(loadYaml(text), normalizeCompose)

import { Result } from "effect"
import type { ParseError } from "../domain/errors.ts"
import { type ComposeFile, type ComposeService, parseCompose } from "./semantic/compose.ts"
import { parseEnvFile } from "./semantic/env.ts"
import { type NginxConfig, parseNginxConfig } from "./semantic/nginx.ts"
import { parseUnitFile, type UnitFile } from "./semantic/unit-file.ts"
import { redactAssignments, redactDeep, REDACTED, redactInline, redactValue } from "./redact.ts"
import type { ConfigType, ParsedConfig } from "./types.ts"

/** Content above this size is refused rather than parsed (keeps parsing and diffing bounded). */
export const MAX_CONTENT_BYTES = 5 * 1024 * 1024

/** Parsed data of a proxy config: the nginx summary plus whether nginx would load the file. */
export type ProxyConfigData = NginxConfig & {
  readonly format: "nginx"
  /** SWAG loads `*.conf`; `*.conf.sample` (and anything else) is inactive. */
  readonly active: boolean
}
export interface SystemdUnitData {
  readonly name: string
  readonly unit: UnitFile
}
export interface EnvFileData {
  readonly vars: Readonly<Record<string, string>>
  readonly keys: ReadonlyArray<string>
}

const segments = (path: string): Array<string> => path.replace(/\\/g, "/").toLowerCase().split("/")
const baseName = (path: string): string => segments(path).pop() ?? ""

const NGINX_DIRS = /nginx|swag|proxy-confs|site-confs|sites-available|sites-enabled|letsencrypt/

export const isActiveProxyPath = (path: string): boolean => baseName(path).endsWith(".conf")

/**
 * Which kind of config a path is, by name and location:
 * - `*.conf` / `*.conf.sample` under a directory whose name mentions nginx, swag, proxy-confs,
 *   site-confs or sites-available/enabled, and any `nginx.conf` → proxy_configs;
 * - `docker-compose*.y(a)ml` / `compose*.y(a)ml` → docker_compose;
 * - `*.service|timer|socket|mount|path|target` under a `systemd` directory → systemd_services;
 * - `.env`, `.env.*`, `*.env` → env_files.
 */
export const configTypeOf = (path: string): ConfigType | undefined => {
  const parts = segments(path)
  const base = parts.pop() ?? ""
  if (base === "") return undefined
  if (/^(docker-)?compose([.-][^/]*)?\.ya?ml$/.test(base)) return "docker_compose"
  if (base === ".env" || /^\.env\.[^/]+$/.test(base) || /^[^.][^/]*\.env$/.test(base)) return "env_files"
  if (/\.(service|timer|socket|mount|path|target)$/.test(base) && parts.some((p) => p.includes("systemd"))) {
    return "systemd_services"
  }
  if (base === "nginx.conf" || base === "nginx.conf.sample") return "proxy_configs"
  if (/\.conf(\.sample)?$/.test(base) && parts.some((p) => NGINX_DIRS.test(p))) return "proxy_configs"
  return undefined
}

const byteLength = (
  s: string,
): number => (s.length * 3 <= MAX_CONTENT_BYTES ? s.length : new TextEncoder().encode(s).length)

const redactStrings = (v: unknown): unknown => {
  if (typeof v === "string") return redactInline(v)
  if (Array.isArray(v)) return v.map(redactStrings)
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = Object.create(null)
    for (const [k, x] of Object.entries(v)) out[k] = redactStrings(x)
    return out
  }
  return v
}

const redactMap = (m: Readonly<Record<string, string | null>>): Record<string, string | null> => {
  const out: Record<string, string | null> = Object.create(null)
  for (const [k, v] of Object.entries(m)) out[k] = v === null ? null : redactValue(k, v)
  return out
}

const redactService = (s: ComposeService): ComposeService => ({
  ...(redactStrings(s) as ComposeService),
  environment: redactMap(s.environment),
  labels: redactMap(s.labels),
  ...(s.build?.args ? { build: { ...s.build, args: redactMap(s.build.args) } } : {}),
})

/** Inline secret definitions (`secrets: x: content: …`) are the secret itself. */
const redactSecretsSection = (secrets: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const out: Record<string, unknown> = Object.create(null)
  for (const [name, def] of Object.entries(secrets)) {
    const d = redactDeep(def) as Record<string, unknown>
    out[name] = d !== null && typeof d === "object" && "content" in d ? { ...d, content: REDACTED } : d
  }
  return out
}

export const redactCompose = (f: ComposeFile): ComposeFile => {
  const services: Record<string, ComposeService> = Object.create(null)
  for (const [name, s] of Object.entries(f.services)) services[name] = redactService(s)
  return {
    ...f,
    services,
    networks: redactDeep(f.networks) as Record<string, unknown>,
    volumes: redactDeep(f.volumes) as Record<string, unknown>,
    secrets: redactSecretsSection(f.secrets),
    configs: redactSecretsSection(f.configs),
  }
}

const redactUnit = (unit: UnitFile): UnitFile => {
  const out: Record<string, Record<string, ReadonlyArray<string>>> = Object.create(null)
  for (const [section, keys] of Object.entries(unit)) {
    const s: Record<string, ReadonlyArray<string>> = Object.create(null)
    for (const [key, values] of Object.entries(keys)) {
      s[key] = values.map((v) => (key === "Environment" ? redactAssignments(v) : redactValue(key, v)))
    }
    out[section] = s
  }
  return out
}

const ok = (data: unknown): ParsedConfig => ({ ok: true, data })
const failed = (error: string): ParsedConfig => ({ ok: false, error })
const fromResult = <A>(r: Result.Result<A, ParseError>, f: (a: A) => unknown): ParsedConfig =>
  Result.isFailure(r) ? failed(`${r.failure.message}${r.failure.at ? ` (${r.failure.at})` : ""}`) : ok(f(r.success))

const parseUnchecked = (type: ConfigType, path: string, content: string): ParsedConfig => {
  switch (type) {
    case "proxy_configs":
      return fromResult(parseNginxConfig(content), (c): ProxyConfigData => ({
        format: "nginx",
        active: isActiveProxyPath(path),
        ...c,
      }))
    case "docker_compose":
      return fromResult(parseCompose(content), redactCompose)
    case "systemd_services":
      return fromResult(parseUnitFile(content), (u): SystemdUnitData => ({ name: baseName(path), unit: redactUnit(u) }))
    case "env_files":
      return fromResult(parseEnvFile(content), (e): EnvFileData => {
        const vars: Record<string, string> = Object.create(null)
        for (const k of e.keys) vars[k] = redactValue(k, e.vars[k] ?? "")
        return { vars, keys: e.keys }
      })
    default:
      return failed(`unknown config type ${JSON.stringify(type)}`)
  }
}

/** Parses one file version; the data is already redacted. Never throws. */
export const parseConfig = (type: ConfigType, path: string, content: string): ParsedConfig => {
  try {
    if (typeof content !== "string") return failed("content is not text")
    const size = byteLength(content)
    if (size > MAX_CONTENT_BYTES) {
      return failed(`content is ${size} bytes, over the ${MAX_CONTENT_BYTES}-byte limit: not parsed`)
    }
    if (content.includes("\u0000")) return failed("content contains NUL bytes (binary file?): not parsed")
    return parseUnchecked(type, path, content)
  } catch (e) {
    return failed(`parser failure: ${e instanceof Error ? e.message : String(e)}`)
  }
}

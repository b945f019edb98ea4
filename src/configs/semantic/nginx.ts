import { Result } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import { redactInline, redactValue } from "../redact.ts"
import { type NginxDirective, type NginxNode, parseNginxSyntax } from "./nginx-syntax.ts"

/**
 * What an nginx (SWAG) config file says, per server block and location: names, listeners,
 * upstreams, includes, auth. Values are already redacted (headers, `set` of secret names, URL
 * credentials).
 */

export type AuthMethod = "authelia" | "authentik" | "tinyauth" | "ldap" | "basic" | "auth_request" | "access" | "other"

export interface AuthEntry {
  readonly method: AuthMethod
  /** The directive that sets it up: "include", "auth_basic", "auth_request", "allow", "deny". */
  readonly directive: string
  readonly value: string
  readonly line: number
}

export interface AuthInfo {
  readonly active: ReadonlyArray<AuthEntry>
  /** Auth directives present but commented out (`#include /config/nginx/authelia-location.conf;`). */
  readonly commented: ReadonlyArray<AuthEntry>
}

export interface Listen {
  readonly raw: string
  readonly address?: string
  readonly port?: number
  readonly ssl: boolean
  readonly http2: boolean
  readonly quic: boolean
  readonly default_server: boolean
}

export interface Upstream {
  /** proxy_pass as written. */
  readonly raw: string
  /** proxy_pass with the `set` variables substituted. */
  readonly resolved: string
  readonly proto?: string
  readonly app?: string
  readonly port?: number
}

export interface NginxLocation {
  readonly line: number
  /** "", "=", "~", "~*", "^~" ("" also for named `@locations`). */
  readonly modifier: string
  readonly path: string
  readonly upstream?: Upstream
  readonly includes: ReadonlyArray<string>
  readonly auth: AuthInfo
  readonly vars: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly locations: ReadonlyArray<NginxLocation>
  readonly return?: string
}

export interface NginxServer {
  readonly line: number
  readonly server_names: ReadonlyArray<string>
  readonly listen: ReadonlyArray<Listen>
  readonly includes: ReadonlyArray<string>
  readonly auth: AuthInfo
  readonly ssl_certificate: ReadonlyArray<string>
  readonly ssl_certificate_key: ReadonlyArray<string>
  readonly client_max_body_size?: string
  readonly vars: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly locations: ReadonlyArray<NginxLocation>
  /** Upstream of a proxy_pass directly in the server block (rare). */
  readonly upstream?: Upstream
  readonly return?: string
}

export interface NginxConfig {
  readonly servers: ReadonlyArray<NginxServer>
  /** Locations outside any server block (SWAG subfolder confs are included into a server). */
  readonly locations: ReadonlyArray<NginxLocation>
  /** Includes outside any server block. */
  readonly includes: ReadonlyArray<string>
  readonly auth: AuthInfo
  readonly vars: Readonly<Record<string, string>>
  readonly upstreams: ReadonlyArray<{ readonly name: string; readonly servers: ReadonlyArray<string> }>
  readonly client_max_body_size?: string
  /** Top-level ssl_certificate(_key), as in SWAG's ssl.conf that server blocks include. */
  readonly ssl_certificate: ReadonlyArray<string>
  readonly ssl_certificate_key: ReadonlyArray<string>
  readonly directives: number
}

const bag = <V>(): Record<string, V> => Object.create(null) as Record<string, V>

const directives = (nodes: ReadonlyArray<NginxNode>): Array<NginxDirective> =>
  nodes.filter((n): n is NginxDirective => n.type === "directive")

/** Auth flavour of an included file, by SWAG naming (`authelia-location.conf`, …). */
const includeAuthMethod = (path: string): AuthMethod | undefined => {
  const base = (path.split("/").pop() ?? path).toLowerCase()
  if (base.includes("authelia")) return "authelia"
  if (base.includes("authentik")) return "authentik"
  if (base.includes("tinyauth")) return "tinyauth"
  if (base.includes("ldap")) return "ldap"
  if (/auth/.test(base)) return "other"
  return undefined
}

const authOf = (name: string, args: ReadonlyArray<string>, line: number): AuthEntry | undefined => {
  const value = args.join(" ")
  switch (name) {
    case "include": {
      const method = includeAuthMethod(args[0] ?? "")
      return method ? { method, directive: name, value, line } : undefined
    }
    case "auth_basic":
      return args[0] === "off" ? undefined : { method: "basic", directive: name, value, line }
    case "auth_request":
      return args[0] === "off" ? undefined : { method: "auth_request", directive: name, value, line }
    case "allow":
    case "deny":
      return { method: "access", directive: name, value, line }
    default:
      return undefined
  }
}

const COMMENTED_DIRECTIVE = /^\s*(include|auth_basic|auth_request|allow|deny)\s+([^;#]+?)\s*;/

/** A comment that is a disabled auth directive. */
const commentedAuth = (text: string, line: number): AuthEntry | undefined => {
  const m = COMMENTED_DIRECTIVE.exec(text)
  if (!m) return undefined
  const args = (m[2] as string).split(/\s+/).map((a) => a.replace(/^["']|["']$/g, ""))
  return authOf(m[1] as string, args, line)
}

const authInfo = (nodes: ReadonlyArray<NginxNode>): AuthInfo => {
  const active: Array<AuthEntry> = []
  const commented: Array<AuthEntry> = []
  for (const n of nodes) {
    if (n.type === "comment") {
      const a = commentedAuth(n.text, n.line)
      if (a) commented.push(a)
    } else if (!n.block) {
      const a = authOf(n.name, n.args, n.line)
      if (a) active.push(a)
    }
  }
  return { active, commented }
}

const varsOf = (
  nodes: ReadonlyArray<NginxNode>,
  inherited: Readonly<Record<string, string>>,
): Record<string, string> => {
  const vars = Object.assign(bag<string>(), inherited)
  for (const d of directives(nodes)) {
    if (d.name === "set" && d.args.length >= 2 && d.args[0]?.startsWith("$")) {
      vars[(d.args[0] as string).slice(1)] = d.args[1] as string
    }
  }
  return vars
}

const redactedVars = (vars: Readonly<Record<string, string>>): Record<string, string> => {
  const out = bag<string>()
  for (const [k, v] of Object.entries(vars)) out[k] = redactValue(k, v)
  return out
}

const headersOf = (nodes: ReadonlyArray<NginxNode>): Record<string, string> => {
  const out = bag<string>()
  for (const d of directives(nodes)) {
    if (d.name === "proxy_set_header" && d.args.length >= 1) {
      const name = d.args[0] as string
      out[name] = redactValue(name, d.args.slice(1).join(" "))
    }
  }
  return out
}

const substitute = (text: string, vars: Readonly<Record<string, string>>): string =>
  text.replace(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (m, braced?: string, plain?: string) => {
    const name = (braced ?? plain) as string
    return Object.hasOwn(vars, name) ? (vars[name] as string) : m
  })

const upstreamOf = (raw: string, vars: Readonly<Record<string, string>>): Upstream => {
  const resolved = substitute(raw, vars)
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]+)(?::([^/?#]+))?/.exec(resolved)
  const base = { raw: redactInline(raw), resolved: redactInline(resolved) }
  if (!m) return base
  const port = m[3] !== undefined && /^\d+$/.test(m[3]) ? Number(m[3]) : undefined
  return {
    ...base,
    proto: m[1] as string,
    app: m[2] as string,
    ...(port !== undefined ? { port } : {}),
  }
}

/** proxy_pass of this block, looking into `if` blocks too (SWAG uses them for websockets etc.). */
const proxyPassOf = (nodes: ReadonlyArray<NginxNode>): string | undefined => {
  for (const d of directives(nodes)) {
    if (d.name === "proxy_pass" && d.args[0] !== undefined) return d.args[0]
  }
  for (const d of directives(nodes)) {
    if (d.name === "if" && d.block) {
      const inner = proxyPassOf(d.block)
      if (inner !== undefined) return inner
    }
  }
  return undefined
}

const includesOf = (nodes: ReadonlyArray<NginxNode>): Array<string> =>
  directives(nodes).filter((d) => d.name === "include" && !d.block).map((d) => d.args.join(" "))

const argsOf = (nodes: ReadonlyArray<NginxNode>, name: string): Array<string> =>
  directives(nodes).filter((d) => d.name === name && !d.block).map((d) => d.args.join(" "))

const returnOf = (nodes: ReadonlyArray<NginxNode>): { return?: string } => {
  const r = argsOf(nodes, "return")[0]
  return r === undefined ? {} : { return: redactInline(r) }
}

const parseListen = (args: ReadonlyArray<string>): Listen => {
  const first = args[0] ?? ""
  const flags = new Set(args.slice(1))
  let address: string | undefined
  let port: number | undefined
  if (/^\d+$/.test(first)) port = Number(first)
  else if (!first.startsWith("unix:")) {
    const m = /^(.*):(\d+)$/.exec(first)
    if (m) {
      address = m[1] as string
      port = Number(m[2])
    } else address = first
  } else address = first
  return {
    raw: args.join(" "),
    ...(address !== undefined ? { address } : {}),
    ...(port !== undefined ? { port } : {}),
    ssl: flags.has("ssl"),
    http2: flags.has("http2"),
    quic: flags.has("quic") || flags.has("http3"),
    default_server: flags.has("default_server") || flags.has("default"),
  }
}

const locationOf = (d: NginxDirective, inherited: Readonly<Record<string, string>>): NginxLocation => {
  const block = d.block ?? []
  const [modifier, path] = d.args.length >= 2 ? [d.args[0] as string, d.args.slice(1).join(" ")] : ["", d.args[0] ?? ""]
  const vars = varsOf(block, inherited)
  const pass = proxyPassOf(block)
  return {
    line: d.line,
    modifier,
    path,
    ...(pass !== undefined ? { upstream: upstreamOf(pass, vars) } : {}),
    includes: includesOf(block),
    auth: authInfo(block),
    vars: redactedVars(varsOf(block, {})),
    headers: headersOf(block),
    locations: directives(block).filter((n) => n.name === "location").map((n) => locationOf(n, vars)),
    ...returnOf(block),
  }
}

const serverOf = (d: NginxDirective, inherited: Readonly<Record<string, string>>): NginxServer => {
  const block = d.block ?? []
  const vars = varsOf(block, inherited)
  const pass = proxyPassOf(block)
  const bodySize = argsOf(block, "client_max_body_size").pop()
  return {
    line: d.line,
    server_names: directives(block).filter((n) => n.name === "server_name").flatMap((n) => n.args),
    listen: directives(block).filter((n) => n.name === "listen").map((n) => parseListen(n.args)),
    includes: includesOf(block),
    auth: authInfo(block),
    ssl_certificate: argsOf(block, "ssl_certificate"),
    ssl_certificate_key: argsOf(block, "ssl_certificate_key"),
    ...(bodySize !== undefined ? { client_max_body_size: bodySize } : {}),
    vars: redactedVars(varsOf(block, {})),
    headers: headersOf(block),
    locations: directives(block).filter((n) => n.name === "location").map((n) => locationOf(n, vars)),
    ...(pass !== undefined ? { upstream: upstreamOf(pass, vars) } : {}),
    ...returnOf(block),
  }
}

const countDirectives = (nodes: ReadonlyArray<NginxNode>): number =>
  directives(nodes).reduce((n, d) => n + 1 + (d.block ? countDirectives(d.block) : 0), 0)

/** Summarises an nginx AST: servers anywhere (also inside `http {}`), free locations, upstreams. */
export const summarizeNginx = (nodes: ReadonlyArray<NginxNode>): NginxConfig => {
  const servers: Array<NginxServer> = []
  const locations: Array<NginxLocation> = []
  const upstreams: Array<{ name: string; servers: Array<string> }> = []
  const topVars = varsOf(nodes, {})
  const walk = (list: ReadonlyArray<NginxNode>, vars: Readonly<Record<string, string>>): void => {
    for (const d of directives(list)) {
      if (!d.block) continue
      if (d.name === "server") servers.push(serverOf(d, vars))
      else if (d.name === "location") locations.push(locationOf(d, vars))
      else if (d.name === "upstream") {
        upstreams.push({ name: d.args[0] ?? "", servers: argsOf(d.block, "server").map(redactInline) })
      } else walk(d.block, varsOf(d.block, vars))
    }
  }
  walk(nodes, topVars)
  const bodySize = argsOf(nodes, "client_max_body_size").pop()
  return {
    servers,
    locations,
    includes: includesOf(nodes),
    auth: authInfo(nodes),
    vars: redactedVars(topVars),
    upstreams,
    ...(bodySize !== undefined ? { client_max_body_size: bodySize } : {}),
    ssl_certificate: argsOf(nodes, "ssl_certificate"),
    ssl_certificate_key: argsOf(nodes, "ssl_certificate_key"),
    directives: countDirectives(nodes),
  }
}

export const parseNginxConfig = (text: string): Result.Result<NginxConfig, ParseError> =>
  Result.map(parseNginxSyntax(text), summarizeNginx)

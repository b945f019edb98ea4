import type { AuthEntry, NginxConfig, NginxLocation, NginxServer, Upstream } from "./nginx.ts"
import { describeSets, type Finding, finding, medium, same, setDiff } from "../findings.ts"

/** Semantic differences between two nginx summaries (servers matched by position, locations by path). */

export const EMPTY_NGINX: NginxConfig = {
  servers: [],
  locations: [],
  includes: [],
  auth: { active: [], commented: [] },
  vars: {},
  upstreams: [],
  ssl_certificate: [],
  ssl_certificate_key: [],
  directives: 0,
}

const methods = (entries: ReadonlyArray<AuthEntry>): Array<string> => [...new Set(entries.map((e) => e.method))].sort()
const entryKeys = (entries: ReadonlyArray<AuthEntry>): Array<string> =>
  entries.map((e) => `${e.directive} ${e.value}`).sort()

const isAuthInclude = (path: string): boolean => /auth|ldap/i.test(path.split("/").pop() ?? "")
const plainIncludes = (list: ReadonlyArray<string>): Array<string> => list.filter((p) => !isAuthInclude(p))

const upstreamView = (u: Upstream | undefined) =>
  u === undefined ? undefined : { proto: u.proto, app: u.app, port: u.port, resolved: u.resolved }

const upstreamApps = (locations: ReadonlyArray<NginxLocation>): Array<string> =>
  locations.flatMap((l) => [...(l.upstream?.app ? [l.upstream.app] : []), ...upstreamApps(l.locations)])

/** Names that identify a server for `affectedServices`: server_names and upstream apps. */
const serverServices = (s: NginxServer | undefined): Array<string> =>
  s === undefined ? [] : [...s.server_names, ...(s.upstream?.app ? [s.upstream.app] : []), ...upstreamApps(s.locations)]

const locationKey = (l: NginxLocation): string => `${l.modifier ? `${l.modifier} ` : ""}${l.path}`

const keyed = (list: ReadonlyArray<NginxLocation>): Map<string, NginxLocation> => {
  const m = new Map<string, NginxLocation>()
  for (const l of list) {
    let k = locationKey(l)
    for (let n = 2; m.has(k); n++) k = `${locationKey(l)} #${n}`
    m.set(k, l)
  }
  return m
}

interface Scope {
  readonly path: string
  readonly services: ReadonlyArray<string>
  readonly authBefore: ReadonlyArray<AuthEntry>
  readonly authAfter: ReadonlyArray<AuthEntry>
}

const compareAuth = (
  path: string,
  before: ReadonlyArray<AuthEntry>,
  after: ReadonlyArray<AuthEntry>,
  services: ReadonlyArray<string>,
): Array<Finding> => {
  const out: Array<Finding> = []
  const m = setDiff(methods(before), methods(after))
  if (m.removed.length > 0) {
    out.push(finding("CRITICAL", "auth-removed", {
      kind: "auth",
      path,
      before: methods(before),
      after: methods(after),
      description: `authentication removed at ${path}: ${m.removed.join(", ")}`,
    }, services))
  } else if (!same(entryKeys(before), entryKeys(after))) {
    out.push(medium({
      kind: "auth",
      path,
      before: entryKeys(before),
      after: entryKeys(after),
      description: `authentication changed at ${path}${m.added.length > 0 ? `: added ${m.added.join(", ")}` : ""}`,
    }, services))
  }
  return out
}

const compareLocation = (b: NginxLocation, a: NginxLocation, scope: Scope): Array<Finding> => {
  const path = `${scope.path}location[${locationKey(a)}]`
  const services = [
    ...scope.services,
    ...(b.upstream?.app ? [b.upstream.app] : []),
    ...(a.upstream?.app ? [a.upstream.app] : []),
  ]
  const out: Array<Finding> = []
  if (!same(upstreamView(b.upstream), upstreamView(a.upstream))) {
    out.push(finding("HIGH", "upstream-changed", {
      kind: "upstream",
      path,
      before: upstreamView(b.upstream),
      after: upstreamView(a.upstream),
      description: `upstream of ${path} changed: ${b.upstream?.resolved ?? "none"} → ${a.upstream?.resolved ?? "none"}`,
    }, services))
  }
  out.push(
    ...compareAuth(path, [...scope.authBefore, ...b.auth.active], [...scope.authAfter, ...a.auth.active], services),
  )
  const inc = setDiff(plainIncludes(b.includes), plainIncludes(a.includes))
  if (inc.added.length + inc.removed.length > 0) {
    out.push(
      medium({
        kind: "include",
        path,
        before: b.includes,
        after: a.includes,
        description: describeSets("include", inc),
      }, services),
    )
  }
  if (!same(b.headers, a.headers)) {
    out.push(
      medium({
        kind: "headers",
        path,
        before: b.headers,
        after: a.headers,
        description: `proxy headers changed at ${path}`,
      }, services),
    )
  }
  if (b.return !== a.return) {
    out.push(
      medium(
        { kind: "return", path, before: b.return, after: a.return, description: `return changed at ${path}` },
        services,
      ),
    )
  }
  if (!same(b.vars, a.vars) && same(upstreamView(b.upstream), upstreamView(a.upstream))) {
    out.push(
      medium(
        { kind: "set", path, before: b.vars, after: a.vars, description: `variables changed at ${path}` },
        services,
      ),
    )
  }
  out.push(
    ...compareLocations(b.locations, a.locations, {
      path: `${path}.`,
      services,
      authBefore: [...scope.authBefore, ...b.auth.active],
      authAfter: [...scope.authAfter, ...a.auth.active],
    }),
  )
  return out
}

const compareLocations = (
  before: ReadonlyArray<NginxLocation>,
  after: ReadonlyArray<NginxLocation>,
  scope: Scope,
): Array<Finding> => {
  const out: Array<Finding> = []
  const b = keyed(before)
  const a = keyed(after)
  for (const [k, loc] of b) {
    const next = a.get(k)
    if (next) out.push(...compareLocation(loc, next, scope))
    else {
      out.push(medium({
        kind: "location",
        path: `${scope.path}location[${k}]`,
        before: k,
        description: `location ${k} removed`,
      }, [...scope.services, ...upstreamApps([loc])]))
    }
  }
  const guarded = before.length > 0 && [...b.values()].every((l) => scope.authBefore.length + l.auth.active.length > 0)
  for (const [k, loc] of a) {
    if (b.has(k)) continue
    const services = [...scope.services, ...upstreamApps([loc])]
    const change = {
      kind: "location",
      path: `${scope.path}location[${k}]`,
      after: k,
      description: `location ${k} added`,
    }
    // A new unauthenticated route next to routes that all required auth opens a way around it.
    const open = loc.upstream !== undefined && scope.authAfter.length + loc.auth.active.length === 0
    out.push(
      guarded && open
        ? finding("HIGH", "unauthenticated-location-added", {
          ...change,
          description: `location ${k} added without authentication (the other locations require it)`,
        }, services)
        : medium(change, services),
    )
  }
  return out
}

const listenView = (s: NginxServer): Array<string> =>
  s.listen.map((l) => `${l.address ?? "*"}:${l.port ?? "?"}${l.ssl ? " ssl" : ""}${l.default_server ? " default" : ""}`)
    .sort()

const compareServer = (b: NginxServer, a: NginxServer, i: number): Array<Finding> => {
  const path = `server[${i}]`
  const services = [...new Set([...serverServices(b), ...serverServices(a)])]
  const out: Array<Finding> = []
  const names = setDiff(b.server_names, a.server_names)
  if (names.added.length + names.removed.length > 0) {
    out.push(medium({
      kind: "server_name",
      path,
      before: b.server_names,
      after: a.server_names,
      description: describeSets("server_name", names),
    }, services))
  }
  if (!same(listenView(b), listenView(a))) {
    const ports = setDiff(b.listen.map((l) => String(l.port)), a.listen.map((l) => String(l.port)))
    const portChange = ports.added.length + ports.removed.length > 0
    const change = {
      kind: "listen",
      path,
      before: b.listen.map((l) => l.raw),
      after: a.listen.map((l) => l.raw),
      description: portChange ? `listen ports changed: ${describeSets("port", ports)}` : "listen options changed",
    }
    out.push(portChange ? finding("HIGH", "listen-port-changed", change, services) : medium(change, services))
  }
  if (!same([b.ssl_certificate, b.ssl_certificate_key], [a.ssl_certificate, a.ssl_certificate_key])) {
    out.push(medium({
      kind: "ssl",
      path,
      before: { certificate: b.ssl_certificate, key: b.ssl_certificate_key },
      after: { certificate: a.ssl_certificate, key: a.ssl_certificate_key },
      description: "ssl certificate paths changed",
    }, services))
  }
  if (b.client_max_body_size !== a.client_max_body_size) {
    out.push(medium({
      kind: "client_max_body_size",
      path,
      before: b.client_max_body_size,
      after: a.client_max_body_size,
      description: `client_max_body_size ${b.client_max_body_size ?? "default"} → ${
        a.client_max_body_size ?? "default"
      }`,
    }, services))
  }
  const inc = setDiff(plainIncludes(b.includes), plainIncludes(a.includes))
  if (inc.added.length + inc.removed.length > 0) {
    out.push(
      medium({
        kind: "include",
        path,
        before: b.includes,
        after: a.includes,
        description: describeSets("include", inc),
      }, services),
    )
  }
  if (!same(upstreamView(b.upstream), upstreamView(a.upstream))) {
    out.push(finding("HIGH", "upstream-changed", {
      kind: "upstream",
      path,
      before: upstreamView(b.upstream),
      after: upstreamView(a.upstream),
      description: `server upstream changed: ${b.upstream?.resolved ?? "none"} → ${a.upstream?.resolved ?? "none"}`,
    }, services))
  }
  if (b.return !== a.return) {
    out.push(
      medium({ kind: "return", path, before: b.return, after: a.return, description: "return changed" }, services),
    )
  }
  out.push(...compareAuth(path, b.auth.active, a.auth.active, services))
  out.push(
    ...compareLocations(b.locations, a.locations, {
      path: `${path}.`,
      services: [...b.server_names, ...a.server_names],
      authBefore: b.auth.active.filter((e) => e.directive !== "include"),
      authAfter: a.auth.active.filter((e) => e.directive !== "include"),
    }),
  )
  return out
}

/** All semantic findings between two versions of an nginx file. */
export const compareNginx = (b: NginxConfig, a: NginxConfig): Array<Finding> => {
  const out: Array<Finding> = []
  const n = Math.max(b.servers.length, a.servers.length)
  for (let i = 0; i < n; i++) {
    const sb = b.servers[i]
    const sa = a.servers[i]
    if (sb && sa) out.push(...compareServer(sb, sa, i))
    else if (sa) {
      out.push(medium({
        kind: "server",
        path: `server[${i}]`,
        after: sa.server_names,
        description: `server block added (${sa.server_names.join(" ") || "no server_name"})`,
      }, serverServices(sa)))
    } else if (sb) {
      out.push(medium({
        kind: "server",
        path: `server[${i}]`,
        before: sb.server_names,
        description: `server block removed (${sb.server_names.join(" ") || "no server_name"})`,
      }, serverServices(sb)))
    }
  }
  out.push(...compareAuth("file", b.auth.active, a.auth.active, []))
  out.push(...compareLocations(b.locations, a.locations, { path: "", services: [], authBefore: [], authAfter: [] }))
  const inc = setDiff(plainIncludes(b.includes), plainIncludes(a.includes))
  if (inc.added.length + inc.removed.length > 0) {
    out.push(
      medium({
        kind: "include",
        path: "file",
        before: b.includes,
        after: a.includes,
        description: describeSets("include", inc),
      }),
    )
  }
  if (!same([b.ssl_certificate, b.ssl_certificate_key], [a.ssl_certificate, a.ssl_certificate_key])) {
    out.push(medium({
      kind: "ssl",
      path: "file",
      before: { certificate: b.ssl_certificate, key: b.ssl_certificate_key },
      after: { certificate: a.ssl_certificate, key: a.ssl_certificate_key },
      description: "ssl certificate paths changed",
    }))
  }
  if (b.client_max_body_size !== a.client_max_body_size) {
    out.push(medium({
      kind: "client_max_body_size",
      path: "file",
      before: b.client_max_body_size,
      after: a.client_max_body_size,
      description: `client_max_body_size ${b.client_max_body_size ?? "default"} → ${
        a.client_max_body_size ?? "default"
      }`,
    }))
  }
  if (!same(b.upstreams, a.upstreams)) {
    out.push(finding("HIGH", "upstream-changed", {
      kind: "upstream",
      path: "upstream",
      before: b.upstreams,
      after: a.upstreams,
      description: "upstream blocks changed",
    }, [...b.upstreams, ...a.upstreams].map((u) => u.name)))
  }
  return out
}

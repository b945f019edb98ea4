import type { ComposeFile } from "./semantic/compose.ts"
import type { AuthEntry, NginxLocation } from "./semantic/nginx.ts"
import { isActiveProxyPath, type ProxyConfigData } from "./parse-config.ts"
import type { ParsedConfig } from "./types.ts"

/**
 * Which public name routes to which container: joins parsed proxy confs (server_name →
 * location → upstream app/port) with the containers seen on the host.
 */

export interface ContainerRef {
  readonly name: string
  readonly ports?: ReadonlyArray<unknown>
  readonly compose_service?: string
  readonly compose_project?: string
  readonly state?: string
}

export interface ServiceMapEntry {
  /** First label of the server_name (`radarr.*` → "radarr"); absent for subfolder confs or catch-alls. */
  readonly subdomain?: string
  readonly server_names: ReadonlyArray<string>
  readonly location: string
  readonly upstream_app?: string
  readonly upstream_port?: number
  readonly upstream_proto?: string
  /** Auth methods in force for this route (server + location), e.g. ["authelia"]. */
  readonly auth: ReadonlyArray<string>
  readonly container: {
    readonly name: string
    readonly state?: string
    readonly compose_service?: string
    readonly compose_project?: string
    /** How the upstream app was matched. */
    readonly matched_by: "container_name" | "compose_service"
  } | null
  readonly config_path: string
  /** False for files nginx does not load (`*.conf.sample`). */
  readonly active: boolean
}

export interface ComposeDependency {
  readonly service: string
  readonly depends_on: string
  readonly condition: string
  readonly restart?: boolean
  readonly required?: boolean
}

/** Accepts a ParsedConfig or its data. */
const dataOf = <T>(parsed: ParsedConfig | T | null | undefined): T | undefined => {
  if (parsed === null || parsed === undefined || typeof parsed !== "object") return undefined
  if ("ok" in parsed && typeof (parsed as { ok: unknown }).ok === "boolean") {
    const p = parsed as ParsedConfig
    return p.ok ? (p.data as T) : undefined
  }
  return parsed as T
}

const subdomainOf = (names: ReadonlyArray<string>): string | undefined => {
  for (const n of names) {
    if (n === "_" || n.startsWith("~") || n === "") continue
    const label = n.replace(/^\*\./, "").split(".")[0]
    if (label !== undefined && label !== "" && label !== "*") return label
  }
  return undefined
}

const methods = (entries: ReadonlyArray<AuthEntry>): Array<string> => entries.map((e) => e.method)

const matchContainer = (
  app: string | undefined,
  containers: ReadonlyArray<ContainerRef>,
): ServiceMapEntry["container"] => {
  if (app === undefined) return null
  const want = app.toLowerCase()
  const byName = containers.find((c) => c.name.replace(/^\//, "").toLowerCase() === want)
  const byService = byName ?? containers.find((c) => c.compose_service?.toLowerCase() === want)
  const c = byService
  if (c === undefined) return null
  return {
    name: c.name.replace(/^\//, ""),
    ...(c.state !== undefined ? { state: c.state } : {}),
    ...(c.compose_service !== undefined ? { compose_service: c.compose_service } : {}),
    ...(c.compose_project !== undefined ? { compose_project: c.compose_project } : {}),
    matched_by: byName !== undefined ? "container_name" : "compose_service",
  }
}

const entriesOf = (
  locations: ReadonlyArray<NginxLocation>,
  base: {
    server_names: ReadonlyArray<string>
    auth: ReadonlyArray<string>
    path: string
    active: boolean
    prefix: string
  },
  containers: ReadonlyArray<ContainerRef>,
): Array<ServiceMapEntry> =>
  locations.flatMap((l) => {
    const auth = [...new Set([...base.auth, ...methods(l.auth.active)])].sort()
    const location = `${base.prefix}${l.modifier ? `${l.modifier} ` : ""}${l.path}`
    const subdomain = subdomainOf(base.server_names)
    const own: Array<ServiceMapEntry> = l.upstream === undefined ? [] : [{
      ...(subdomain !== undefined ? { subdomain } : {}),
      server_names: base.server_names,
      location,
      ...(l.upstream.app !== undefined ? { upstream_app: l.upstream.app } : {}),
      ...(l.upstream.port !== undefined ? { upstream_port: l.upstream.port } : {}),
      ...(l.upstream.proto !== undefined ? { upstream_proto: l.upstream.proto } : {}),
      auth,
      container: matchContainer(l.upstream.app, containers),
      config_path: base.path,
      active: base.active,
    }]
    return [...own, ...entriesOf(l.locations, { ...base, auth, prefix: `${location} > ` }, containers)]
  })

/** One entry per proxied location of every parsed proxy conf. Unparsed confs are skipped. */
export const buildServiceMap = (
  proxyConfigs: ReadonlyArray<{ readonly path: string; readonly parsed: ParsedConfig | ProxyConfigData | null }>,
  containers: ReadonlyArray<ContainerRef>,
): Array<ServiceMapEntry> =>
  proxyConfigs.flatMap(({ path, parsed }) => {
    const conf = dataOf<ProxyConfigData>(parsed)
    if (conf === undefined || typeof conf.servers !== "object" || conf.servers === null) return []
    const active = typeof conf.active === "boolean" ? conf.active : isActiveProxyPath(path)
    const fileAuth = methods(conf.auth?.active ?? [])
    const inServers = conf.servers.flatMap((s) =>
      entriesOf(s.locations, {
        server_names: s.server_names,
        // `*-server.conf` includes only prepare auth; enforcement comes from location-level directives.
        auth: [...fileAuth, ...methods(s.auth.active.filter((e) => e.directive !== "include"))],
        path,
        active,
        prefix: "",
      }, containers)
    )
    const free = entriesOf(
      conf.locations ?? [],
      { server_names: [], auth: fileAuth, path, active, prefix: "" },
      containers,
    )
    return [...inServers, ...free]
  })

/** Edges service → dependency with their conditions, in file order. */
export const composeDependencies = (composeParsed: ParsedConfig | ComposeFile | null): Array<ComposeDependency> => {
  const file = dataOf<ComposeFile>(composeParsed)
  if (file === undefined || file.services === undefined) return []
  return Object.entries(file.services).flatMap(([service, s]) =>
    Object.entries(s.depends_on ?? {}).map(([dep, d]) => ({
      service,
      depends_on: dep,
      condition: d.condition,
      ...(d.restart !== undefined ? { restart: d.restart } : {}),
      ...(d.required !== undefined ? { required: d.required } : {}),
    }))
  )
}

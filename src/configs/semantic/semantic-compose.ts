import type { ComposeFile, ComposeService } from "./compose.ts"
import { describeSets, type Finding, finding, medium, same, setDiff } from "../findings.ts"

/** Semantic differences between two compose files, service by service. Env values are never reported. */

export const EMPTY_COMPOSE: ComposeFile = {
  services: {},
  networks: {},
  volumes: {},
  secrets: {},
  configs: {},
  extensions: [],
  include: [],
}

const EMPTY_SERVICE: ComposeService = {
  ports: [],
  expose: [],
  volumes: [],
  environment: {},
  env_file: [],
  depends_on: {},
  networks: [],
  profiles: [],
  labels: {},
  privileged: false,
  cap_add: [],
  devices: [],
  secrets: [],
  other: {},
}

/** Host paths whose mount hands a container control of the host. */
const SENSITIVE_MOUNTS = new Set([
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/",
  "/etc",
  "/root",
  "/proc",
  "/sys",
  "/dev",
])
const DANGEROUS_CAPS = new Set(["ALL", "SYS_ADMIN", "CAP_SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_ADMIN"])

const portKey = (p: ComposeService["ports"][number]): string =>
  `${p.host_ip ? `${p.host_ip}:` : ""}${p.published ?? ""}:${p.target}/${p.protocol}`

const mountKey = (v: ComposeService["volumes"][number]): string =>
  `${v.type} ${v.source ?? ""}:${v.target}${v.read_only ? ":ro" : ""}`

const isRootUser = (u: string | undefined): boolean => u !== undefined && /^(root|0)(:.*)?$/.test(u)

const SIMPLE_FIELDS = [
  "build",
  "container_name",
  "command",
  "entrypoint",
  "healthcheck",
  "deploy",
  "extends",
  "profiles",
  "env_file",
  "expose",
  "devices",
  "secrets",
] as const

const compareService = (name: string, b: ComposeService, a: ComposeService): Array<Finding> => {
  const path = `services.${name}`
  const svc = [name]
  const out: Array<Finding> = []
  if (b.image !== a.image) {
    out.push(finding("HIGH", "image-changed", {
      kind: "service.image",
      path,
      before: b.image,
      after: a.image,
      description: `image ${b.image ?? "none"} → ${a.image ?? "none"}`,
    }, svc))
  }
  const ports = setDiff(b.ports.map(portKey), a.ports.map(portKey))
  if (ports.added.length > 0) {
    out.push(finding("HIGH", "port-exposed", {
      kind: "service.ports",
      path,
      before: b.ports.map((p) => p.raw),
      after: a.ports.map((p) => p.raw),
      description: describeSets("port", ports),
    }, svc))
  } else if (ports.removed.length > 0) {
    out.push(medium({
      kind: "service.ports",
      path,
      before: b.ports.map((p) => p.raw),
      after: a.ports.map((p) => p.raw),
      description: describeSets("port", ports),
    }, svc))
  }
  const mounts = setDiff(b.volumes.map(mountKey), a.volumes.map(mountKey))
  if (mounts.added.length + mounts.removed.length > 0) {
    const sensitive = a.volumes.filter((v) =>
      v.type === "bind" && v.source !== undefined && SENSITIVE_MOUNTS.has(v.source.replace(/(.)\/+$/, "$1")) &&
      mounts.added.includes(mountKey(v))
    )
    const change = {
      kind: "service.volumes",
      path,
      before: b.volumes.map((v) => v.raw),
      after: a.volumes.map((v) => v.raw),
      description: describeSets("volume", mounts),
    }
    out.push(
      sensitive.length > 0
        ? finding("CRITICAL", "sensitive-host-mount", {
          ...change,
          description: `host path mounted into the container: ${sensitive.map((v) => v.source).join(", ")}`,
        }, svc)
        : medium(change, svc),
    )
  }
  const envKeys = setDiff(Object.keys(b.environment), Object.keys(a.environment))
  const envChanged = Object.keys(a.environment).filter((k) =>
    Object.hasOwn(b.environment, k) && b.environment[k] !== a.environment[k]
  )
  if (envKeys.added.length + envKeys.removed.length + envChanged.length > 0) {
    out.push(medium({
      kind: "service.environment",
      path,
      before: Object.keys(b.environment),
      after: Object.keys(a.environment),
      description: [
        describeSets("variable", envKeys),
        envChanged.length > 0 ? `value changed: ${envChanged.join(", ")}` : "",
      ]
        .filter((s) => s !== "")
        .join("; "),
    }, svc))
  }
  if (!same(b.depends_on, a.depends_on)) {
    out.push(medium({
      kind: "service.depends_on",
      path,
      before: b.depends_on,
      after: a.depends_on,
      description: `depends_on changed: ${
        describeSets("dependency", setDiff(Object.keys(b.depends_on), Object.keys(a.depends_on))) ||
        "conditions changed"
      }`,
    }, svc))
  }
  const nets = setDiff(b.networks, a.networks)
  if (nets.added.length + nets.removed.length > 0) {
    out.push(
      medium({
        kind: "service.networks",
        path,
        before: b.networks,
        after: a.networks,
        description: describeSets("network", nets),
      }, svc),
    )
  }
  if (b.network_mode !== a.network_mode) {
    const change = {
      kind: "service.network_mode",
      path,
      before: b.network_mode,
      after: a.network_mode,
      description: `network_mode ${b.network_mode ?? "default"} → ${a.network_mode ?? "default"}`,
    }
    out.push(a.network_mode === "host" ? finding("CRITICAL", "host-network", change, svc) : medium(change, svc))
  }
  if (b.pid !== a.pid) {
    const change = {
      kind: "service.pid",
      path,
      before: b.pid,
      after: a.pid,
      description: `pid ${b.pid ?? "default"} → ${a.pid ?? "default"}`,
    }
    out.push(a.pid === "host" ? finding("CRITICAL", "host-pid", change, svc) : medium(change, svc))
  }
  if (b.privileged !== a.privileged) {
    const change = {
      kind: "service.privileged",
      path,
      before: b.privileged,
      after: a.privileged,
      description: a.privileged ? "service switched to privileged" : "service no longer privileged",
    }
    out.push(a.privileged ? finding("CRITICAL", "privileged", change, svc) : medium(change, svc))
  }
  const caps = setDiff(b.cap_add, a.cap_add)
  if (caps.added.length + caps.removed.length > 0) {
    const change = {
      kind: "service.cap_add",
      path,
      before: b.cap_add,
      after: a.cap_add,
      description: describeSets("capability", caps),
    }
    out.push(
      caps.added.some((c) => DANGEROUS_CAPS.has(c.toUpperCase()))
        ? finding("HIGH", "capability-added", change, svc)
        : medium(change, svc),
    )
  }
  if (b.user !== a.user) {
    const change = {
      kind: "service.user",
      path,
      before: b.user,
      after: a.user,
      description: `user ${b.user ?? "image default"} → ${a.user ?? "image default"}`,
    }
    out.push(
      isRootUser(a.user) && !isRootUser(b.user) ? finding("HIGH", "user-root", change, svc) : medium(change, svc),
    )
  }
  if (b.restart !== a.restart) {
    out.push(
      medium({
        kind: "service.restart",
        path,
        before: b.restart,
        after: a.restart,
        description: `restart ${b.restart ?? "no"} → ${a.restart ?? "no"}`,
      }, svc),
    )
  }
  const labels = setDiff(Object.keys(b.labels), Object.keys(a.labels))
  const labelChanged = Object.keys(a.labels).filter((k) => Object.hasOwn(b.labels, k) && b.labels[k] !== a.labels[k])
  if (labels.added.length + labels.removed.length + labelChanged.length > 0) {
    out.push(medium({
      kind: "service.labels",
      path,
      before: b.labels,
      after: a.labels,
      description: [describeSets("label", labels), labelChanged.length > 0 ? `changed: ${labelChanged.join(", ")}` : ""]
        .filter((s) => s !== "")
        .join("; "),
    }, svc))
  }
  for (const field of SIMPLE_FIELDS) {
    if (!same(b[field], a[field])) {
      out.push(
        medium(
          { kind: `service.${field}`, path, before: b[field], after: a[field], description: `${field} changed` },
          svc,
        ),
      )
    }
  }
  for (const key of new Set([...Object.keys(b.other), ...Object.keys(a.other)])) {
    if (!same(b.other[key], a.other[key])) {
      out.push(
        medium({
          kind: `service.${key}`,
          path,
          before: b.other[key],
          after: a.other[key],
          description: `${key} changed`,
        }, svc),
      )
    }
  }
  return out
}

/** Services that use a top-level network/volume/secret/config by name. */
const usersOf = (f: ComposeFile, section: string, name: string): Array<string> =>
  Object.entries(f.services)
    .filter(([, s]) =>
      section === "networks"
        ? s.networks.includes(name) || (name === "default" && s.networks.length === 0)
        : section === "volumes"
        ? s.volumes.some((v) => v.source === name)
        : section === "secrets"
        ? s.secrets.includes(name)
        : JSON.stringify(s.other["configs"] ?? []).includes(JSON.stringify(name))
    )
    .map(([n]) => n)

export const compareCompose = (b: ComposeFile, a: ComposeFile): Array<Finding> => {
  const out: Array<Finding> = []
  for (const [name, sb] of Object.entries(b.services)) {
    const sa = a.services[name]
    if (sa) out.push(...compareService(name, sb, sa))
    else {
      out.push(finding("HIGH", "service-removed", {
        kind: "service",
        path: `services.${name}`,
        before: name,
        description: `service ${name} removed`,
      }, [name]))
    }
  }
  for (const [name, sa] of Object.entries(a.services)) {
    if (Object.hasOwn(b.services, name)) continue
    out.push(
      medium({ kind: "service", path: `services.${name}`, after: name, description: `service ${name} added` }, [name]),
    )
    // A new service is judged as a change from nothing: new ports, privileges, mounts count.
    out.push(
      ...compareService(name, EMPTY_SERVICE, sa).filter((f) => f.level !== "MEDIUM" && f.rule !== "image-changed"),
    )
  }
  for (const section of ["networks", "volumes", "secrets", "configs"] as const) {
    const names = new Set([...Object.keys(b[section]), ...Object.keys(a[section])])
    for (const name of names) {
      const before = b[section][name]
      const after = a[section][name]
      if (same(before, after)) continue
      const what = before === undefined ? "added" : after === undefined ? "removed" : "changed"
      out.push(medium({
        kind: section,
        path: `${section}.${name}`,
        before,
        after,
        description: `${section.slice(0, -1)} ${name} ${what}`,
      }, [...new Set([...usersOf(b, section, name), ...usersOf(a, section, name)])]))
    }
  }
  const ext = setDiff(b.extensions, a.extensions)
  if (ext.added.length + ext.removed.length > 0) {
    out.push(
      medium({
        kind: "extensions",
        path: "x-",
        before: b.extensions,
        after: a.extensions,
        description: describeSets("extension field", ext),
      }),
    )
  }
  if (!same(b.include, a.include)) {
    out.push(
      medium({
        kind: "include",
        path: "include",
        before: b.include,
        after: a.include,
        description: "included compose files changed",
      }),
    )
  }
  if (b.name !== a.name) {
    out.push(
      medium({
        kind: "name",
        path: "name",
        before: b.name,
        after: a.name,
        description: `project name ${b.name ?? "default"} → ${a.name ?? "default"}`,
      }),
    )
  }
  return out
}

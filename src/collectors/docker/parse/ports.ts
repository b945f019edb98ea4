import { isRecord, type Json, num, obj, str } from "./json.ts"

export interface Port {
  readonly host_ip: string | null
  readonly host_port: number | null
  readonly container_port: number
  readonly protocol: string
}

/** Ranges like 8000-8100 are expanded; this caps a pathological range so one row stays small. */
const MAX_PORTS = 1024

const range = (text: string): Array<number> | null => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text)
  if (m === null) return null
  const lo = Number(m[1])
  const hi = m[2] === undefined ? lo : Number(m[2])
  if (hi < lo || lo > 65535 || hi > 65535) return null
  const out: Array<number> = []
  for (let p = lo; p <= hi && out.length < MAX_PORTS; p++) out.push(p)
  return out
}

const splitHost = (host: string): { ip: string | null; port: string } => {
  const i = host.lastIndexOf(":")
  if (i < 0) return { ip: null, port: host }
  const ip = host.slice(0, i).replace(/^\[(.*)\]$/, "$1")
  return { ip: ip === "" ? null : ip, port: host.slice(i + 1) }
}

/**
 * `docker ps` Ports column: "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp, [::]:9000-9001->9000-9001/tcp".
 * Unreadable entries are skipped rather than failing the whole container.
 */
export const parsePortsString = (text: string): Array<Port> => {
  const out: Array<Port> = []
  for (const raw of text.split(",")) {
    const entry = raw.trim()
    if (entry === "") continue
    const slash = entry.lastIndexOf("/")
    const protocol = slash < 0 ? "tcp" : entry.slice(slash + 1)
    const spec = slash < 0 ? entry : entry.slice(0, slash)
    const arrow = spec.indexOf("->")
    if (arrow < 0) {
      for (const p of range(spec) ?? []) out.push({ host_ip: null, host_port: null, container_port: p, protocol })
      continue
    }
    const host = splitHost(spec.slice(0, arrow))
    const hostPorts = range(host.port)
    const containerPorts = range(spec.slice(arrow + 2))
    if (hostPorts === null || containerPorts === null) continue
    containerPorts.forEach((p, i) => {
      out.push({ host_ip: host.ip, host_port: hostPorts[i] ?? hostPorts[0] ?? null, container_port: p, protocol })
    })
  }
  return out.slice(0, MAX_PORTS)
}

/** Inspect `NetworkSettings.Ports`: {"80/tcp": [{HostIp, HostPort}] | null}. */
export const portsFromInspectMap = (ports: Json | undefined): Array<Port> => {
  const out: Array<Port> = []
  if (ports === undefined) return out
  for (const [key, bindings] of Object.entries(ports)) {
    const [portText, protocol = "tcp"] = key.split("/")
    const cp = Number(portText)
    if (!Number.isInteger(cp)) continue
    if (!Array.isArray(bindings) || bindings.length === 0) {
      out.push({ host_ip: null, host_port: null, container_port: cp, protocol })
      continue
    }
    for (const b of bindings) {
      if (!isRecord(b)) continue
      const ip = str(b, "HostIp")
      const hp = num(b, "HostPort")
      out.push({
        host_ip: ip === undefined || ip === "" ? null : ip,
        host_port: hp ?? null,
        container_port: cp,
        protocol,
      })
    }
  }
  return out
}

/** Engine API list (`Ports: [{IP, PrivatePort, PublicPort, Type}]`) and podman ps (`host_ip, host_port, container_port, range, protocol`). */
export const portsFromObjects = (ports: Array<unknown> | undefined): Array<Port> => {
  const out: Array<Port> = []
  for (const p of ports ?? []) {
    if (!isRecord(p)) continue
    const cp = num(p, "PrivatePort", "container_port", "TargetPort")
    if (cp === undefined) continue
    const hp = num(p, "PublicPort", "host_port", "PublishedPort")
    const ip = str(p, "IP", "host_ip", "URL")
    const protocol = str(p, "Type", "protocol", "Protocol") ?? "tcp"
    const count = Math.min(Math.max(num(p, "range") ?? 1, 1), MAX_PORTS)
    for (let i = 0; i < count; i++) {
      out.push({
        host_ip: ip === undefined || ip === "" ? null : ip,
        host_port: hp === undefined || hp === 0 ? null : hp + i,
        container_port: cp + i,
        protocol,
      })
    }
  }
  return out.slice(0, MAX_PORTS)
}

export const portsFromInspect = (inspect: Json): Array<Port> =>
  portsFromInspectMap(obj(obj(inspect, "NetworkSettings"), "Ports"))

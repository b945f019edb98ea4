/**
 * Normalisers for the compose fields that have a short and a long syntax (compose-spec).
 * Input is whatever YAML produced; anything unexpected is kept as a string, never thrown on.
 */

export interface PortMapping {
  /** Container port (or range), as written. */
  readonly target: string
  readonly published?: string
  readonly host_ip?: string
  readonly protocol: string
  readonly mode?: string
  readonly raw: string
}

export interface VolumeMount {
  readonly type: string
  readonly source?: string
  readonly target: string
  readonly read_only: boolean
  readonly raw: string
}

export interface Dependency {
  readonly condition: string
  readonly restart?: boolean
  readonly required?: boolean
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v)

export const bag = <V>(): Record<string, V> => Object.create(null) as Record<string, V>

/** Scalars as text; YAML may hand us numbers and booleans (`- 8080`, `read_only: true`). */
export const text = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined

export const stringList = (v: unknown): Array<string> => {
  if (v === undefined || v === null) return []
  if (Array.isArray(v)) return v.map(text).filter((s): s is string => s !== undefined)
  const s = text(v)
  return s === undefined ? [] : [s]
}

/**
 * Splits on `:` except inside `${…}` (interpolation defaults may hold colons:
 * `${REDIS_PORT:-127.0.0.1:7654}:6379`) and `[…]` (IPv6 host addresses).
 */
export const splitColons = (s: string): Array<string> => {
  const parts: Array<string> = []
  let depth = 0
  let bracket = false
  let cur = ""
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (c === "$" && s[i + 1] === "{") {
      depth++
      cur += "${"
      i++
      continue
    }
    if (c === "}" && depth > 0) depth--
    else if (c === "[" && depth === 0) bracket = true
    else if (c === "]" && depth === 0) bracket = false
    else if (c === ":" && depth === 0 && !bracket) {
      parts.push(cur)
      cur = ""
      continue
    }
    cur += c
  }
  parts.push(cur)
  return parts
}

const shortPort = (raw: string): PortMapping => {
  const slash = raw.lastIndexOf("/")
  const hasProto = slash > raw.lastIndexOf("}") && slash >= 0
  const body = hasProto ? raw.slice(0, slash) : raw
  const protocol = hasProto ? raw.slice(slash + 1) : "tcp"
  const parts = splitColons(body)
  const target = parts.pop() ?? ""
  const published = parts.pop()
  const host = parts.length > 0 ? parts.join(":") : undefined
  return {
    target,
    ...(published !== undefined && published !== "" ? { published } : {}),
    ...(host !== undefined && host !== "" ? { host_ip: host.replace(/^\[(.*)\]$/, "$1") } : {}),
    protocol,
    raw,
  }
}

export const normalizePorts = (v: unknown): Array<PortMapping> => {
  if (!Array.isArray(v)) return []
  const out: Array<PortMapping> = []
  for (const p of v) {
    const s = text(p)
    if (s !== undefined) out.push(shortPort(s))
    else if (isRecord(p)) {
      const target = text(p["target"]) ?? ""
      const published = text(p["published"])
      const host = text(p["host_ip"])
      const mode = text(p["mode"])
      out.push({
        target,
        ...(published !== undefined ? { published } : {}),
        ...(host !== undefined ? { host_ip: host } : {}),
        protocol: text(p["protocol"]) ?? "tcp",
        ...(mode !== undefined ? { mode } : {}),
        raw: `${host !== undefined ? `${host}:` : ""}${published !== undefined ? `${published}:` : ""}${target}`,
      })
    }
  }
  return out
}

const looksLikePath = (s: string): boolean => /^([./~]|\$\{?[A-Za-z_][A-Za-z0-9_]*(:?-[^}]*)?\}?\/)/.test(s)

const shortVolume = (raw: string): VolumeMount => {
  const parts = splitColons(raw)
  if (parts.length === 1) return { type: "volume", target: raw, read_only: false, raw }
  const [source, target, mode] = parts as [string, string, string?]
  const options = (mode ?? "").split(",")
  return {
    type: looksLikePath(source) || source.startsWith("${") ? "bind" : "volume",
    source,
    target,
    read_only: options.includes("ro"),
    raw,
  }
}

export const normalizeVolumes = (v: unknown): Array<VolumeMount> => {
  if (!Array.isArray(v)) return []
  const out: Array<VolumeMount> = []
  for (const m of v) {
    const s = text(m)
    if (s !== undefined) out.push(shortVolume(s))
    else if (isRecord(m)) {
      const source = text(m["source"])
      const target = text(m["target"]) ?? ""
      out.push({
        type: text(m["type"]) ?? "volume",
        ...(source !== undefined ? { source } : {}),
        target,
        read_only: m["read_only"] === true || m["read_only"] === "true",
        raw: `${source !== undefined ? `${source}:` : ""}${target}`,
      })
    }
  }
  return out
}

/** `environment` / `labels` / `build.args` as a list of `K=V` (or bare `K`) or a map. */
export const keyValues = (v: unknown): Record<string, string | null> => {
  const out = bag<string | null>()
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = text(item)
      if (s === undefined) continue
      const eq = s.indexOf("=")
      if (eq < 0) out[s] = null
      else out[s.slice(0, eq)] = s.slice(eq + 1)
    }
  } else if (isRecord(v)) {
    for (const [k, val] of Object.entries(v)) {
      out[k] = val === null || val === undefined ? null : (text(val) ?? JSON.stringify(val))
    }
  }
  return out
}

export const normalizeDependsOn = (v: unknown): Record<string, Dependency> => {
  const out = bag<Dependency>()
  if (Array.isArray(v)) {
    for (const s of stringList(v)) out[s] = { condition: "service_started" }
  } else if (isRecord(v)) {
    for (const [name, spec] of Object.entries(v)) {
      const d = isRecord(spec) ? spec : {}
      out[name] = {
        condition: text(d["condition"]) ?? "service_started",
        ...(typeof d["restart"] === "boolean" ? { restart: d["restart"] } : {}),
        ...(typeof d["required"] === "boolean" ? { required: d["required"] } : {}),
      }
    }
  }
  return out
}

/** Network names a service joins (list or map form). */
export const networkNames = (v: unknown): Array<string> =>
  Array.isArray(v) ? stringList(v) : isRecord(v) ? Object.keys(v) : []

/** `command` / `entrypoint`: a string or a list of strings. */
export const commandOf = (v: unknown): string | Array<string> | undefined => Array.isArray(v) ? stringList(v) : text(v)

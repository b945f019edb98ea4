/** What the config pages show, translated from the Configs service's answers, and their URLs. */
import { jsonColumn } from "../../domain/json.ts"
import { isoOf, num } from "../kit/format.ts"

type Row = Readonly<Record<string, unknown>>

const dev = (device: string) => `/devices/${encodeURIComponent(device)}/configs`

export const filePath = (device: string, path: string) => `${dev(device)}/file?path=${encodeURIComponent(path)}`

export const diffPath = (
  device: string,
  path: string,
  from?: string | number,
  to?: string | number,
  view?: "side" | "unified",
) => {
  const q = new URLSearchParams({ path })
  if (from !== undefined && to !== undefined) {
    q.set("from", String(from))
    q.set("to", String(to))
  }
  if (view !== undefined) q.set("view", view)
  return `${dev(device)}/diff?${q}`
}

export const restorePath = (device: string, path: string, version: string | number) =>
  `${dev(device)}/restore?${new URLSearchParams({ path, version: String(version) })}`

/** highlight.js language per config type (nginx is loaded separately; the others ship with diff2html-ui-slim). */
export const languageOf = (configType: string): string =>
  configType === "proxy_configs"
    ? "nginx"
    : configType === "docker_compose"
    ? "yaml"
    : configType === "systemd_services"
    ? "ini"
    : configType === "env_files"
    ? "bash"
    : "plaintext"

const text = (v: unknown): string | null => (typeof v === "string" ? v : null)

export interface FileRow {
  readonly path: string
  readonly configType: string
  readonly versions: number
  readonly changeType: string
  readonly lastChange: string | null
  readonly deleted: boolean
}

export const fileRow = (r: Row): FileRow => ({
  path: String(r["path"]),
  configType: String(r["config_type"]),
  versions: num(r["versions"]) ?? 0,
  changeType: String(r["change_type"] ?? ""),
  lastChange: isoOf(r["last_change"]),
  deleted: r["deleted"] === true,
})

export interface VersionRow {
  readonly id: string
  readonly time: string | null
  readonly changeType: string
  readonly risk: string | null
  readonly rule: string | null
  readonly summary: string
  readonly previous: string | null
  /** Content is kept and has no redaction placeholders (what a restore could write). */
  readonly restorable: boolean
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

export const versionRow = (r: Row): VersionRow => {
  const summary = jsonColumn(r["diff_summary"]) as
    | { linesAdded?: number; linesRemoved?: number; semantic?: ReadonlyArray<{ description?: string }> }
    | null
  const semantic = summary?.semantic ?? []
  const parts = [
    `+${summary?.linesAdded ?? 0} −${summary?.linesRemoved ?? 0}`,
    ...semantic.slice(0, 3).map((s) => String(s.description ?? "")),
    ...(semantic.length > 3 ? [`and ${plural(semantic.length - 3, "more change")}`] : []),
    ...(r["requires_restart"] === true ? ["restart needed"] : []),
  ]
  const previous = num(r["previous_snapshot_id"])
  return {
    id: String(r["id"]),
    time: isoOf(r["time"]),
    changeType: String(r["change_type"] ?? ""),
    risk: text(r["risk_level"]),
    rule: text(r["risk_rule"]),
    summary: parts.join("; "),
    previous: previous === null ? null : String(previous),
    restorable: r["content_hash"] !== null && r["size_too_large"] !== true && r["content_redacted"] !== true,
  }
}

export interface DiffSide {
  readonly id: string
  readonly time: string | null
  readonly path: string
  readonly device: string
}

export const diffSide = (r: Row): DiffSide => ({
  id: String(r["id"]),
  time: isoOf(r["time"]),
  path: String(r["path"]),
  device: String(r["device"]),
})

export interface SemanticView {
  readonly kind: string
  readonly path: string
  readonly description: string
}

export interface Analysis {
  readonly configType: string
  readonly source: "recorded" | "computed"
  readonly risk: string
  readonly rule: string
  readonly semantic: ReadonlyArray<SemanticView>
  readonly affectedServices: ReadonlyArray<string>
  readonly requiresRestart: boolean
  readonly restartServices: ReadonlyArray<string>
}

export const analysisView = (a: {
  readonly config_type: string
  readonly source: "recorded" | "computed"
  readonly risk: string
  readonly rule: string
  readonly semantic: ReadonlyArray<unknown>
  readonly affected_services: ReadonlyArray<string>
  readonly requires_restart: boolean
  readonly restart_services: ReadonlyArray<string>
}): Analysis => ({
  configType: a.config_type,
  source: a.source,
  risk: a.risk,
  rule: a.rule,
  semantic: a.semantic.map((s) => {
    const r = (s ?? {}) as Row
    return { kind: String(r["kind"] ?? ""), path: String(r["path"] ?? ""), description: String(r["description"] ?? "") }
  }),
  affectedServices: a.affected_services,
  requiresRestart: a.requires_restart,
  restartServices: a.restart_services,
})

export type RestorePreview =
  | {
    readonly kind: "ok"
    readonly configType: string
    readonly currentStatus: string
    readonly identical: boolean
    readonly diff: string
    readonly warnings: ReadonlyArray<string>
  }
  | { readonly kind: "error"; readonly code: string; readonly message: string }

export interface ServiceEntry {
  readonly subdomain: string | null
  readonly serverNames: ReadonlyArray<string>
  readonly location: string
  readonly upstreamApp: string | null
  readonly upstreamPort: number | null
  readonly upstreamProto: string | null
  readonly auth: ReadonlyArray<string>
  readonly container: { readonly name: string; readonly state: string | null } | null
  readonly configPath: string
  readonly active: boolean
}

export interface ServiceMapView {
  readonly proxyConfigs: number
  readonly containers: number
  readonly containersError: string | null
  readonly entries: ReadonlyArray<ServiceEntry>
}

export const serviceMapView = (m: {
  readonly proxy_configs: number
  readonly containers: { readonly count: number; readonly error: { readonly message: string } | null }
  readonly entries: ReadonlyArray<{
    readonly subdomain?: string
    readonly server_names: ReadonlyArray<string>
    readonly location: string
    readonly upstream_app?: string
    readonly upstream_port?: number
    readonly upstream_proto?: string
    readonly auth: ReadonlyArray<string>
    readonly container: { readonly name: string; readonly state?: string } | null
    readonly config_path: string
    readonly active: boolean
  }>
}): ServiceMapView => ({
  proxyConfigs: m.proxy_configs,
  containers: m.containers.count,
  containersError: m.containers.error?.message ?? null,
  entries: m.entries.map((e) => ({
    subdomain: e.subdomain ?? null,
    serverNames: e.server_names,
    location: e.location,
    upstreamApp: e.upstream_app ?? null,
    upstreamPort: e.upstream_port ?? null,
    upstreamProto: e.upstream_proto ?? null,
    auth: e.auth,
    container: e.container === null ? null : { name: e.container.name, state: e.container.state ?? null },
    configPath: e.config_path,
    active: e.active,
  })),
})

/** One line on how the device's files are watched now. */
export const watchText = (
  w: { readonly mode: string; readonly ready: boolean; readonly last_error: string | null } | null,
): string => {
  if (w === null) return "Not watched live now: history comes from scans and restores."
  const how = w.mode === "inotify"
    ? "Watched live (inotify)"
    : w.mode === "poll"
    ? "Watched by polling (inotifywait is not on the host)"
    : w.mode === "starting"
    ? "Watching is starting"
    : "Watching is stopped"
  return `${how}${w.ready || w.mode === "stopped" ? "" : ", not ready yet"}.${
    w.last_error === null ? "" : ` Last error: ${w.last_error}`
  }`
}

/**
 * Pure analysis of configuration changes (contract: ./types.ts).
 *
 * Risk rules — checked top to bottom, the first row that matches sets `risk` and `rule`.
 * Semantic findings are computed on parsed, redacted data; a CREATE is compared against an
 * empty file, a DELETE against nothing. Proxy confs nginx does not load (anything not ending in
 * `.conf`, e.g. SWAG's `*.conf.sample`) count as empty.
 *
 * | Risk     | Rule                           | When                                                                         |
 * |----------|--------------------------------|------------------------------------------------------------------------------|
 * | LOW      | no-change                      | same path and same content                                                   |
 * | LOW      | inactive-file                  | proxy conf not loaded by nginx before nor after (`*.conf.sample`)            |
 * | HIGH     | unparseable                    | the new version does not parse (a reload/up would fail)                      |
 * | HIGH     | file-deleted                   | an active config file was deleted                                            |
 * | HIGH     | proxy-disabled                 | an active proxy conf was renamed to a name nginx does not load               |
 * | CRITICAL | auth-removed                   | nginx: authelia/authentik/tinyauth/ldap include, auth_basic, auth_request or |
 * |          |                                | allow/deny active before is gone from a server, location or the file         |
 * | CRITICAL | privileged                     | compose: a service switched to `privileged: true`                            |
 * | CRITICAL | host-network                   | compose: a service switched to `network_mode: host`                          |
 * | CRITICAL | host-pid                       | compose: a service switched to `pid: host`                                   |
 * | CRITICAL | sensitive-host-mount           | compose: new bind mount of docker.sock, /, /etc, /root, /proc, /sys or /dev  |
 * | CRITICAL | runs-as-root                   | systemd: a service that had a non-root User= now runs as root                |
 * | HIGH     | upstream-changed               | nginx: proxy_pass target (app, port, proto) or an upstream{} block changed   |
 * | HIGH     | listen-port-changed            | nginx: the ports a server listens on changed                                 |
 * | HIGH     | unauthenticated-location-added | nginx: new proxied location without auth where every other location had auth |
 * | HIGH     | image-changed                  | compose: image or tag of an existing service changed                         |
 * | HIGH     | port-exposed                   | compose: a port mapping was added (new service port or changed mapping)      |
 * | HIGH     | service-removed                | compose: a service was removed                                               |
 * | HIGH     | capability-added               | compose: cap_add gained ALL, SYS_ADMIN, SYS_PTRACE, SYS_MODULE or NET_ADMIN  |
 * | HIGH     | user-root                      | compose: `user:` switched to root/0                                          |
 * | HIGH     | exec-changed                   | systemd: ExecStart changed                                                   |
 * | MEDIUM   | file-moved                     | MOVE without semantic change                                                 |
 * | MEDIUM   | parse-recovered                | the old version did not parse, the new one does                              |
 * | MEDIUM   | semantic-change                | any other semantic change (server_name, location, env keys, restart, …)     |
 * | MEDIUM   | file-created                   | a new file with nothing above                                                |
 * | LOW      | whitespace-only                | the versions differ only in whitespace                                       |
 * | LOW      | comment-only                   | the versions differ only in comments or layout (same parsed structure)       |
 *
 * Restarts: proxy confs → reload of the "swag" container; compose → `docker compose up -d <svc>`
 * for each changed or added service; systemd → `daemon-reload` + restart of the unit; env files →
 * requiresRestart with no service list (which services read the file is not known here).
 * A DELETE needs no restart except for proxy confs (nginx must drop the site).
 */
import { Result } from "effect"
import { createTwoFilesPatch, structuredPatch } from "diff"
import { type ComposeFile, loadYaml, parseCompose } from "./semantic/compose.ts"
import { parseEnvFile } from "./semantic/env.ts"
import { canonicalNginx, parseNginxSyntax } from "./semantic/nginx-syntax.ts"
import { parseUnitFile } from "./semantic/unit-file.ts"
import { type Finding, finding, RISK_ORDER, stableJson } from "./findings.ts"
import {
  type EnvFileData,
  isActiveProxyPath,
  MAX_CONTENT_BYTES,
  parseConfig,
  type ProxyConfigData,
  type SystemdUnitData,
} from "./parse-config.ts"
import { compareCompose, EMPTY_COMPOSE } from "./semantic/semantic-compose.ts"
import { compareNginx, EMPTY_NGINX } from "./semantic/semantic-nginx.ts"
import { compareEnv, compareUnits } from "./semantic/semantic-unit.ts"
import type { ChangeAnalysis, ChangeType, ConfigType, ConfigVersion, DiffSummary, RiskLevel } from "./types.ts"

export { configTypeOf, MAX_CONTENT_BYTES, parseConfig } from "./parse-config.ts"
export { redactContent } from "./redact.ts"

/** The SWAG container that must reload nginx after a proxy conf change. */
export const PROXY_CONTAINER = "swag"

/** Diffing gives up after this long and reports a whole-file replacement instead. */
const DIFF_TIMEOUT_MS = 2000

const lineCount = (s: string): number => (s === "" ? 0 : s.split("\n").length - (s.endsWith("\n") ? 1 : 0))
const tooBig = (s: string): boolean => s.length > MAX_CONTENT_BYTES

const replaceAll = (a: string, b: string): { linesAdded: number; linesRemoved: number; hunks: number } => ({
  linesAdded: lineCount(b),
  linesRemoved: lineCount(a),
  hunks: 1,
})

const lineStats = (pathA: string, a: string, pathB: string, b: string) => {
  if (a === b) return { linesAdded: 0, linesRemoved: 0, hunks: 0 }
  if (tooBig(a) || tooBig(b)) return replaceAll(a, b)
  const patch = structuredPatch(pathA, pathB, a, b, undefined, undefined, { context: 3, timeout: DIFF_TIMEOUT_MS })
  if (patch === undefined) return replaceAll(a, b)
  let linesAdded = 0
  let linesRemoved = 0
  for (const h of patch.hunks) {
    for (const l of h.lines) {
      if (l.startsWith("+")) linesAdded++
      else if (l.startsWith("-")) linesRemoved++
    }
  }
  return { linesAdded, linesRemoved, hunks: patch.hunks.length }
}

/** Unified diff (3 lines of context). Inputs too large or too different to diff in time yield a whole-file replacement. */
export const unifiedDiff = (pathA: string, a: string, pathB: string, b: string): string => {
  const patch = tooBig(a) || tooBig(b)
    ? undefined
    : createTwoFilesPatch(pathA, pathB, a, b, undefined, undefined, { context: 3, timeout: DIFF_TIMEOUT_MS })
  if (patch !== undefined) return patch
  const la = a === "" ? [] : a.replace(/\n$/, "").split("\n")
  const lb = b === "" ? [] : b.replace(/\n$/, "").split("\n")
  return [
    "===================================================================",
    `--- ${pathA}`,
    `+++ ${pathB}`,
    `@@ -${la.length === 0 ? 0 : 1},${la.length} +${lb.length === 0 ? 0 : 1},${lb.length} @@`,
    ...la.map((l) => `-${l}`),
    ...lb.map((l) => `+${l}`),
    "",
  ].join("\n")
}

interface Side {
  readonly path: string
  readonly content: string
  readonly ok: boolean
  readonly data: unknown
  /** Proxy confs only: does nginx load this file. */
  readonly active: boolean
}

const sideOf = (type: ConfigType, v: ConfigVersion | null): Side | null => {
  if (v === null) return null
  const parsed = parseConfig(type, v.path, v.content)
  return {
    path: v.path,
    content: v.content,
    ok: parsed.ok,
    data: parsed.ok ? parsed.data : undefined,
    active: type !== "proxy_configs" || isActiveProxyPath(v.path),
  }
}

/** Unredacted structure as a string: equal ⇔ same configuration (used only to detect, never shown). */
const canonical = (type: ConfigType, content: string): string | undefined => {
  const r = type === "proxy_configs"
    ? Result.map(parseNginxSyntax(content), canonicalNginx)
    : type === "docker_compose"
    ? Result.map(loadYaml(content), stableJson)
    : type === "systemd_services"
    ? Result.map(parseUnitFile(content), stableJson)
    : Result.map(parseEnvFile(content), (e) => stableJson(e.vars))
  return Result.isSuccess(r) ? r.success : undefined
}

const empty = (type: ConfigType): unknown =>
  type === "proxy_configs" ? EMPTY_NGINX : type === "docker_compose" ? EMPTY_COMPOSE : undefined

/** Data to compare: absent, inactive or unparsed sides count as empty. */
const dataOf = (type: ConfigType, s: Side | null): unknown => (s !== null && s.ok && s.active ? s.data : empty(type))

const compare = (type: ConfigType, b: Side | null, a: Side | null): Array<Finding> => {
  const before = dataOf(type, b)
  const after = dataOf(type, a)
  switch (type) {
    case "proxy_configs":
      return compareNginx(before as ProxyConfigData, after as ProxyConfigData)
    case "docker_compose":
      return compareCompose(before as ComposeFile, after as ComposeFile)
    case "systemd_services":
      return after === undefined ? [] : compareUnits(before as SystemdUnitData | undefined, after as SystemdUnitData)
    case "env_files":
      return after === undefined ? [] : compareEnv(before as EnvFileData | undefined, after as EnvFileData)
  }
}

/** Compose services whose unredacted definition changed while the redacted one did not (a secret changed). */
const hiddenComposeChanges = (b: string, a: string, findings: ReadonlyArray<Finding>): Array<Finding> => {
  const rb = parseCompose(b)
  const ra = parseCompose(a)
  if (Result.isFailure(rb) || Result.isFailure(ra)) return []
  const seen = new Set(findings.flatMap((f) => f.services))
  return Object.keys(ra.success.services)
    .filter((name) => Object.hasOwn(rb.success.services, name) && !seen.has(name))
    .filter((name) => stableJson(rb.success.services[name]) !== stableJson(ra.success.services[name]))
    .map((name) =>
      finding("MEDIUM", "semantic-change", {
        kind: "service.redacted",
        path: `services.${name}`,
        description: `a redacted value of service ${name} changed`,
      }, [name])
    )
}

/** Env keys whose value changed behind redaction (the key is named, the value never). */
const hiddenEnvChanges = (b: string, a: string): Array<Finding> => {
  const rb = parseEnvFile(b)
  const ra = parseEnvFile(a)
  if (Result.isFailure(rb) || Result.isFailure(ra)) return []
  const before = rb.success.vars
  const changed = ra.success.keys.filter((k) => Object.hasOwn(before, k) && before[k] !== ra.success.vars[k])
  if (changed.length === 0) return []
  return [
    finding("MEDIUM", "semantic-change", {
      kind: "env",
      path: "file",
      before: rb.success.keys,
      after: ra.success.keys,
      description: `value changed: ${changed.join(", ")}`,
    }),
  ]
}

/** Changes the summaries do not cover (other directives, secrets hidden by redaction). */
const residualFindings = (type: ConfigType, b: Side, a: Side, findings: Array<Finding>): Array<Finding> => {
  if (!b.ok || !a.ok || !b.active || !a.active) return []
  const extra = type === "docker_compose"
    ? hiddenComposeChanges(b.content, a.content, findings)
    : type === "env_files" && findings.length === 0
    ? hiddenEnvChanges(b.content, a.content)
    : []
  if (findings.length + extra.length > 0) return extra
  if (canonical(type, b.content) === canonical(type, a.content)) return []
  const services = type === "systemd_services" ? [(a.data as SystemdUnitData).name] : []
  return [
    finding("MEDIUM", "semantic-change", {
      kind: "other",
      path: "file",
      description: "settings changed that the summary does not show (other directives or redacted values)",
    }, services),
  ]
}

const highest = (findings: ReadonlyArray<Finding>): Finding | undefined =>
  findings.reduce<Finding | undefined>(
    (top, f) => (top === undefined || RISK_ORDER[f.level] > RISK_ORDER[top.level] ? f : top),
    undefined,
  )

const riskOf = (
  type: ConfigType,
  change: ChangeType,
  b: Side | null,
  a: Side | null,
  findings: ReadonlyArray<Finding>,
): { risk: RiskLevel; rule: string } => {
  if (b !== null && a !== null && b.path === a.path && b.content === a.content) {
    return { risk: "LOW", rule: "no-change" }
  }
  if (type === "proxy_configs" && !(b?.active ?? false) && !(a?.active ?? false)) {
    return { risk: "LOW", rule: "inactive-file" }
  }
  if (a !== null && !a.ok) return { risk: "HIGH", rule: "unparseable" }
  if (a === null) return { risk: "HIGH", rule: "file-deleted" }
  if (b !== null && b.active && !a.active) return { risk: "HIGH", rule: "proxy-disabled" }
  const top = highest(findings)
  if (top !== undefined && RISK_ORDER[top.level] >= RISK_ORDER.HIGH) return { risk: top.level, rule: top.rule }
  if (change === "MOVE" && findings.length === 0) return { risk: "MEDIUM", rule: "file-moved" }
  if (b !== null && !b.ok) return { risk: "MEDIUM", rule: "parse-recovered" }
  if (top !== undefined) return { risk: top.level, rule: top.rule }
  if (b === null) return { risk: "MEDIUM", rule: "file-created" }
  const squash = (s: string): string => s.replace(/\s+/g, "")
  return squash(b.content) === squash(a.content)
    ? { risk: "LOW", rule: "whitespace-only" }
    : { risk: "LOW", rule: "comment-only" }
}

const unitName = (path: string): string => path.replace(/\\/g, "/").split("/").pop() ?? path

const restartOf = (
  type: ConfigType,
  b: Side | null,
  a: Side | null,
  findings: ReadonlyArray<Finding>,
): { requiresRestart: boolean; restartServices: Array<string> } => {
  const none = { requiresRestart: false, restartServices: [] }
  if (type === "proxy_configs") {
    return findings.length > 0 || ((b?.active ?? false) !== (a?.active ?? false))
      ? { requiresRestart: true, restartServices: [PROXY_CONTAINER] }
      : none
  }
  if (a === null || !a.ok || findings.length === 0) return none
  switch (type) {
    case "docker_compose": {
      const present = Object.keys((a.data as ComposeFile).services)
      const wholeProject = findings.some((f) => f.change.kind === "name" || f.change.kind === "include")
      const named = new Set(findings.flatMap((f) => f.services))
      return { requiresRestart: true, restartServices: present.filter((s) => wholeProject || named.has(s)).sort() }
    }
    case "systemd_services":
      return { requiresRestart: true, restartServices: [unitName(a.path)] }
    case "env_files":
      return { requiresRestart: true, restartServices: [] }
  }
}

const affectedOf = (
  type: ConfigType,
  b: Side | null,
  a: Side | null,
  findings: ReadonlyArray<Finding>,
): Array<string> => {
  if (type === "systemd_services") {
    const s = a ?? b
    return s !== null && (findings.length > 0 || a === null || b === null) ? [unitName(s.path)] : []
  }
  return [...new Set(findings.flatMap((f) => f.services))].sort()
}

/** Line counts, semantic changes, affected services, restart needs and risk of one change. Never throws. */
export const analyzeChange = (
  type: ConfigType,
  change: ChangeType,
  before: ConfigVersion | null,
  after: ConfigVersion | null,
): ChangeAnalysis => {
  try {
    const b = sideOf(type, before)
    const a = sideOf(type, after)
    const stats = lineStats(b?.path ?? a?.path ?? "", b?.content ?? "", a?.path ?? b?.path ?? "", a?.content ?? "")
    // Semantics need both sides readable (an absent side is empty; an unparsed one is unknown).
    const comparable = (b === null || b.ok) && (a === null || a.ok)
    const findings = comparable ? compare(type, b, a) : []
    if (comparable && b !== null && a !== null) findings.push(...residualFindings(type, b, a, findings))
    const diff: DiffSummary = { ...stats, semantic: findings.map((f) => f.change) }
    return {
      diff,
      affectedServices: affectedOf(type, b, a, findings),
      ...restartOf(type, b, a, findings),
      ...riskOf(type, change, b, a, findings),
    }
  } catch {
    // Defensive: analysis of hostile input must still produce a row.
    return {
      diff: { linesAdded: 0, linesRemoved: 0, hunks: 0, semantic: [] },
      affectedServices: [],
      requiresRestart: false,
      restartServices: [],
      risk: "HIGH",
      rule: "analysis-failed",
    }
  }
}

/**
 * Contract between config parsing/analysis (pure, src/configs/analyze.ts + src/configs/semantic/)
 * and config watching/history (src/configs/watch/, src/configs/history.ts). Both sides code against this file.
 */

/** Kinds of tracked configuration files. */
export type ConfigType = "proxy_configs" | "docker_compose" | "systemd_services" | "env_files"

export type ChangeType = "CREATE" | "MODIFY" | "DELETE" | "MOVE"
export type RiskLevel = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"
export type DetectionSource = "watch" | "poll" | "verify" | "api" | "restore"

/** Parse result of one file version; a file that does not parse is still stored, with the error. */
export type ParsedConfig =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly error: string }

/** A file version as the analysis sees it (null before a CREATE and after a DELETE). */
export interface ConfigVersion {
  readonly path: string
  readonly content: string
  readonly parsed: ParsedConfig
}

export interface SemanticChange {
  /** e.g. "server_name", "upstream", "listen", "location", "auth", "service.image", "service.ports", "unit.ExecStart". */
  readonly kind: string
  /** Where in the file: "server[0]", "services.web", "[Service]". */
  readonly path: string
  readonly before?: unknown
  readonly after?: unknown
  readonly description: string
}

export interface DiffSummary {
  readonly linesAdded: number
  readonly linesRemoved: number
  readonly hunks: number
  readonly semantic: ReadonlyArray<SemanticChange>
}

export interface ChangeAnalysis {
  readonly diff: DiffSummary
  readonly affectedServices: ReadonlyArray<string>
  readonly requiresRestart: boolean
  readonly restartServices: ReadonlyArray<string>
  readonly risk: RiskLevel
  /** Name of the rule that set the risk level, e.g. "auth-removed", "comment-only". */
  readonly rule: string
}

/**
 * Implemented in src/configs/analyze.ts (pure):
 *   configTypeOf(path: string): ConfigType | undefined
 *   parseConfig(type: ConfigType, path: string, content: string): ParsedConfig   // parsed data already redacted
 *   analyzeChange(type: ConfigType, change: ChangeType, before: ConfigVersion | null, after: ConfigVersion | null): ChangeAnalysis
 *   redactContent(type: ConfigType, content: string): string                      // for raw storage when secrets are not kept
 *   unifiedDiff(pathA: string, a: string, pathB: string, b: string): string
 */

/** The parameters of one read or action, after the type's params schema accepted them. */
export type Params = Readonly<Record<string, string | number | boolean | undefined>>

/** What one command returned. A non-zero exit is a result, not an error. */
export interface CommandResult {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
  readonly durationMs: number
  /** Bytes received (stdout + stderr) before any truncation. */
  readonly bytes: number
  /** True when output passed maxOutputBytes and was cut. */
  readonly truncated: boolean
}

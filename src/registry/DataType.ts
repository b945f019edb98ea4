import type { Duration, Result, Schedule } from "effect"
import type { ParseError } from "../domain/errors.ts"
import type { CommandResult } from "../ssh/Ssh.ts"
import type { Row } from "../store/Store.ts"

export type Params = Readonly<Record<string, string | number | boolean | undefined>>

/**
 * One data type: how to read it (one batched script, one round trip), how to parse it
 * (pure), how fresh it must be, how long it may take, how it is retried and stored.
 */
export interface DataTypeSpec<T = unknown> {
  readonly name: string
  readonly description: string
  /** Time-series table; rows get `time` and `device_id` added by the pipeline. */
  readonly table: string
  readonly ttlSeconds: number
  readonly timeout: Duration.Input
  /** Applied to transport errors only; a non-zero exit is a result. */
  readonly retry: Schedule.Schedule<unknown, unknown>
  readonly maxOutputBytes?: number
  /** Tools the device must have (from its capability probe), e.g. ["docker"]. */
  readonly requires?: ReadonlyArray<string>
  /** May throw ValidationError for bad params; the pipeline turns that into a 400. */
  readonly script: (params: Params) => string
  readonly parse: (result: CommandResult, params: Params) => Result.Result<T, ParseError>
  readonly toRows: (data: T) => ReadonlyArray<Row>
  /** Rows for further tables from the same read (e.g. zfs snapshots beside pool status). */
  readonly extraRows?: (data: T) => Readonly<Record<string, ReadonlyArray<Row>>>
}

import type { Duration, Effect, Result, Schedule, Schema } from "effect"
import type { Device } from "../domain/device.ts"
import type { NotFound, ParseError, StoreError } from "../domain/errors.ts"
import type { CommandResult, Params } from "../domain/command.ts"
import type { Row, StoreShape } from "../store/Store.ts"
import type { ParamsSchema } from "./params.ts"

export { noParams, params } from "./params.ts"
export type { ParamsSchema } from "./params.ts"

export type { Params } from "../domain/command.ts"

/**
 * One data type: how to read it (one batched script, one round trip), how to parse it
 * (pure), how fresh it must be, how long it may take, how it is retried and stored.
 */
export interface DataTypeSpec<T = unknown, E extends ParseError | NotFound = ParseError> {
  readonly name: string
  readonly description: string
  /** The Schema the parser's result is checked against: the answer's `data` in /openapi.json. */
  readonly output?: Schema.Top | undefined
  /** Time-series table; rows get `time` and `device_id` added by the pipeline. */
  readonly table: string
  readonly ttlSeconds: number
  /** The parameters it accepts; any other is refused (400) before the cache or the host see it. */
  readonly params: ParamsSchema
  /** Only the pipeline's own features may read it (config file contents, scans): not on the API or MCP. */
  readonly internal?: true | undefined
  /** The scheduler polls it and a full snapshot reads it (needs no params). */
  readonly pollable?: true | undefined
  /** Offered to MCP clients as its own read tool (device + force_refresh). */
  readonly mcpTool?: McpReadTool | undefined
  /** End to end, retries included. */
  readonly timeout: Duration.Input
  /** Applied to transport errors only; a non-zero exit is a result. */
  readonly retry: Schedule.Schedule<unknown, unknown>
  readonly maxOutputBytes?: number
  /** Tools the device must have (from its capability probe), e.g. ["docker"]. */
  readonly requires?: ReadonlyArray<string>
  /** May throw ValidationError for bad params; the pipeline turns that into a 400. */
  readonly script: (params: Params) => string
  readonly parse: (result: CommandResult, params: Params) => Result.Result<T, E>
  readonly toRows: (data: T) => ReadonlyArray<Row>
  /** Rows for further tables from the same read (e.g. zfs snapshots beside pool status). */
  readonly extraRows?: (data: T) => Readonly<Record<string, ReadonlyArray<Row>>>
  /** Tables extraRows writes to, readable through `history?table=`. */
  readonly extraTables?: ReadonlyArray<string>
  /** Complete params from the store before the command runs (e.g. the last stored log cursor). */
  readonly prepare?: (store: StoreShape, device: Device, params: Params) => Effect.Effect<Params, StoreError>
  /** Writes besides the time-series rows (e.g. the capability probe onto the device row). */
  readonly persist?: (store: StoreShape, device: Device, data: T) => Effect.Effect<void, StoreError>
  /** "skip-duplicates": rows that hit a unique index (a log cursor already stored) are dropped. */
  readonly insertMode?: "append" | "skip-duplicates"
}

/** How a data type appears as an MCP tool; the description says what an agent gets back. */
export interface McpReadTool {
  readonly name: string
  readonly title: string
  readonly description: string
}

/** A change made on a host (container start/stop/restart): audited, never cached, never retried. */
export interface ActionSpec<T = unknown> {
  readonly name: string
  readonly params: ParamsSchema
  /** Only the pipeline's own features may run it (config restore goes through the config feature). */
  readonly internal?: true | undefined
  /** End to end, retries included. */
  readonly timeout: Duration.Input
  readonly requires?: ReadonlyArray<string>
  /** May throw ValidationError for bad params. */
  readonly script: (params: Params) => string
  readonly parse: (result: CommandResult, params: Params) => Result.Result<T, ParseError | NotFound>
  /** Data types whose cached reads the action makes stale; the first is re-collected afterwards. */
  readonly invalidates: ReadonlyArray<string>
}

/** Any data type, as the registry and pipeline hold them. */
export type AnyDataTypeSpec = DataTypeSpec<any, ParseError | NotFound>

import { Context, type Effect } from "effect"
import type { Device, DeviceInput, DevicePatch } from "../domain/device.ts"
import type { DeviceConflict, DeviceNotFound, StoreError, ValidationError } from "../domain/errors.ts"
import type { StoreNotifications } from "./notify.ts"

export type Row = Record<string, unknown>

/** One audit row per pipeline call (hits, misses, refreshes and errors alike). */
export interface AuditEntry {
  readonly time: Date
  readonly deviceId: number | null
  readonly deviceName: string
  readonly operationId: string
  readonly dataType: string
  readonly method: "polling" | "api" | "mcp" | "watch" | "cli" | "library"
  readonly source: string
  readonly forceRefresh: boolean
  readonly cacheHit: boolean
  readonly durationMs: number
  readonly sshCommandCount: number
  readonly dataSizeBytes: number
  readonly status: "success" | "error" | "partial"
  readonly errorMessage: string | null
  readonly recordsCreated: number
  readonly freshnessThreshold: number
  /** API token that asked (its id, never the secret); null/absent for CLI, polling, open mode. */
  readonly tokenId?: string | null | undefined
}

export interface AuditFilter {
  readonly device?: string | undefined
  readonly dataType?: string | undefined
  readonly method?: string | undefined
  readonly status?: string | undefined
  readonly since?: Date | undefined
  readonly limit?: number | undefined
}

export interface HistoryQuery {
  readonly table: string
  readonly deviceId: number
  readonly from?: Date | undefined
  readonly to?: Date | undefined
  readonly limit?: number | undefined
}

export interface WriteBufferStatus {
  readonly available: boolean
  /** Writes (row batches and audit rows) waiting in memory or in the spill file. */
  readonly pending: number
  /** Writes dropped because the database refused them for good (not an outage). */
  readonly dropped: number
}

export interface StoreShape {
  /** "pglite" or "postgres": PGlite is single-instance. */
  readonly backend: "pglite" | "postgres"
  /** Parameterised SQL ($1, $2, ...) with the same text on both backends. */
  readonly query: <T = Row>(text: string, params?: ReadonlyArray<unknown>) => Effect.Effect<Array<T>, StoreError>

  readonly listDevices: () => Effect.Effect<Array<Device>, StoreError>
  /** By numeric id or by name. */
  readonly getDevice: (ref: string | number) => Effect.Effect<Device, DeviceNotFound | StoreError>
  readonly createDevice: (input: DeviceInput) => Effect.Effect<Device, DeviceConflict | ValidationError | StoreError>
  readonly updateDevice: (
    ref: string | number,
    patch: DevicePatch,
  ) => Effect.Effect<Device, DeviceNotFound | DeviceConflict | ValidationError | StoreError>
  readonly removeDevice: (ref: string | number) => Effect.Effect<void, DeviceNotFound | StoreError>
  readonly setDeviceStatus: (id: number, status: string, lastSeen: Date | null) => Effect.Effect<void, StoreError>

  /** Insert rows (column name → value; objects/arrays go to jsonb) into a time-series table, in one statement. */
  readonly insertRows: (
    table: string,
    rows: ReadonlyArray<Row>,
    options?: { readonly skipDuplicates?: boolean },
  ) => Effect.Effect<number, StoreError>
  /** Save a capability probe result on the device row. */
  readonly setDeviceCapabilities: (id: number, capabilities: unknown) => Effect.Effect<void, StoreError>
  /** Rows of a device-scoped time-series table in [from, to], newest first. */
  readonly history: (q: HistoryQuery) => Effect.Effect<Array<Row>, StoreError>

  readonly insertAudit: (entry: AuditEntry) => Effect.Effect<void, StoreError>
  readonly queryAudit: (filter: AuditFilter) => Effect.Effect<Array<Row>, StoreError>

  /**
   * Present when writes are buffered (src/store/buffered.ts): whether the database is reachable
   * now and how many writes wait for it. Data responses say `store: "unavailable"` while it is not.
   */
  readonly writeBuffer?: (() => WriteBufferStatus) | undefined
  /** Changes whenever a device row is written through this process's store (cache invalidation). */
  readonly devicesVersion?: (() => number) | undefined

  /** LISTEN/NOTIFY between instances on one PostgreSQL database; absent on PGlite (single instance). */
  readonly notifications?: StoreNotifications | undefined

  /** Liveness probe for /health. */
  readonly ping: () => Effect.Effect<void, StoreError>
  readonly close: () => Effect.Effect<void>
}

export class Store extends Context.Service<Store, StoreShape>()("infrastructor/Store") {}

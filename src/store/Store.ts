import { Context, type Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"
import type { StoreNotifications } from "./notify.ts"
import type { AlertsRepo } from "./repos/alerts.ts"
import type { AuditRepo } from "./repos/audit.ts"
import type { ConfigsRepo } from "./repos/configs.ts"
import type { DevicesRepo } from "./repos/devices.ts"
import type { FleetRepo } from "./repos/fleet.ts"
import type { LeasesRepo } from "./repos/leases.ts"
import type { MaintenanceRepo } from "./repos/maintenance.ts"
import type { MetricsRepo } from "./repos/metrics.ts"
import type { SeriesRepo } from "./repos/series.ts"
import type { TokensRepo } from "./repos/tokens.ts"

export type { AlertFilter, AlertInsert, AlertsRepo, AlertUpdate, SilenceInsert } from "./repos/alerts.ts"
export type { AuditEntry, AuditFilter, AuditRepo, AuditSummaryRow } from "./repos/audit.ts"
export type {
  ConfigChangeFilter,
  ConfigsRepo,
  ConfigVersionInsert,
  FullSnapshot,
  LatestConfigHash,
  SnapshotRow,
} from "./repos/configs.ts"
export type { DevicesRepo } from "./repos/devices.ts"
export type { FleetLatest, FleetRepo } from "./repos/fleet.ts"
export type { LeaseRow, LeasesRepo } from "./repos/leases.ts"
export type { MaintenanceRepo } from "./repos/maintenance.ts"
export type { CacheMetadataRow, MetricsRepo, PerformanceQuery, RollupRow } from "./repos/metrics.ts"
export type { ColumnarSeries, HistoryQuery, SeriesQuery, SeriesRepo, SystemMetricSeriesName } from "./repos/series.ts"
export { SYSTEM_METRIC_SERIES } from "./repos/series.ts"
export type { Row } from "./repos/sql.ts"
export type { NewToken, TokenRecord, TokensRepo } from "./repos/tokens.ts"

export interface WriteBufferStatus {
  readonly available: boolean
  /** Writes (row batches and audit rows) waiting in memory or in the spill file. */
  readonly pending: number
  /** Writes dropped because the database refused them for good (not an outage). */
  readonly dropped: number
}

/** The connection itself: backend, liveness, notifications, buffer status. */
export interface StoreConnection {
  /** "pglite" or "postgres": PGlite is single-instance. */
  readonly backend: "pglite" | "postgres"
  /**
   * Present when writes are buffered (src/store/buffered.ts): whether the database is reachable
   * now and how many writes wait for it. Data responses say `store: "unavailable"` while it is not.
   */
  readonly writeBuffer?: (() => WriteBufferStatus) | undefined
  /** LISTEN/NOTIFY between instances on one PostgreSQL database; absent on PGlite (single instance). */
  readonly notifications?: StoreNotifications | undefined
  /** Liveness probe for /health. */
  readonly ping: () => Effect.Effect<void, StoreError>
  readonly close: () => Effect.Effect<void>
}

/**
 * The store: one repository per concern, each owning its SQL, composed into one service so
 * callers write `store.method(...)`. Only src/store writes SQL text.
 */
export type StoreShape =
  & StoreConnection
  & DevicesRepo
  & SeriesRepo
  & AuditRepo
  & ConfigsRepo
  & LeasesRepo
  & TokensRepo
  & MetricsRepo
  & MaintenanceRepo
  & FleetRepo
  & AlertsRepo

export class Store extends Context.Service<Store, StoreShape>()("infrastructor/Store") {}

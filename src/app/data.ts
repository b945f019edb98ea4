import { Context, Effect, Layer, Result, Schema } from "effect"
import { type ActionOutcome, type Collected, Collector } from "../pipeline/Collector.ts"
import { UnknownDataType, ValidationError } from "../domain/errors.ts"
import type { Params } from "../pipeline/DataType.ts"
import { Registry } from "../pipeline/Registry.ts"
import { Store } from "../store/Store.ts"
import type { SeriesKeyKind } from "../store/repos/series.ts"
import { Caller } from "./caller.ts"
import { summariseMetrics } from "./metrics-summary.ts"
import { operationsIn, readOp, writeOp } from "./operation.ts"
import { checkRange } from "./when.ts"

export const dataOperations = {
  dataTypes: readOp("Data.dataTypes", "list the data types and their parameters"),
  collect: readOp(
    "Data.collect",
    "read a data type from a device through the pipeline (cached, audited; force_refresh stores a fresh read)",
  ),
  history: readOp("Data.history", "stored rows of a data type"),
  metricsSummary: readOp("Data.metricsSummary", "stored system metrics over a range, summarised"),
  series: readOp("Data.series", "stored metrics downsampled in the database into at most 1000 buckets, for charts"),
  containerAction: writeOp("Data.containerAction", "start, stop or restart a container", { changesHost: true }),
} as const

export type ContainerVerb = "start" | "stop" | "restart"

export interface HistoryRequest {
  readonly from?: Date | undefined
  readonly to?: Date | undefined
  readonly limit?: number | undefined
  /** One of the type's tables (its main one by default). */
  readonly table?: string | undefined
}

export interface SeriesRequest {
  /** Default: `to` minus one hour. */
  readonly from?: Date | undefined
  /** Default: now. */
  readonly to?: Date | undefined
  /** Buckets at most, 10 to 1000 (default 300); a number or its text from a query string. */
  readonly points?: number | string | undefined
  /** Split by mount, interface or container (see SERIES_BY); from a query string. */
  readonly by?: string | undefined
}

/**
 * Data types with a downsampled series (Data.series), and what each may be split by: `plain` is
 * the answer without `by` (system_metrics' own columns, or a type's only split).
 */
export const SERIES_BY: Record<
  string,
  { readonly plain: SeriesKeyKind | null; readonly by: ReadonlyArray<SeriesKeyKind> }
> = {
  system_metrics: { plain: null, by: ["mount"] },
  network_interfaces: { plain: "interface", by: ["interface"] },
  containers: { plain: "container", by: ["container"] },
}

export const seriesTypes: ReadonlyArray<string> = Object.keys(SERIES_BY)

/** Keys in a split series at most: the busiest (or fullest) first, so a chart stays readable. */
export const SERIES_MAX_KEYS = 8

const seriesSplit = (dataType: string, raw: string | undefined): SeriesKeyKind | null => {
  const split = SERIES_BY[dataType]!
  if (raw === undefined || raw === "") return split.plain
  const decoded = Schema.decodeUnknownResult(Schema.Literals(split.by))(raw)
  if (Result.isSuccess(decoded)) return decoded.success
  throw new ValidationError({
    message: `by must be one of: ${split.by.join(", ")} (for ${dataType}), got '${raw}'`,
  })
}

export const SERIES_POINTS = { fallback: 300, min: 10, max: 1000 } as const

const seriesPoints = (raw: number | string | undefined): number => {
  if (raw === undefined || raw === "") return SERIES_POINTS.fallback
  const n = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isInteger(n) || n < SERIES_POINTS.min || n > SERIES_POINTS.max) {
    throw new ValidationError({
      message: `points must be an integer between ${SERIES_POINTS.min} and ${SERIES_POINTS.max}, got '${String(raw)}'`,
    })
  }
  return n
}

const HOUR_MS = 3_600_000

/** Reads and actions on hosts, through the one pipeline, on behalf of the Caller. */
export const makeData = Effect.gen(function* () {
  const operation = operationsIn(yield* Effect.context<Store | Collector | Registry>())
  const collector = yield* Collector
  const registry = yield* Registry
  const store = yield* Store

  /** Public types only: the config feature's internal reads look like unknown types from outside. */
  const publicSpec = (dataType: string) =>
    Effect.flatMap(
      registry.get(dataType),
      (spec) => spec.internal === true ? Effect.fail(new UnknownDataType({ dataType })) : Effect.succeed(spec),
    )

  const dataTypes = operation(dataOperations.dataTypes, () =>
    Effect.succeed(
      registry.list().filter((s) => s.internal !== true).map((s) => ({
        name: s.name,
        description: s.description,
        ttl_seconds: s.ttlSeconds,
        requires: s.requires ?? [],
        params: Object.fromEntries(
          Object.entries(s.params.fields).map(([name, field]) => [name, field.ast.annotations?.["description"] ?? ""]),
        ),
      })),
    ))

  const collect = operation(
    dataOperations.collect,
    (device: string | number, dataType: string, options: { forceRefresh?: boolean; params?: Params } = {}) =>
      Effect.gen(function* () {
        yield* publicSpec(dataType)
        const caller = yield* Caller
        return yield* collector.collect(device, dataType, {
          method: caller.method,
          source: caller.source,
          forceRefresh: options.forceRefresh === true,
          params: options.params,
          tokenId: caller.tokenId,
        })
      }),
  )

  const containerAction = operation(
    dataOperations.containerAction,
    (device: string | number, verb: ContainerVerb, name: string) =>
      Effect.gen(function* () {
        const caller = yield* Caller
        const outcome: ActionOutcome = yield* collector.act(device, `container_${verb}`, {
          method: caller.method,
          source: caller.source,
          params: { name },
          tokenId: caller.tokenId,
        })
        return outcome
      }),
  )

  const history = operation(
    dataOperations.history,
    (device: string | number, dataType: string, request: HistoryRequest = {}) =>
      Effect.gen(function* () {
        const spec = yield* publicSpec(dataType)
        yield* Effect.try({ try: () => checkRange(request.from, request.to), catch: (e) => e as ValidationError })
        const dev = yield* store.getDevice(device)
        const tables = [spec.table, ...(spec.extraTables ?? [])].filter((t) => t !== "")
        const table = request.table ?? tables[0]
        if (table === undefined || !tables.includes(table)) {
          return yield* Effect.fail(
            new ValidationError({
              message: tables.length === 0
                ? `${spec.name} keeps no history table`
                : `table must be one of ${tables.join(", ")}`,
            }),
          )
        }
        const rows = yield* store.history({
          table,
          deviceId: dev.id,
          from: request.from,
          to: request.to,
          limit: request.limit,
        })
        return {
          device: dev.name,
          data_type: spec.name,
          table,
          from: request.from?.toISOString() ?? null,
          to: request.to?.toISOString() ?? null,
          count: rows.length,
          rows,
        }
      }),
  )

  /** Rows read for one summary; past this the newest are kept. */
  const SUMMARY_ROWS = 10_000

  const metricsSummary = operation(
    dataOperations.metricsSummary,
    (device: string | number, range: { readonly from: Date; readonly to: Date; readonly points: number }) =>
      Effect.gen(function* () {
        yield* Effect.try({ try: () => checkRange(range.from, range.to), catch: (e) => e as ValidationError })
        const dev = yield* store.getDevice(device)
        const rows = yield* store.history({
          table: "system_metrics",
          deviceId: dev.id,
          from: range.from,
          to: range.to,
          limit: SUMMARY_ROWS,
        })
        const summary = summariseMetrics(rows, range.points)
        return {
          device: dev.name,
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          truncated: rows.length >= SUMMARY_ROWS,
          ...summary,
          ...(summary.samples === 0 ? { hint: "no stored samples in range: read system_metrics to take one" } : {}),
        }
      }),
  )

  /**
   * A chart's worth of a stored series: buckets of ceil((to - from) / points) seconds (at least 1)
   * from `from`, aggregated in the database, so a 30-day range is as cheap to draw as an hour.
   */
  const series = operation(
    dataOperations.series,
    (device: string | number, dataType: string, request: SeriesRequest = {}) =>
      Effect.gen(function* () {
        const spec = yield* publicSpec(dataType)
        if (!seriesTypes.includes(spec.name)) {
          return yield* Effect.fail(
            new ValidationError({
              message: `series not available for ${spec.name}; available for: ${seriesTypes.join(", ")}`,
            }),
          )
        }
        const { points, from, to, by } = yield* Effect.try({
          try: () => {
            const points = seriesPoints(request.points)
            const by = seriesSplit(spec.name, request.by)
            checkRange(request.from, request.to)
            // Whole seconds, widened (from down, to up), so every bucket starts on a whole unix
            // second and a row stored just before `now` is in.
            const to = new Date(Math.ceil((request.to ?? new Date()).getTime() / 1000) * 1000)
            const from = request.from === undefined
              ? new Date(to.getTime() - HOUR_MS)
              : new Date(Math.floor(request.from.getTime() / 1000) * 1000)
            checkRange(from, to)
            return { points, from, to, by }
          },
          catch: (e) => e as ValidationError,
        })
        const stepSeconds = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / 1000 / points))
        const dev = yield* store.getDevice(device)
        const head = {
          device: dev.name,
          data_type: spec.name,
          from: from.toISOString(),
          to: to.toISOString(),
          step_seconds: stepSeconds,
        }
        if (by !== null) {
          const keyed = yield* store.systemMetricSeries({
            deviceId: dev.id,
            from,
            to,
            stepSeconds,
            by,
            maxKeys: SERIES_MAX_KEYS,
          })
          return {
            ...head,
            by,
            points: keyed.time.length,
            time: keyed.time,
            keys_total: keyed.keysTotal,
            keys: keyed.keys,
          }
        }
        const columns = yield* store.systemMetricSeries({ deviceId: dev.id, from, to, stepSeconds })
        return { ...head, points: columns.time.length, time: columns.time, series: columns.series }
      }),
  )

  return { dataTypes, collect, containerAction, history, metricsSummary, series }
})

export type DataShape = Effect.Success<typeof makeData>

export class Data extends Context.Service<Data, DataShape>()("infrastructor/app/Data") {
  static readonly layer = Layer.effect(Data, makeData)
}

export type { Collected }

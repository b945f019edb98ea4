import { Context, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { Cache, keyPrefix } from "../cache/Cache.ts"
import type { StoreError } from "../domain/errors.ts"
import { Events, type InfraEventWithMeta } from "../events/Events.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { type AuditEntry, type PerformanceQuery, type Row, Store } from "../store/Store.ts"
import { keyMatches } from "../cache/keys.ts"
import { makeCacheMetadataWriter } from "./cache-metadata.ts"
import { EventLog } from "./EventLog.ts"
import { isOperation } from "./events.ts"
import { makeOperationMetrics } from "./metrics.ts"
import { processFamilies } from "./process-metrics.ts"
import { counter, gauge, makeLabeledCounter, renderExposition } from "./prometheus.ts"
import { type RetentionResult, runRetention } from "./retention.ts"
import { resolveRetention, type RetentionRule } from "./retention-policy.ts"
import { bucketRow, type GlobalSample, makeRollup } from "./rollup.ts"

export interface ObservabilityOptions {
  /** Retention overrides, days per table (config `retention:`). */
  readonly retention?: Readonly<Record<string, unknown>> | undefined
  /** Rollup flush and cache snapshot period (default 60 s). */
  readonly flushIntervalMs?: number | undefined
  /** Retention job period (default 1 h); 0 disables the background job (on demand still works). */
  readonly retentionIntervalMs?: number | undefined
  /** Rows per retention DELETE (default 5000). */
  readonly retentionBatchSize?: number | undefined
}

export interface InvalidateRequest {
  readonly device?: string | undefined
  readonly dataType?: string | undefined
  readonly reason: string
  readonly method: AuditEntry["method"]
  readonly source: string
  /** For the audit row's device_id when the device is known. */
  readonly deviceId?: number | null | undefined
  /** The API token that asked, for the audit row. */
  readonly tokenId?: string | null | undefined
}

export interface InvalidateResult {
  readonly invalidated: number
  readonly bytes: number
  readonly device: string | null
  readonly data_type: string | null
}

export type { PerformanceQuery }

export interface ObservabilityShape {
  /** Write rollup rows: finished minutes, and the running minute too when includeCurrent. Returns rows written. */
  readonly flush: (options?: { readonly includeCurrent?: boolean }) => Effect.Effect<number, StoreError>
  /** Persist changed cache entries to cache_metadata; returns rows written. */
  readonly snapshotCache: () => Effect.Effect<number, StoreError>
  /** Drop cached reads (all, one device, one data type or both), audit it and publish CacheInvalidated. */
  readonly invalidateCache: (request: InvalidateRequest) => Effect.Effect<InvalidateResult, StoreError>
  readonly runRetention: () => Effect.Effect<RetentionResult>
  readonly retentionRules: ReadonlyArray<RetentionRule>
  readonly performance: (query: PerformanceQuery) => Effect.Effect<Array<Row>, StoreError>
  /** The /metrics body. */
  readonly prometheus: () => string
}

const processStart = Date.now()

/** Self-observability: metrics from the event bus, per-minute rollups, cache snapshots, retention. */
export class Observability extends Context.Service<Observability, ObservabilityShape>()("infrastructor/Observability") {
  static readonly layer = (options: ObservabilityOptions = {}) =>
    Layer.effect(
      Observability,
      Effect.gen(function* () {
        const store = yield* Store
        const cache = yield* Cache
        const ssh = yield* Ssh
        const events = yield* Events
        const eventLog = yield* EventLog
        const rules = resolveRetention(options.retention ?? {})
        const metadata = makeCacheMetadataWriter(store)
        const operations = makeOperationMetrics()
        const invalidations = makeLabeledCounter()
        const retentionDeleted = makeLabeledCounter()

        const globals = (): GlobalSample => {
          const s = ssh.stats()
          const c = cache.stats()
          return {
            sshOpened: s.connectionsOpened,
            sshReused: s.connectionsReused,
            cacheEntries: c.entries,
            cacheBytes: c.bytes,
            cacheEvictions: c.evictions,
          }
        }
        const rollup = makeRollup(globals())

        const onEvent = (e: InfraEventWithMeta) => {
          if (!isOperation(e)) return
          const now = Date.now()
          operations.record(e)
          rollup.record(e, now)
          rollup.sample(globals(), now)
        }
        yield* Effect.acquireRelease(Effect.sync(() => events.listen(onEvent)), (stop) => Effect.sync(stop))

        const flush: ObservabilityShape["flush"] = (flushOptions) =>
          Effect.gen(function* () {
            const now = Date.now()
            rollup.sample(globals(), now)
            const due = rollup.take(now, flushOptions?.includeCurrent === true)
            if (due.length === 0) return 0
            return yield* store.addRollups(due.map(bucketRow)).pipe(
              Effect.tapError(() => Effect.sync(() => rollup.restore(due))),
            )
          })

        const snapshotCache = () => Effect.suspend(() => metadata.snapshot(cache.entries(), new Date()))

        const invalidateCache: ObservabilityShape["invalidateCache"] = (request) =>
          Effect.gen(function* () {
            const started = performance.now()
            const at = new Date()
            const { device, dataType } = request
            const matching = cache.entries().filter((e) => keyMatches(e.key, device, dataType))
            // Prefixes also cancel in-flight loads; a data type across devices goes key by key.
            if (device !== undefined) {
              cache.invalidate(keyPrefix(device, dataType))
            } else if (dataType === undefined) cache.invalidate("")
            else {
              const devices = yield* store.listDevices().pipe(Effect.orElseSucceed(() => []))
              for (const d of devices) cache.invalidate(keyPrefix(d.name, dataType))
            }
            for (const e of matching) cache.invalidate(e.key)
            const bytes = matching.reduce((n, e) => n + e.bytes, 0)
            invalidations.inc({
              scope: device === undefined
                ? (dataType === undefined ? "all" : "data_type")
                : dataType === undefined
                ? "device"
                : "device_data_type",
            })
            yield* metadata.invalidated(matching, { device, dataType }, request.reason, at).pipe(
              Effect.catch((e: StoreError) => Effect.logWarning("cache_metadata write failed", e.message)),
            )
            yield* store.insertAudit({
              time: at,
              deviceId: request.deviceId ?? null,
              deviceName: device ?? "*",
              operationId: randomUUID(),
              dataType: "cache_invalidate",
              method: request.method,
              source: request.source,
              tokenId: request.tokenId ?? null,
              forceRefresh: false,
              cacheHit: false,
              durationMs: performance.now() - started,
              sshCommandCount: 0,
              dataSizeBytes: bytes,
              status: "success",
              errorMessage: null,
              recordsCreated: 0,
              freshnessThreshold: 0,
            })
            yield* events.publish({
              _tag: "CacheInvalidated",
              device: device ?? null,
              dataType: dataType ?? null,
              entries: matching.length,
              reason: request.reason,
            })
            return { invalidated: matching.length, bytes, device: device ?? null, data_type: dataType ?? null }
          })

        const retention = () =>
          runRetention(store, rules, { batchSize: options.retentionBatchSize }).pipe(
            Effect.tap((r) =>
              Effect.sync(() => {
                for (const [table, n] of Object.entries(r.deleted)) if (n > 0) retentionDeleted.inc({ table }, n)
              })
            ),
          )

        const performanceRows: ObservabilityShape["performance"] = (q) => store.performanceRows(q)

        const prometheus = () => {
          const c = cache.stats()
          const s = ssh.stats()
          const published = [...eventLog.published()].map(([kind, value]) => ({ labels: { kind }, value }))
          return renderExposition([
            ...operations.families(),
            counter("infrastructor_cache_hits_total", "Reads answered from the cache.", c.hits),
            counter("infrastructor_cache_misses_total", "Reads the cache could not answer.", c.misses),
            counter(
              "infrastructor_cache_evictions_total",
              "Entries evicted to stay within the cache bounds.",
              c.evictions,
            ),
            counter("infrastructor_cache_loads_total", "Loads started by cache misses and refreshes.", c.loads),
            counter("infrastructor_cache_coalesced_total", "Callers that joined an in-flight load.", c.coalesced),
            counter(
              "infrastructor_cache_stale_total",
              "Hits answered from an expired entry while it was refreshed (stale-while-revalidate).",
              c.stale,
            ),
            gauge("infrastructor_cache_entries", "Entries in the cache.", c.entries),
            gauge("infrastructor_cache_bytes", "Estimated bytes held by the cache.", c.bytes),
            gauge("infrastructor_cache_max_bytes", "Cache byte bound.", c.maxBytes),
            {
              name: "infrastructor_cache_invalidations_total",
              help: "Invalidation requests by scope.",
              type: "counter",
              samples: invalidations.samples(),
            },
            counter("infrastructor_ssh_connections_opened_total", "SSH connections opened.", s.connectionsOpened),
            counter(
              "infrastructor_ssh_connections_reused_total",
              "Commands that reused an open connection.",
              s.connectionsReused,
            ),
            gauge("infrastructor_ssh_open_connections", "SSH connections open now.", s.openConnections),
            counter("infrastructor_ssh_commands_total", "Commands run over SSH or the local transport.", s.commandsRun),
            counter("infrastructor_ssh_bytes_received_total", "Command output bytes received.", s.bytesReceived),
            counter("infrastructor_ssh_failures_total", "Transport failures.", s.failures),
            gauge("infrastructor_event_subscribers", "Clients streaming /api/events.", eventLog.subscribers()),
            {
              name: "infrastructor_events_published_total",
              help: "Client-facing events published on the bus, by kind.",
              type: "counter",
              samples: published,
            },
            {
              name: "infrastructor_retention_deleted_rows_total",
              help: "Rows deleted by the retention job, by table.",
              type: "counter",
              samples: retentionDeleted.samples(),
            },
            gauge("infrastructor_start_time_seconds", "Process start, unix seconds.", Math.floor(processStart / 1000)),
            ...processFamilies(),
          ])
        }

        const logged = <A>(what: string, effect: Effect.Effect<A, StoreError>) =>
          effect.pipe(Effect.catch((e: StoreError) => Effect.logWarning(`${what} failed`, e.message)))

        // Shutdown: write the running minute and the cache state before the store closes.
        yield* Effect.addFinalizer(() =>
          Effect.all([
            logged("rollup flush", flush({ includeCurrent: true })),
            logged("cache snapshot", snapshotCache()),
          ]).pipe(
            Effect.timeoutOption("5 seconds"),
            Effect.ignore,
          )
        )

        const flushEvery = Math.max(1000, options.flushIntervalMs ?? 60_000)
        yield* Effect.forkScoped(
          Effect.forever(
            Effect.sleep(flushEvery).pipe(
              Effect.andThen(logged("rollup flush", flush())),
              Effect.andThen(logged("cache snapshot", snapshotCache())),
            ),
          ),
        )
        const retentionEvery = options.retentionIntervalMs ?? 3_600_000
        if (retentionEvery > 0) {
          const every = Math.max(1000, retentionEvery)
          const once = retention().pipe(
            Effect.tap((r) => Effect.logInfo("retention run", { deleted: r.deleted, errors: r.errors })),
          )
          // First run a few minutes after start (a server restarted more often than hourly still ages data out).
          yield* Effect.forkScoped(
            Effect.sleep(Math.min(every, 300_000)).pipe(
              Effect.andThen(once),
              Effect.andThen(Effect.forever(Effect.sleep(every).pipe(Effect.andThen(once)))),
            ),
          )
        }

        return Observability.of({
          flush,
          snapshotCache,
          invalidateCache,
          runRetention: retention,
          retentionRules: rules,
          performance: performanceRows,
          prometheus,
        })
      }),
    )
}

export interface ObserveOptions extends ObservabilityOptions {
  readonly replayBufferSize?: number | undefined
  readonly heartbeatMs?: number | undefined
}

/** EventLog and Observability together, over the core services. */
export const makeObserveLayer = (options: ObserveOptions = {}) =>
  Observability.layer(options).pipe(Layer.provideMerge(EventLog.layer(options)))

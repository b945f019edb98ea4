import { Context, Effect, Layer } from "effect"
import { makeTokenRepo, type TokenInfo } from "../auth/TokenRepo.ts"
import { Cache } from "../cache/Cache.ts"
import { splitCacheKey } from "../cache/keys.ts"
import { DeviceNotFound, ValidationError } from "../domain/errors.ts"
import { auditSummary } from "../observe/audit-summary.ts"
import { fleetFamilies } from "../observe/fleet-metrics.ts"
import { Observability } from "../observe/Observability.ts"
import { renderExposition } from "../observe/prometheus.ts"
import { rollupMethods } from "../observe/rollup.ts"
import { Registry } from "../pipeline/Registry.ts"
import { Scheduler } from "../scheduler/Scheduler.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { type AuditFilter, Store } from "../store/Store.ts"
import { auditedChange } from "./audit.ts"
import { Caller } from "./caller.ts"
import { operationsIn, readOp, writeOp } from "./operation.ts"

export const adminOperations = {
  audit: readOp("Admin.audit", "the audit log"),
  cache: readOp("Admin.cache", "cache statistics and entries"),
  invalidateCache: writeOp("Admin.invalidateCache", "drop cached reads"),
  performance: readOp("Admin.performance", "per-minute performance rollups"),
  performanceSummary: readOp("Admin.performanceSummary", "per data type calls, hit rate, errors and latency"),
  retentionRules: readOp("Admin.retentionRules", "retention rules"),
  runRetention: writeOp("Admin.runRetention", "delete rows past their retention now", { destroysData: true }),
  metrics: readOp("Admin.metrics", "Prometheus metrics"),
  fleetMetrics: readOp("Admin.fleetMetrics", "the fleet's collected data as Prometheus metrics (stored, no host read)"),
  scheduler: readOp("Admin.scheduler", "polling, leases and device health"),
  refreshScheduler: writeOp("Admin.refreshScheduler", "re-read the device list for polling now"),
  events: readOp("Admin.events", "the live event stream"),
  tokens: writeOp("Admin.tokens", "list API tokens (ids, names, scopes; never secrets)"),
  createToken: writeOp("Admin.createToken", "create an API token (the secret is shown once)"),
  revokeToken: writeOp("Admin.revokeToken", "revoke an API token"),
} as const

/** A token as every front end shows it: never the secret or its hash. */
export const tokenView = (t: TokenInfo) => ({
  id: t.id,
  name: t.name,
  scope: t.scope,
  created_at: t.createdAt.toISOString(),
  last_used_at: t.lastUsedAt?.toISOString() ?? null,
  revoked_at: t.revokedAt?.toISOString() ?? null,
})

const lookups = (s: { readonly hits: number; readonly misses: number }) => s.hits + s.misses

/** The service's own state: audit, cache, performance, retention, scheduler, tokens. */
export const makeAdmin = Effect.gen(function* () {
  const operation = operationsIn(yield* Effect.context<Store | Cache | Observability | Registry | Scheduler | Ssh>())
  const store = yield* Store
  const cache = yield* Cache
  const observability = yield* Observability
  const registry = yield* Registry
  const scheduler = yield* Scheduler
  const ssh = yield* Ssh
  const tokens = makeTokenRepo(store)

  const audit = operation(
    adminOperations.audit,
    (filter: AuditFilter) => Effect.map(store.queryAudit(filter), (rows) => ({ count: rows.length, entries: rows })),
  )

  const cacheView = operation(
    adminOperations.cache,
    (options: { readonly entries?: boolean; readonly limit?: number } = {}) =>
      Effect.sync(() => {
        const stats = cache.stats()
        const entries = cache.entries()
        const byType = new Map<string, { entries: number; bytes: number; hits: number }>()
        for (const e of entries) {
          const t = splitCacheKey(e.key).dataType
          const agg = byType.get(t) ?? { entries: 0, bytes: 0, hits: 0 }
          agg.entries++
          agg.bytes += e.bytes
          agg.hits += e.hits
          byType.set(t, agg)
        }
        const now = Date.now()
        const items = options.entries === true
          ? entries.slice(-(options.limit ?? 100)).reverse().map((e) => {
            const parts = splitCacheKey(e.key)
            return {
              device: parts.device,
              data_type: parts.dataType,
              params: parts.params,
              created_at: new Date(e.storedAt).toISOString(),
              last_accessed_at: new Date(e.lastAccessedAt).toISOString(),
              expires_at: new Date(e.expiresAt).toISOString(),
              expired: e.expiresAt <= now,
              hits: e.hits,
              size_bytes: e.bytes,
            }
          })
          : undefined
        return {
          entries: stats.entries,
          bytes: stats.bytes,
          max_entries: stats.maxEntries,
          max_bytes: stats.maxBytes,
          hits: stats.hits,
          misses: stats.misses,
          hit_ratio: lookups(stats) === 0 ? null : stats.hits / lookups(stats),
          evictions: stats.evictions,
          loads: stats.loads,
          coalesced: stats.coalesced,
          stale: stats.stale,
          by_data_type: [...byType].map(([data_type, v]) => ({ data_type, ...v }))
            .sort((a, b) => a.data_type.localeCompare(b.data_type)),
          ...(items === undefined ? {} : { items }),
        }
      }),
  )

  const invalidateCache = operation(
    adminOperations.invalidateCache,
    (request: { readonly device?: string | undefined; readonly dataType?: string | undefined; reason?: string }) =>
      Effect.gen(function* () {
        const reason = request.reason ?? "on request"
        if (reason.length > 500) {
          return yield* Effect.fail(new ValidationError({ message: "reason is at most 500 characters" }))
        }
        // Unknown names fail rather than silently dropping nothing: a typo should not look like success.
        const device = request.device === undefined ? undefined : yield* store.getDevice(request.device)
        if (request.dataType !== undefined) yield* registry.get(request.dataType)
        const caller = yield* Caller
        return yield* observability.invalidateCache({
          device: device?.name,
          dataType: request.dataType,
          reason,
          method: caller.method,
          source: caller.source,
          deviceId: device?.id ?? null,
          tokenId: caller.tokenId,
        })
      }),
  )

  const performance = operation(
    adminOperations.performance,
    (query: { readonly from: Date; readonly to: Date; readonly method?: string | undefined; readonly limit: number }) =>
      Effect.gen(function* () {
        if (query.from > query.to) {
          return yield* Effect.fail(new ValidationError({ message: "from must not be after to" }))
        }
        if (query.method !== undefined && !rollupMethods.includes(query.method)) {
          return yield* Effect.fail(
            new ValidationError({ message: `method must be one of ${rollupMethods.join(", ")}` }),
          )
        }
        const rows = yield* observability.performance(query)
        return { from: query.from.toISOString(), to: query.to.toISOString(), count: rows.length, rows }
      }),
  )

  const performanceSummary = operation(adminOperations.performanceSummary, (from: Date) =>
    Effect.gen(function* () {
      const now = new Date()
      const cacheStats = cache.stats()
      return {
        since: from.toISOString(),
        data_types: yield* auditSummary(from),
        // Per-minute rollups (flushed every minute) for trends; the audit summary covers the current minute.
        rollups: yield* observability.performance({ from, to: now, method: "all", limit: 120 }),
        ssh: ssh.stats(),
        cache: {
          ...cacheStats,
          hit_ratio: lookups(cacheStats) === 0
            ? null
            : Math.round((cacheStats.hits / lookups(cacheStats)) * 1000) / 1000,
        },
      }
    }))

  const retentionRules = operation(
    adminOperations.retentionRules,
    () => Effect.succeed({ rules: observability.retentionRules }),
  )

  const runRetention = operation(
    adminOperations.runRetention,
    () =>
      auditedChange("retention_run", { id: null, name: "*" }, observability.runRetention(), { id: null, name: "*" }),
  )

  const metrics = operation(adminOperations.metrics, () => Effect.sync(() => observability.prometheus()))

  const fleetMetrics = operation(adminOperations.fleetMetrics, () =>
    Effect.map(
      Effect.all([store.listDevices(), store.fleetLatest()]),
      ([devices, latest]) => renderExposition(fleetFamilies(devices, latest)),
    ))

  const schedulerStatus = operation(adminOperations.scheduler, (device?: string) =>
    Effect.gen(function* () {
      const status = scheduler.status()
      if (device === undefined) return status
      const devices = status.devices.filter((d) => d.device === device || String(d.device_id) === device)
      if (devices.length === 0) {
        return yield* Effect.fail(new DeviceNotFound({ device }))
      }
      return { ...status, devices }
    }))

  const refreshScheduler = operation(
    adminOperations.refreshScheduler,
    () => Effect.map(scheduler.refresh, () => ({ ok: true, running: scheduler.status().running })),
  )

  /** Only authorizes: the stream itself is the front end's (SSE, MCP subscriptions). */
  const events = operation(adminOperations.events, () => Effect.void)

  const listTokens = operation(adminOperations.tokens, () => Effect.map(tokens.list(), (list) => list.map(tokenView)))

  const createToken = operation(
    adminOperations.createToken,
    (name: string, scope: string) =>
      auditedChange(
        "token_create",
        (created: { readonly info: { readonly id: string } }) => ({ id: null, name: `token ${created.info.id}` }),
        Effect.map(tokens.create(name, scope), ({ token, info }) => ({ token, info: tokenView(info) })),
        { id: null, name: "token" },
      ),
  )

  const revokeToken = operation(
    adminOperations.revokeToken,
    (id: string) =>
      auditedChange("token_revoke", { id: null, name: `token ${id}` }, Effect.map(tokens.revoke(id), tokenView), {
        id: null,
        name: `token ${id}`,
      }),
  )

  return {
    audit,
    cache: cacheView,
    invalidateCache,
    performance,
    performanceSummary,
    retentionRules,
    runRetention,
    metrics,
    fleetMetrics,
    scheduler: schedulerStatus,
    refreshScheduler,
    events,
    tokens: listTokens,
    createToken,
    revokeToken,
  }
})

export type AdminShape = Effect.Success<typeof makeAdmin>

export class Admin extends Context.Service<Admin, AdminShape>()("infrastructor/app/Admin") {
  static readonly layer = Layer.effect(Admin, makeAdmin)
}

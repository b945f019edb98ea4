import { Context, Duration, Effect, FiberSet, Layer, Result } from "effect"
import { randomUUID } from "node:crypto"
import { Cache, cacheKey, keyPrefix } from "../cache/Cache.ts"
import type { Device, DeviceCapabilities } from "../domain/device.ts"
import { CAPABILITIES_DATA_TYPE, isProbed } from "../domain/capabilities.ts"
import {
  type CollectError,
  type DeviceNotFound,
  retryableSshReasons,
  SshError,
  type StoreError,
  UnsupportedDataType,
  ValidationError,
} from "../domain/errors.ts"
import { type CacheStatus, Events } from "../events/Events.ts"
import { actionRetry } from "../domain/schedules.ts"
import type { Params } from "./DataType.ts"
import { checkParams } from "./params.ts"
import { Registry } from "./Registry.ts"
import { CurrentTokenId } from "../auth/context.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { type AuditEntry, Store } from "../store/Store.ts"
import { errorCode, errorMessage } from "./error-info.ts"
import { checkSupport } from "./support.ts"
import { explainFailure } from "./command-failure.ts"
import { DeviceHealth } from "./DeviceHealth.ts"

export type Method = AuditEntry["method"]

/** How long a device row read by the pipeline is reused (within one process, until a device write). */
export const DEVICE_CACHE_MS = 1000

/**
 * A first-contact probe that failed for a reason other than the transport (odd output, store error)
 * is not tried again on every read of the device before this long; reads go on without it.
 */
export const PROBE_RETRY_MS = 5 * 60_000

/** On shutdown, refreshes running behind stale answers get this long to finish (then they are cut). */
export const REVALIDATE_DRAIN = Duration.seconds(5)

export interface CollectOptions {
  readonly forceRefresh?: boolean | undefined
  readonly method: Method
  /** Who asked: a route, a tool name, a job id. Lands in the audit row. */
  readonly source?: string | undefined
  readonly params?: Params | undefined
  /** API token id for the audit row; defaults to CurrentTokenId (set per HTTP request). */
  readonly tokenId?: string | null | undefined
}

export interface Collected<A = unknown> {
  readonly device: string
  readonly data_type: string
  readonly collected_at: string
  readonly age_seconds: number
  readonly cache: CacheStatus
  readonly data: A
  /** Present when the host's output passed the byte cap: `data` is parsed from a cut output. */
  readonly truncated?: true | undefined
  /** Present while the database is unreachable: data is live, but its rows wait in the write buffer. */
  readonly store?: "unavailable" | undefined
}

interface Loaded {
  readonly data: unknown
  readonly collectedAt: number
  readonly recordsCreated: number
  readonly commands: number
  readonly bytes: number
  readonly truncated: boolean
}

export interface ActionOutcome {
  readonly device: string
  readonly action: string
  readonly params: Params
  readonly duration_ms: number
  readonly result: unknown
  /** The fresh read taken after the action (e.g. containers), or the error that read hit. */
  readonly refreshed: Collected | { readonly error: { readonly code: string; readonly message: string } } | null
}

export interface CollectorShape {
  /** The only way data is read from a host: cache → command → parse → store → cache → event → audit. */
  readonly collect: (
    device: string | number,
    dataType: string,
    options: CollectOptions,
  ) => Effect.Effect<Collected, CollectError>
  /** Run an action on a host through the same connection, audit it, invalidate what it changed, re-read. */
  readonly act: (
    device: string | number,
    action: string,
    options: CollectOptions,
  ) => Effect.Effect<ActionOutcome, CollectError>
}

/** A read may run again after any transport failure the host may recover from. */
const isRetryableRead = (e: SshError): boolean => retryableSshReasons.has(e.reason)

/** An action only while its command was never written to the host. */
const isRetryableAction = (e: SshError): boolean => e.commandSent !== true && retryableSshReasons.has(e.reason)

/**
 * One end-to-end deadline for an operation, retries included: each attempt gets what is left of
 * it, and when it runs out the operation fails as a timeout (interrupting the attempt closes its channel).
 */
const withinDeadline = <A>(
  device: string,
  total: Duration.Input,
  attempt: (remaining: () => Duration.Duration) => Effect.Effect<A, SshError>,
): Effect.Effect<A, SshError> =>
  Effect.suspend(() => {
    const totalMs = Duration.toMillis(total)
    const deadline = Date.now() + totalMs
    return attempt(() => Duration.millis(Math.max(1, deadline - Date.now()))).pipe(
      Effect.timeoutOrElse({
        duration: totalMs,
        orElse: () =>
          Effect.fail(
            new SshError({
              device,
              reason: "command_timeout",
              message: `no answer within ${totalMs} ms (retries included)`,
            }),
          ),
      }),
    )
  })

/** Output cut at the byte cap that the parser could not use: a typed error that says so. */
const truncatedOutput = (device: string, bytes: number, cause: { readonly message: string }): SshError =>
  new SshError({
    device,
    reason: "output_too_large",
    message:
      `output was cut at the size cap after ${bytes} bytes and the partial output could not be parsed (${cause.message})`,
  })

export class Collector extends Context.Service<Collector, CollectorShape>()("infrastructor/Collector") {
  static readonly layer = Layer.effect(
    Collector,
    Effect.gen(function* () {
      const store = yield* Store
      const ssh = yield* Ssh
      const cache = yield* Cache
      const registry = yield* Registry
      const events = yield* Events
      // DeviceHealth owns device status (online/degraded/offline, backoff) from every host read.
      const health = yield* DeviceHealth

      // For a changed host key: DeviceHealth writes only on a change of its own state, the row must say so anyway.
      const markStatus = (device: Device, status: string) =>
        Effect.gen(function* () {
          if (device.status === status) return
          yield* store.setDeviceStatus(device.id, status, device.lastSeen)
          yield* events.publish({ _tag: "DeviceStatusChanged", device: device.name, from: device.status, to: status })
        }).pipe(Effect.ignore)

      // Every call needs the device row; a cache hit should not cost a query for it. Rows are kept
      // for DEVICE_CACHE_MS and dropped as soon as this process writes any device (devicesVersion).
      const deviceCache = new Map<string, { readonly device: Device; readonly at: number; readonly version: number }>()
      const lookupDevice = (ref: string | number) =>
        Effect.suspend(() => {
          const version = store.devicesVersion?.()
          const key = String(ref)
          const cached = deviceCache.get(key)
          if (
            version !== undefined && cached !== undefined && cached.version === version &&
            Date.now() - cached.at < DEVICE_CACHE_MS
          ) {
            return Effect.succeed(cached.device)
          }
          return store.getDevice(ref).pipe(
            Effect.tap((device) =>
              Effect.sync(() => {
                if (version === undefined) return
                if (deviceCache.size >= 10_000) deviceCache.clear()
                deviceCache.set(key, { device, at: Date.now(), version })
              })
            ),
          )
        })

      /** Keys with a background refresh running: one per key however many stale reads arrive. */
      const revalidating = new Set<string>()
      // Refreshes outlive the request that started them; shutdown lets them finish (and be audited).
      const refreshes = yield* FiberSet.make<void>()
      yield* Effect.addFinalizer(() =>
        FiberSet.awaitEmpty(refreshes).pipe(Effect.timeoutOption(REVALIDATE_DRAIN), Effect.asVoid)
      )
      /** The refresh behind a stale answer: a forced read through this same pipeline (audited as such). */
      const revalidate = (dev: Device, dataType: string, options: CollectOptions) =>
        Effect.suspend(() => {
          const key = cacheKey(dev.name, dataType, options.params ?? {})
          if (revalidating.has(key)) return Effect.void
          revalidating.add(key)
          return Effect.asVoid(
            FiberSet.run(refreshes, { startImmediately: false })(
              collect(dev.name, dataType, {
                ...options,
                forceRefresh: true,
                source: `${options.source ?? options.method}:revalidate`,
              }).pipe(Effect.ignore, Effect.ensuring(Effect.sync(() => void revalidating.delete(key)))),
            ),
          )
        })

      /** Devices whose first-contact probe failed (not on the transport), with when. */
      const probeFailedAt = new Map<number, number>()

      /**
       * First contact: a device with no probe on record (the default localhost, CLI and YAML devices,
       * an API add with probe=false, a repointed device) is probed before the first read or action
       * that needs tools, so an unsupported type answers 422 and the scheduler drops it. The probe is
       * the `capabilities` data type read through this same pipeline (cache single-flight: concurrent
       * first reads share one probe; audited; stored on the device row by its spec). Answers the
       * device with the capabilities to check against, or the probe's transport error (the read
       * would meet the same host), marked so the caller does not count it twice in DeviceHealth.
       */
      const withCapabilities = (
        dev: Device,
        requires: ReadonlyArray<string> | undefined,
        options: CollectOptions,
        onProbeFailure: () => void,
      ): Effect.Effect<Device, SshError> =>
        // Decided before building a generator: most reads (cache hits included) need no probe.
        requires === undefined || requires.length === 0 || isProbed(dev.capabilities)
          ? Effect.succeed(dev)
          : Effect.gen(function* () {
            if (Result.isFailure(yield* Effect.result(registry.get(CAPABILITIES_DATA_TYPE)))) return dev
            const failedAt = probeFailedAt.get(dev.id)
            if (failedAt !== undefined && Date.now() - failedAt < PROBE_RETRY_MS) return dev
            const probed = yield* Effect.result(collect(dev.id, CAPABILITIES_DATA_TYPE, {
              method: options.method,
              source: `${options.source ?? options.method} (first contact)`,
              tokenId: options.tokenId,
            }))
            if (Result.isSuccess(probed)) {
              probeFailedAt.delete(dev.id)
              return { ...dev, capabilities: probed.success.data as DeviceCapabilities }
            }
            if (probed.failure instanceof SshError) {
              onProbeFailure()
              return yield* Effect.fail(probed.failure)
            }
            probeFailedAt.set(dev.id, Date.now())
            return dev
          })

      // One span per call (hits included); the helpers inside stay unnamed so a cache hit stays cheap.
      const collect: CollectorShape["collect"] = Effect.fn("Collector.collect")(function* (
        ref: string | number,
        dataType: string,
        options: CollectOptions,
      ) {
        const started = performance.now()
        const operationId = randomUUID()
        let params: Params = {}
        let device: Device | undefined
        let ttlSeconds = 0
        let loaded: Loaded | undefined
        let commands = 0
        /** The first-contact probe failed on the transport: it already told DeviceHealth. */
        let probeFailed = false

        const run = Effect.gen(function* () {
          const spec = yield* registry.get(dataType)
          params = yield* Effect.fromResult(checkParams(dataType, spec.params, options.params ?? {}))
          ttlSeconds = spec.ttlSeconds
          const row = yield* lookupDevice(ref)
          device = row
          const dev = yield* withCapabilities(row, spec.requires, options, () => void (probeFailed = true))
          const support = checkSupport(dev, spec.requires)
          if (!support.ok) {
            return yield* Effect.fail(
              new UnsupportedDataType({ device: dev.name, dataType, reason: support.reason }),
            )
          }
          const load = Effect.gen(function* () {
            // Only on a miss: a prepare reads the store (the previous reading's counters, a log cursor),
            // which a cache hit must not pay for.
            const fullParams = spec.prepare === undefined ? params : yield* spec.prepare(store, dev, params)
            const script = yield* Effect.try({
              try: () => spec.script(fullParams),
              catch: (e) =>
                e instanceof ValidationError ? e : new ValidationError({
                  message: `bad parameters for ${dataType}: ${(e as Error).message ?? String(e)}`,
                }),
            })
            // Reads are idempotent: a transport error is retried per the spec, inside one deadline.
            const result = yield* withinDeadline(dev.name, spec.timeout, (remaining) =>
              Effect.suspend(() => {
                commands++
                return ssh.run(dev, script, { timeout: remaining(), maxOutputBytes: spec.maxOutputBytes })
              }).pipe(Effect.retry({ schedule: spec.retry, while: isRetryableRead })))
            const parsed = spec.parse(result, fullParams)
            if (Result.isFailure(parsed)) {
              return yield* Effect.fail(
                result.truncated
                  ? truncatedOutput(dev.name, result.bytes, parsed.failure)
                  : explainFailure(dev.name, dataType, result, parsed.failure),
              )
            }
            const collectedAt = Date.now()
            const time = new Date(collectedAt)
            const rows = spec.toRows(parsed.success).map((r) => ({ time, ...r, device_id: dev.id }))
            const insertOptions = { skipDuplicates: spec.insertMode === "skip-duplicates" }
            let recordsCreated = spec.table === "" || rows.length === 0
              ? 0
              : yield* store.insertRows(spec.table, rows, insertOptions)
            for (const [table, extra] of Object.entries(spec.extraRows?.(parsed.success) ?? {})) {
              if (extra.length === 0) continue
              recordsCreated += yield* store.insertRows(
                table,
                extra.map((r) => ({ time, ...r, device_id: dev.id })),
                insertOptions,
              )
            }
            if (spec.persist !== undefined) yield* spec.persist(store, dev, parsed.success)
            const value: Loaded = {
              data: parsed.success,
              collectedAt,
              recordsCreated,
              commands,
              bytes: result.bytes,
              truncated: result.truncated,
            }
            loaded = value
            return value
          })
          // ttl 0 (container logs): never cached, every call reads the host.
          if (spec.ttlSeconds <= 0) {
            const value = yield* load
            return { entry: { value }, hit: false }
          }
          const key = cacheKey(dev.name, dataType, params)
          return yield* cache.getOrLoad(key, spec.ttlSeconds * 1000, load, {
            force: options.forceRefresh === true,
            allowStale: true,
            sizeOf: (v) => v.bytes,
          })
        })

        const audit = (status: AuditEntry["status"], hit: boolean, error: string | null, code: string | null = null) =>
          Effect.flatMap(Effect.service(CurrentTokenId), (requestToken) =>
            store.insertAudit({
              time: new Date(),
              deviceId: device?.id ?? null,
              deviceName: device?.name ?? String(ref),
              operationId,
              dataType,
              method: options.method,
              source: options.source ?? options.method,
              forceRefresh: options.forceRefresh === true,
              cacheHit: hit,
              durationMs: performance.now() - started,
              sshCommandCount: commands,
              dataSizeBytes: loaded?.bytes ?? 0,
              status,
              errorMessage: error,
              recordsCreated: loaded?.recordsCreated ?? 0,
              freshnessThreshold: ttlSeconds,
              tokenId: options.tokenId ?? requestToken,
            })).pipe(
              // An audit write that fails (store down) must not turn a good read into an error.
              Effect.catch((e: StoreError) => Effect.logWarning("audit write failed", e.message)),
              Effect.andThen(Effect.suspend(() =>
                events.publish({
                  _tag: "OperationCompleted",
                  kind: "collect",
                  device: device?.name ?? String(ref),
                  dataType,
                  method: options.method,
                  status: status === "error" ? "error" : "success",
                  cache: hit ? "hit" : options.forceRefresh === true ? "refresh" : "miss",
                  durationMs: performance.now() - started,
                  commands,
                  bytes: loaded?.bytes ?? 0,
                  recordsCreated: loaded?.recordsCreated ?? 0,
                  errorCode: code,
                })
              )),
            )

        return yield* run.pipe(
          Effect.matchEffect({
            onFailure: (error: CollectError) =>
              Effect.gen(function* () {
                yield* audit("error", false, errorMessage(error), errorCode(error))
                if (device !== undefined) {
                  const keyChanged = error instanceof SshError && error.reason === "host_key_mismatch"
                  if (!probeFailed) yield* health.record(device, dataType, { ok: false, error })
                  // A changed host key is not "offline": it needs an operator (POST .../trust-host-key).
                  if (keyChanged) yield* markStatus(device, "host_key_mismatch")
                  yield* events.publish({
                    _tag: "CollectionFailed",
                    device: device.name,
                    dataType,
                    error: { code: errorCode(error), message: errorMessage(error) },
                  })
                }
                return yield* Effect.fail(error)
              }),
            onSuccess: (lookup) =>
              Effect.gen(function* () {
                const ranHere = loaded !== undefined
                const stale = "stale" in lookup && lookup.stale === true
                const status: CacheStatus = stale
                  ? "stale"
                  : !ranHere
                  ? "hit"
                  : options.forceRefresh === true
                  ? "refresh"
                  : "miss"
                const entry = lookup.entry
                const dev = device as Device
                if (stale) yield* revalidate(dev, dataType, options)
                yield* audit(entry.value.truncated ? "partial" : "success", !ranHere, null)
                if (ranHere) {
                  yield* health.record(dev, dataType, { ok: true })
                  yield* events.publish({
                    _tag: "DataCollected",
                    device: dev.name,
                    dataType,
                    collectedAt: new Date(entry.value.collectedAt).toISOString(),
                    cache: status,
                    recordsCreated: entry.value.recordsCreated,
                  })
                }
                return {
                  device: dev.name,
                  data_type: dataType,
                  collected_at: new Date(entry.value.collectedAt).toISOString(),
                  age_seconds: Math.max(0, (Date.now() - entry.value.collectedAt) / 1000),
                  cache: status,
                  data: entry.value.data,
                  ...(entry.value.truncated ? { truncated: true as const } : {}),
                  ...(store.writeBuffer?.().available === false ? { store: "unavailable" as const } : {}),
                } satisfies Collected
              }),
          }),
        )
      })

      const act: CollectorShape["act"] = Effect.fn("Collector.act")(function* (
        ref: string | number,
        actionName: string,
        options: CollectOptions,
      ) {
        const started = performance.now()
        let params: Params = {}
        let device: Device | undefined
        let commands = 0
        const audit = (status: AuditEntry["status"], error: string | null, bytes: number, code: string | null = null) =>
          Effect.flatMap(Effect.service(CurrentTokenId), (requestToken) =>
            store.insertAudit({
              tokenId: options.tokenId ?? requestToken,
              time: new Date(),
              deviceId: device?.id ?? null,
              deviceName: device?.name ?? String(ref),
              operationId: randomUUID(),
              dataType: actionName,
              method: options.method,
              source: options.source ?? options.method,
              forceRefresh: false,
              cacheHit: false,
              durationMs: performance.now() - started,
              sshCommandCount: commands,
              dataSizeBytes: bytes,
              status,
              errorMessage: error,
              recordsCreated: 0,
              freshnessThreshold: 0,
            })).pipe(
              Effect.catch((e: StoreError) => Effect.logWarning("audit write failed", e.message)),
              Effect.andThen(Effect.suspend(() =>
                events.publish({
                  _tag: "OperationCompleted",
                  kind: "action",
                  device: device?.name ?? String(ref),
                  dataType: actionName,
                  method: options.method,
                  status: status === "error" ? "error" : "success",
                  cache: "miss",
                  durationMs: performance.now() - started,
                  commands,
                  bytes,
                  recordsCreated: 0,
                  errorCode: code,
                })
              )),
            )

        const run = Effect.gen(function* () {
          const spec = yield* registry.getAction(actionName)
          params = yield* Effect.fromResult(checkParams(actionName, spec.params, options.params ?? {}))
          const row = yield* store.getDevice(ref)
          device = row
          const dev = yield* withCapabilities(row, spec.requires, options, () => undefined)
          const support = checkSupport(dev, spec.requires)
          if (!support.ok) {
            return yield* Effect.fail(
              new UnsupportedDataType({ device: dev.name, dataType: actionName, reason: support.reason }),
            )
          }
          const script = yield* Effect.try({
            try: () => spec.script(params),
            catch: (e) =>
              e instanceof ValidationError ? e : new ValidationError({ message: `bad parameters: ${String(e)}` }),
          })
          // Retried only while the command cannot have reached the host: a restart sent twice is two restarts.
          const result = yield* withinDeadline(dev.name, spec.timeout, (remaining) =>
            Effect.suspend(() => {
              commands++
              return ssh.run(dev, script, { timeout: remaining() })
            }).pipe(Effect.retry({ schedule: actionRetry, while: isRetryableAction })))
          const parsed = spec.parse(result, params)
          if (Result.isFailure(parsed)) {
            return yield* Effect.fail(explainFailure(dev.name, actionName, result, parsed.failure))
          }
          yield* audit("success", null, result.bytes)
          for (const type of spec.invalidates) cache.invalidate(keyPrefix(dev.name, type))
          const durationMs = performance.now() - started
          const first = spec.invalidates[0]
          const refreshed = first === undefined ? null : yield* collect(dev.id, first, {
            method: options.method,
            source: `after ${actionName}`,
            forceRefresh: true,
          }).pipe(
            Effect.map((c): ActionOutcome["refreshed"] => c),
            Effect.catch((e: CollectError) =>
              Effect.succeed({ error: { code: errorCode(e), message: errorMessage(e) } })
            ),
          )
          return {
            device: dev.name,
            action: actionName,
            params,
            duration_ms: Math.round(durationMs),
            result: parsed.success,
            refreshed,
          } satisfies ActionOutcome
        })
        return yield* run.pipe(Effect.tapError((e: CollectError) => audit("error", errorMessage(e), 0, errorCode(e))))
      })

      return Collector.of({ collect, act })
    }),
  )
}

export type { DeviceNotFound }

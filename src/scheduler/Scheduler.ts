import { Cause, Clock, Context, Effect, Exit, Fiber, Latch, Layer, Option, Queue, Scope, Semaphore } from "effect"
import { Collector } from "../pipeline/Collector.ts"
import { errorCode } from "../pipeline/error-info.ts"
import { checkSupport } from "../pipeline/support.ts"
import type { Device } from "../domain/device.ts"
import { Events } from "../events/Events.ts"
import { Fanout, type FanoutStatus } from "../instances/Fanout.ts"
import { Ownership, type OwnershipChange, type OwnershipStatus } from "../instances/Ownership.ts"
import { pollableDataTypes } from "../collectors/index.ts"
import { Registry } from "../pipeline/Registry.ts"
import { Store } from "../store/Store.ts"
import { type Cadence, cadenceKey, catchUpAt, describeCadence, nextRunAt, resolveCadence } from "./cadence.ts"
import { DeviceHealth, type DeviceHealthView } from "../pipeline/DeviceHealth.ts"
import type { SchedulerSettings } from "./settings.ts"

export interface JobView {
  readonly data_type: string
  readonly cadence: string
  readonly next_run_at: string | null
  readonly last_run_at: string | null
  readonly last_duration_ms: number | null
  /** "ok", an error code, or null before the first run. */
  readonly last_result: string | null
  /** Why the last due run did not poll (backoff, probe-in-flight, not-owned), if it did not. */
  readonly last_skip: string | null
  readonly runs: number
  readonly failures: number
  readonly skipped: number
  readonly running: boolean
}

export interface DeviceScheduleView {
  readonly device_id: number
  readonly device: string
  readonly enabled: boolean
  readonly owned: boolean
  readonly health: DeviceHealthView | null
  readonly jobs: ReadonlyArray<JobView>
}

export interface SchedulerStatus {
  readonly instance_id: string
  readonly enabled: boolean
  readonly running: boolean
  readonly in_flight: number
  readonly limits: { readonly max_concurrent: number; readonly max_per_device: number }
  readonly ownership: OwnershipStatus
  readonly fanout: FanoutStatus
  readonly devices: ReadonlyArray<DeviceScheduleView>
}

export interface StopOptions {
  /** How long in-flight collections may run on before they are cancelled (default: settings). */
  readonly drainTimeoutMs?: number | undefined
  /** Give leases back so another instance takes over at once (default true). */
  readonly release?: boolean | undefined
}

export interface SchedulerShape {
  /** Begin polling (and event fan-out). Idempotent. */
  readonly start: Effect.Effect<void>
  /** Stop new polls, let in-flight ones finish within the drain bound, cancel the rest, release leases. */
  readonly stop: (options?: StopOptions) => Effect.Effect<void>
  /** Re-read the device list now (after adding, editing or removing a device). */
  readonly refresh: Effect.Effect<void>
  readonly status: () => SchedulerStatus
}

interface JobStats {
  nextRunAt: number | null
  lastRunAt: number | null
  lastDurationMs: number | null
  lastResult: string | null
  lastSkip: string | null
  runs: number
  failures: number
  skipped: number
  running: boolean
}

interface Job {
  readonly deviceId: number
  readonly deviceName: string
  readonly dataType: string
  readonly cadence: Cadence
  readonly key: string
  readonly stats: JobStats
  fiber: Fiber.Fiber<unknown> | undefined
}

const jobId = (deviceId: number, dataType: string) => `${deviceId}\u0000${dataType}`
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** Polls every owned, enabled device for each data type it supports, on its cadence. */
export class Scheduler extends Context.Service<Scheduler, SchedulerShape>()("infrastructor/Scheduler") {
  static readonly make = (settings: SchedulerSettings) => Layer.effect(Scheduler, makeScheduler(settings))
}

const makeScheduler = (settings: SchedulerSettings) =>
  Effect.gen(function* () {
    const store = yield* Store
    const registry = yield* Registry
    const collector = yield* Collector
    const health = yield* DeviceHealth
    const ownership = yield* Ownership
    const fanout = yield* Fanout
    const events = yield* Events
    const layerScope = yield* Effect.scope
    const instanceId = settings.instanceId
    const source = `scheduler:${instanceId}`

    const global = yield* Semaphore.make(settings.maxConcurrent)
    const perDevice = new Map<number, Semaphore.Semaphore>()
    const deviceSemaphore = (id: number) => {
      let s = perDevice.get(id)
      if (s === undefined) {
        s = Semaphore.makeUnsafe(settings.maxPerDevice)
        perDevice.set(id, s)
      }
      return s
    }

    const jobs = new Map<string, Job>()
    let devices: Array<Device> = []
    let inFlight = 0
    const idle = Latch.makeUnsafe(true)
    let stopping = false
    let run: { scope: Scope.Closeable; cleanup: Array<() => void> } | undefined
    const wake = yield* Queue.sliding<void>(1)
    const reconcileLock = yield* Semaphore.make(1)

    // Timer-driven: each poll is a trace of its own, not a child of the reconcile pass that made the job.
    const poll = Effect.fn("Scheduler.poll", { root: true })(
      function* (job: Job) {
        const started = yield* Clock.currentTimeMillis
        job.stats.running = true
        job.stats.lastRunAt = started
        const exit = yield* collector.collect(job.deviceId, job.dataType, {
          method: "polling",
          source,
          forceRefresh: true,
        })
          .pipe(Effect.exit)
        const ended = yield* Clock.currentTimeMillis
        job.stats.running = false
        job.stats.lastDurationMs = ended - started
        job.stats.runs++
        if (Exit.isSuccess(exit)) {
          job.stats.lastResult = "ok"
          return
        }
        const error = Cause.findErrorOption(exit.cause)
        if (Option.isNone(error)) {
          job.stats.lastResult = "interrupted"
          return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
        }
        job.stats.failures++
        job.stats.lastResult = errorCode(error.value)
        // The device lost the tool or was removed: the next device read drops the job.
        if (error.value._tag === "UnsupportedDataType" || error.value._tag === "DeviceNotFound") {
          Queue.offerUnsafe(wake, undefined)
        }
        yield* Effect.logDebug("poll failed", {
          device: job.deviceName,
          dataType: job.dataType,
          error: job.stats.lastResult,
        })
      },
      (effect, job) => Effect.onExit(effect, () => Effect.sync(() => void (job.stats.running = false))),
    )

    /** In-flight accounting around one poll, so stop can wait for the last one. */
    const tracked = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          if (inFlight++ === 0) idle.closeUnsafe()
        }),
        () => effect,
        () =>
          Effect.sync(() => {
            if (--inFlight === 0) idle.openUnsafe()
          }),
      )

    const runDue = (job: Job) =>
      Effect.gen(function* () {
        if (stopping) return
        if (!ownership.owns(job.deviceId)) {
          job.stats.skipped++
          job.stats.lastSkip = "not-owned"
          return
        }
        const gate = yield* health.gate(job.deviceId)
        if (!gate.allowed) {
          job.stats.skipped++
          job.stats.lastSkip = gate.reason
          return
        }
        job.stats.lastSkip = null
        // Checked once the permits are held and before counting it in flight: a poll counted in
        // flight always runs to its end (stop drains it), one that waited past stop never starts.
        const guarded = Effect.suspend(() => (stopping ? Effect.void : tracked(poll(job)))).pipe(
          global.withPermit,
          deviceSemaphore(job.deviceId).withPermit,
        )
        yield* gate.probe ? guarded.pipe(Effect.ensuring(Effect.sync(() => health.probeDone(job.deviceId)))) : guarded
      })

    /** The newest successful host read of this device+type since `since` (anyone's: polling, API, MCP). */
    const lastReadSince = (job: Job, since: number) =>
      store.lastHostRead(job.deviceId, job.dataType, new Date(since)).pipe(
        Effect.map((t) => t?.getTime()),
        // Unknown (database away): read it, the write buffer keeps the rows.
        Effect.orElseSucceed(() => undefined),
      )

    /** A job with no fresh read in the store reads within the catch-up window, not an interval later. */
    const catchUp = (job: Job) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const at = catchUpAt(job.cadence, `${job.deviceName}\u0000${job.dataType}`, now, settings.catchUpMs)
        if (at === undefined || job.cadence.kind !== "interval") return undefined
        if ((yield* lastReadSince(job, now - job.cadence.ms)) !== undefined) return undefined
        job.stats.nextRunAt = at
        yield* Effect.sleep(at - now)
        yield* runDue(job)
        return at
      })

    const jobLoop = (job: Job) =>
      Effect.gen(function* () {
        const caughtUpAt = yield* catchUp(job)
        for (;;) {
          const now = yield* Clock.currentTimeMillis
          const next = nextRunAt(job.cadence, now, caughtUpAt)
          if (next === undefined) {
            job.stats.nextRunAt = null
            return
          }
          job.stats.nextRunAt = next
          yield* Effect.sleep(next - now)
          yield* runDue(job)
        }
      })

    const stopJob = (job: Job) =>
      Effect.gen(function* () {
        jobs.delete(jobId(job.deviceId, job.dataType))
        if (job.fiber !== undefined) yield* Fiber.interrupt(job.fiber)
      })

    const stopDeviceJobs = (ids: ReadonlyArray<number>) => {
      const set = new Set(ids)
      return Effect.forEach([...jobs.values()].filter((j) => set.has(j.deviceId)), stopJob, { discard: true })
    }

    const pollableTypes = () => {
      const known = new Map(registry.list().map((s) => [s.name, s]))
      return pollableDataTypes.flatMap((name) => {
        const spec = known.get(name)
        return spec === undefined ? [] : [spec]
      })
    }

    /** Bring the running jobs in line with the devices, their capabilities, ownership and cadences. */
    const reconcile = reconcileLock.withPermit(
      Effect.gen(function* () {
        if (run === undefined || stopping) return
        const scope = run.scope
        const listed = yield* store.listDevices()
        devices = listed
        const wanted = new Map<string, { device: Device; dataType: string; cadence: Cadence }>()
        const types = pollableTypes()
        for (const device of listed) {
          if (!device.enabled || !ownership.owns(device.id)) continue
          for (const spec of types) {
            // Unsupported (per the last capability probe) is skipped, not failed.
            if (!checkSupport(device, spec.requires).ok) continue
            const cadence = resolveCadence(settings, device.name, spec.name, spec.ttlSeconds)
            if (cadence !== undefined) wanted.set(jobId(device.id, spec.name), { device, dataType: spec.name, cadence })
          }
        }
        for (const [id, job] of [...jobs]) {
          const want = wanted.get(id)
          if (want === undefined || cadenceKey(want.cadence) !== job.key || want.device.name !== job.deviceName) {
            yield* stopJob(job)
          }
        }
        for (const [id, want] of wanted) {
          if (jobs.has(id)) continue
          const job: Job = {
            deviceId: want.device.id,
            deviceName: want.device.name,
            dataType: want.dataType,
            cadence: want.cadence,
            key: cadenceKey(want.cadence),
            stats: {
              nextRunAt: null,
              lastRunAt: null,
              lastDurationMs: null,
              lastResult: null,
              lastSkip: null,
              runs: 0,
              failures: 0,
              skipped: 0,
              running: false,
            },
            fiber: undefined,
          }
          jobs.set(id, job)
          job.fiber = yield* Effect.forkIn(jobLoop(job), scope)
        }
        const present = new Set(listed.map((d) => d.id))
        for (const id of [...perDevice.keys()]) if (!present.has(id)) perDevice.delete(id)
        for (const view of health.snapshot()) if (!present.has(view.device_id)) health.forget(view.device_id)
      }),
    )

    const reconcileLoop = Effect.gen(function* () {
      for (;;) {
        yield* reconcile.pipe(
          Effect.withSpan("Scheduler.reconcile", { root: true }),
          Effect.catchCause((cause) => Effect.logWarning("scheduler: reading devices failed", Cause.pretty(cause))),
        )
        yield* Effect.raceFirst(Effect.sleep(settings.deviceRefreshMs), Queue.take(wake))
      }
    })

    const onOwnership = (change: OwnershipChange) =>
      Effect.gen(function* () {
        // Stop first: a device handed over must not be polled here and there at once.
        if (change.lost.length > 0) yield* stopDeviceJobs(change.lost)
        if (change.acquired.length > 0) Queue.offerUnsafe(wake, undefined)
      })

    const start = Effect.gen(function* () {
      if (run !== undefined) return
      yield* fanout.start
      if (!settings.enabled) {
        yield* Effect.logInfo("scheduler disabled (schedule.enabled: false): serving only", { instance: instanceId })
        return
      }
      stopping = false
      const scope = yield* Scope.fork(layerScope)
      const cleanup: Array<() => void> = []
      cleanup.push(ownership.onChange(onOwnership))
      cleanup.push(events.listen((e) => {
        // Device changes (status, and add/edit/remove events where published) may change the job set.
        if (e._tag.startsWith("Device")) Queue.offerUnsafe(wake, undefined)
      }))
      run = { scope, cleanup }
      yield* ownership.start
      yield* Effect.forkIn(reconcileLoop, scope)
      yield* Effect.logInfo("scheduler started", {
        instance: instanceId,
        ownership: ownership.mode,
        max_concurrent: settings.maxConcurrent,
        max_per_device: settings.maxPerDevice,
        ...(store.notifications === undefined ? { note: "single-instance store: one infrastructor per data dir" } : {}),
      })
    }).pipe(Effect.withSpan("Scheduler.start"))

    const stop = Effect.fn("Scheduler.stop")(function* (options: StopOptions = {}) {
      const current = run
      if (current === undefined) {
        yield* fanout.stop
        return
      }
      stopping = true
      const drainMs = options.drainTimeoutMs ?? settings.drainTimeoutMs
      const waiting = inFlight
      const drained = waiting === 0 ? true : Option.isSome(yield* Effect.timeoutOption(idle.await, drainMs))
      const cancelled = inFlight
      for (const fn of current.cleanup) fn()
      run = undefined
      yield* Scope.close(current.scope, Exit.void)
      jobs.clear()
      yield* ownership.stop({ release: options.release ?? true })
      yield* fanout.stop
      yield* Effect.logInfo("scheduler stopped", {
        instance: instanceId,
        in_flight_at_stop: waiting,
        drained,
        cancelled,
      })
    })

    // Released with the runtime (also after a crash-like dispose): fibers go with the layer scope;
    // leases are not given back here, so they expire and another instance takes over after the TTL.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        stopping = true
        for (const fn of run?.cleanup ?? []) fn()
      })
    )

    const status = (): SchedulerStatus => {
      const byDevice = new Map<number, Array<Job>>()
      for (const job of jobs.values()) {
        const list = byDevice.get(job.deviceId) ?? []
        list.push(job)
        byDevice.set(job.deviceId, list)
      }
      return {
        instance_id: instanceId,
        enabled: settings.enabled,
        running: run !== undefined,
        in_flight: inFlight,
        limits: { max_concurrent: settings.maxConcurrent, max_per_device: settings.maxPerDevice },
        ownership: ownership.status(),
        fanout: fanout.status(),
        devices: devices.map((d) => ({
          device_id: d.id,
          device: d.name,
          enabled: d.enabled,
          owned: ownership.owns(d.id),
          health: health.get(d.id) ?? null,
          jobs: (byDevice.get(d.id) ?? [])
            .sort((a, b) => a.dataType.localeCompare(b.dataType))
            .map((j) => ({
              data_type: j.dataType,
              cadence: describeCadence(j.cadence),
              next_run_at: iso(j.stats.nextRunAt),
              last_run_at: iso(j.stats.lastRunAt),
              last_duration_ms: j.stats.lastDurationMs,
              last_result: j.stats.lastResult,
              last_skip: j.stats.lastSkip,
              runs: j.stats.runs,
              failures: j.stats.failures,
              skipped: j.stats.skipped,
              running: j.stats.running,
            })),
        })),
      }
    }

    return Scheduler.of({
      start,
      stop,
      refresh: Effect.suspend(() => (run === undefined ? Effect.void : Effect.ignore(reconcile))).pipe(
        Effect.withSpan("Scheduler.refresh"),
      ),
      status,
    })
  })

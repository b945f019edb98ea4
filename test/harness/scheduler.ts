import { Clock, Effect, Layer, ManagedRuntime, References } from "effect"
import { TestClock } from "effect/testing"
import { type CollectOptions, Collector } from "../../src/pipeline/Collector.ts"
import type { Device } from "../../src/domain/device.ts"
import { ParseError, SshError } from "../../src/domain/errors.ts"
import { Events, type InfraEventWithMeta } from "../../src/events/Events.ts"
import { Fanout } from "../../src/instances/Fanout.ts"
import { Ownership } from "../../src/instances/Ownership.ts"
import { allActions, allDataTypes } from "../../src/collectors/index.ts"
import { Registry } from "../../src/pipeline/Registry.ts"
import { DeviceHealth } from "../../src/pipeline/DeviceHealth.ts"
import { Scheduler } from "../../src/scheduler/Scheduler.ts"
import { defaultSchedulerSettings, type SchedulerSettings } from "../../src/scheduler/settings.ts"
import { Store } from "../../src/store/Store.ts"
import { makeCacheLayer } from "../../src/cache/CacheLive.ts"
import type { StoreError } from "../../src/domain/errors.ts"
import { composeServices } from "../../src/layers.ts"
import type { SchedulerStatus } from "../../src/scheduler/Scheduler.ts"
import type { HostKeys } from "../../src/ssh/HostKeys.ts"
import type { SshOptions } from "../../src/ssh/options.ts"
import { makeSshLayer } from "../../src/ssh/SshLive.ts"
import { type TestBackend, uniqueSchema } from "./db.ts"
import type { SshdHandle } from "./sshd.ts"

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll a condition in real time; fail with `what` after timeoutMs. */
export const waitFor = async (
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

/** Settings for tests: everything pollable off unless listed, no spread unless asked. */
/** Catch-up off unless a test turns it on: counts over a window then follow the slots alone. */
export const testSettings = (overrides: Partial<SchedulerSettings> = {}): SchedulerSettings => ({
  ...defaultSchedulerSettings(overrides.instanceId ?? "test-instance"),
  catchUpMs: 0,
  ...overrides,
})

export type HostMode = "ok" | "down" | "zfs-broken"

export interface FakeCall {
  readonly device: string
  readonly dataType: string
  /** Clock time (TestClock) when the poll began. */
  readonly at: number
  readonly options: CollectOptions
}

/**
 * A Collector that reaches no host: answers per device mode after `workMs` of (test) clock time,
 * and reports to DeviceHealth like the real one. Records every call and the concurrency seen.
 */
export class FakeHosts {
  readonly calls: Array<FakeCall> = []
  readonly modes = new Map<string, HostMode>()
  workMs = 0
  running = 0
  maxRunning = 0
  readonly runningPerDevice = new Map<string, number>()
  maxPerDevice = 0
  /** Health reports (which write to the store) still in progress: real I/O the test waits for. */
  pendingIo = 0

  layer(): Layer.Layer<Collector, never, DeviceHealth | Store> {
    return fakeCollectorLayer(this)
  }

  count(device: string, dataType?: string): number {
    return this.calls.filter((c) => c.device === device && (dataType === undefined || c.dataType === dataType)).length
  }
}

const fakeCollectorLayer = (hosts: FakeHosts): Layer.Layer<Collector, never, DeviceHealth | Store> =>
  Layer.effect(
    Collector,
    Effect.gen(function* () {
      const health = yield* DeviceHealth
      const store = yield* Store
      const devices = new Map<number, Device>()
      const deviceOf = (ref: string | number) =>
        Effect.gen(function* () {
          const cached = devices.get(Number(ref))
          if (cached !== undefined) return cached
          const d = yield* Effect.orDie(store.getDevice(ref))
          devices.set(d.id, d)
          return d
        })
      const report = (device: Device, dataType: string, outcome: Parameters<typeof health.record>[2]) =>
        Effect.acquireUseRelease(
          Effect.sync(() => void hosts.pendingIo++),
          () => health.record(device, dataType, outcome),
          () => Effect.sync(() => void hosts.pendingIo--),
        )
      const collect = (ref: string | number, dataType: string, options: CollectOptions) =>
        Effect.gen(function* () {
          const device = yield* deviceOf(ref)
          const at = yield* Clock.currentTimeMillis
          hosts.calls.push({ device: device.name, dataType, at, options })
          const perDevice = (hosts.runningPerDevice.get(device.name) ?? 0) + 1
          hosts.runningPerDevice.set(device.name, perDevice)
          hosts.running++
          hosts.maxRunning = Math.max(hosts.maxRunning, hosts.running)
          hosts.maxPerDevice = Math.max(hosts.maxPerDevice, perDevice)
          yield* Effect.sleep(hosts.workMs).pipe(
            Effect.ensuring(Effect.sync(() => {
              hosts.running--
              hosts.runningPerDevice.set(device.name, (hosts.runningPerDevice.get(device.name) ?? 1) - 1)
            })),
          )
          const mode = hosts.modes.get(device.name) ?? "ok"
          if (mode === "down") {
            const error = new SshError({ device: device.name, reason: "connect_refused", message: "fake host is down" })
            yield* report(device, dataType, { ok: false, error })
            return yield* Effect.fail(error)
          }
          if (mode === "zfs-broken" && dataType === "zfs") {
            const error = new ParseError({ dataType, message: "fake garbage" })
            yield* report(device, dataType, { ok: false, error })
            return yield* Effect.fail(error)
          }
          yield* report(device, dataType, { ok: true })
          return {
            device: device.name,
            data_type: dataType,
            collected_at: new Date(at).toISOString(),
            age_seconds: 0,
            cache: "refresh" as const,
            data: {},
          }
        })
      return Collector.of({ collect, act: () => Effect.die("FakeHosts has no actions") })
    }),
  )

export interface ClockedScheduler {
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>
  readonly hosts: FakeHosts
  readonly events: Array<InfraEventWithMeta>
  run<A>(effect: Effect.Effect<A, any, any>): Promise<A>
  /** Move the test clock forward in steps, letting each step's polls (and their store writes) finish. */
  advance(totalMs: number, stepMs: number): Promise<void>
  addDevice(name: string, tools?: Record<string, boolean>): Promise<Device>
}

/** The real Scheduler, DeviceHealth and store, a fake Collector, and the TestClock. */
export const withClockedScheduler = async <A>(
  backend: TestBackend,
  settings: SchedulerSettings,
  body: (t: ClockedScheduler) => Promise<A>,
): Promise<A> => {
  const hosts = new FakeHosts()
  const base = Layer.mergeAll(
    backend.layer(uniqueSchema("sched")),
    Events.layer,
    Registry.make(allDataTypes, {}, allActions),
  )
  const layer = Scheduler.make(settings).pipe(
    Layer.provideMerge(Layer.mergeAll(Ownership.single(settings.instanceId), Fanout.make(settings.instanceId))),
    Layer.provideMerge(hosts.layer()),
    Layer.provideMerge(DeviceHealth.make(settings.health)),
    Layer.provideMerge(base),
    Layer.provideMerge(TestClock.layer({ warningDelay: "1 hour" })),
    Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "Warn")),
    Layer.orDie,
  )
  const runtime = ManagedRuntime.make(layer)
  const events: Array<InfraEventWithMeta> = []
  const run = <X>(effect: Effect.Effect<X, any, any>) => runtime.runPromise(effect as Effect.Effect<X, any, never>)
  try {
    await run(Events.use((e) => Effect.sync(() => e.listen((ev) => events.push(ev)))))
    const settle = async () => {
      // Woken fibers have run up to their next suspension when adjust returns; wait out real I/O.
      for (let i = 0; i < 3; i++) {
        await waitFor("store writes of the polls", () => hosts.pendingIo === 0)
        await sleep(2)
      }
    }
    return await body({
      runtime,
      hosts,
      events,
      run,
      advance: async (totalMs, stepMs) => {
        for (let done = 0; done < totalMs; done += stepMs) {
          await run(TestClock.adjust(Math.min(stepMs, totalMs - done)))
          await settle()
        }
      },
      addDevice: async (name, tools) => {
        const device = await run(Store.use((s) => s.createDevice({ name, host: "192.0.2.1" })))
        if (tools !== undefined) await run(Store.use((s) => s.setDeviceCapabilities(device.id, { tools })))
        return device
      },
    })
  } finally {
    await runtime.dispose()
  }
}

export interface InstanceOptions {
  /** A store layer: `backend.layer(schema)` (drops the schema at the end) or a plain makeStoreLayer. */
  readonly store: Layer.Layer<Store | HostKeys, StoreError>
  readonly settings: SchedulerSettings
  readonly ssh?: SshOptions
}

export interface Instance {
  readonly runtime: ManagedRuntime.ManagedRuntime<any, any>
  readonly events: Array<InfraEventWithMeta>
  run<A>(effect: Effect.Effect<A, any, any>): Promise<A>
  readonly status: () => Promise<SchedulerStatus>
  /** Graceful: drain, release leases. */
  readonly stop: (drainTimeoutMs?: number) => Promise<void>
  /** Like a crash as far as leases go: fibers and connections end, leases stay until they expire. */
  readonly dispose: () => Promise<void>
}

/** The real service graph (real Collector, SSH, store) with these scheduler settings, scheduler started. */
export const startInstance = async (options: InstanceOptions): Promise<Instance> => {
  const layer = composeServices({
    store: options.store,
    ssh: makeSshLayer({ sshDir: "/nonexistent", connectTimeoutMs: 2000, commandTimeoutMs: 5000, ...options.ssh }),
    cache: makeCacheLayer({}),
    registry: Registry.make(allDataTypes, {}, allActions),
    scheduler: options.settings,
  }).pipe(Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "Warn")), Layer.orDie)
  const runtime = ManagedRuntime.make(layer)
  const events: Array<InfraEventWithMeta> = []
  const run = <X>(effect: Effect.Effect<X, any, any>) => runtime.runPromise(effect as Effect.Effect<X, any, never>)
  let disposed = false
  try {
    await run(Events.use((e) => Effect.sync(() => e.listen((ev) => events.push(ev)))))
    await run(Scheduler.use((s) => s.start))
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  return {
    runtime,
    events,
    run,
    status: () => run(Scheduler.use((s) => Effect.sync(() => s.status()))),
    stop: (drainTimeoutMs) => run(Scheduler.use((s) => s.stop({ drainTimeoutMs }))),
    dispose: async () => {
      if (disposed) return
      disposed = true
      await runtime.dispose()
    },
  }
}

/** A device row pointing at a harness sshd. */
export const sshdDeviceInput = (sshd: SshdHandle, name: string) => ({
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  privateKeyPath: sshd.privateKeyPath,
})

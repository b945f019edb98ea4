import { Cause, Context, Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import { Store } from "../store/Store.ts"
import { instanceLeases } from "./leases.ts"
import { preferredOwner } from "./rendezvous.ts"

export interface OwnershipChange {
  /** Devices this instance now polls/watches. */
  readonly acquired: ReadonlyArray<number>
  /** Devices it must stop polling/watching. */
  readonly lost: ReadonlyArray<number>
}

export type OwnershipListener = (change: OwnershipChange) => Effect.Effect<void>

export interface OwnershipStatus {
  readonly instance_id: string
  readonly mode: "single" | "leases"
  readonly running: boolean
  readonly lease_ttl_ms: number
  /** Device ids held; "all" in single-instance mode. */
  readonly owned: ReadonlyArray<number> | "all"
  readonly live_instances: ReadonlyArray<string>
  readonly last_renewal: string | null
  readonly last_error: string | null
  /**
   * Since when the lease table has been unreachable; null when it is not. Meanwhile the devices
   * in `owned` stay owned and polled (rows wait in the write buffer).
   */
  readonly unreachable_since: string | null
}

export interface OwnershipShape {
  readonly instanceId: string
  readonly mode: "single" | "leases"
  /**
   * Whether this instance polls/watches the device right now: false once a lease may have lapsed
   * while the database answers; a device held when the database became unreachable stays owned
   * until it is reachable again and the first renewal says otherwise.
   */
  readonly owns: (deviceId: number) => boolean
  /**
   * Called after leases are acquired or lost, and before a lease is handed over to another
   * instance (so polling/watching stops first). Returns an unsubscribe function.
   */
  readonly onChange: (listener: OwnershipListener) => () => void
  /** Start taking leases (idempotent). Single mode: nothing to do. */
  readonly start: Effect.Effect<void>
  /** Stop renewing; with release, give every lease back and leave the cluster at once. */
  readonly stop: (options: { readonly release: boolean }) => Effect.Effect<void>
  readonly status: () => OwnershipStatus
}

export interface OwnershipOptions {
  readonly instanceId: string
  readonly mode: "single" | "leases"
  readonly leaseTtlMs: number
}

/** Which live instance polls each device: one owner per device, leases in PostgreSQL. */
export class Ownership extends Context.Service<Ownership, OwnershipShape>()("infrastructor/Ownership") {
  /** One process owns every device (PGlite, or a deployment with one instance). */
  static readonly single = (instanceId: string) =>
    Layer.succeed(
      Ownership,
      Ownership.of({
        instanceId,
        mode: "single",
        owns: () => true,
        onChange: () => () => undefined,
        start: Effect.void,
        stop: () => Effect.void,
        status: () => ({
          instance_id: instanceId,
          mode: "single",
          running: true,
          lease_ttl_ms: 0,
          owned: "all",
          live_instances: [instanceId],
          last_renewal: null,
          last_error: null,
          unreachable_since: null,
        }),
      }),
    )

  static readonly leases = (options: Omit<OwnershipOptions, "mode">) =>
    Layer.effect(Ownership, makeLeaseOwnership(options))

  static readonly make = (options: OwnershipOptions): Layer.Layer<Ownership, never, Store> =>
    options.mode === "single" ? Ownership.single(options.instanceId) : Ownership.leases(options)
}

/**
 * After an outage, how long the instances that were live before it still count as live (and their
 * devices are not taken as orphans), at least one lease TTL. It covers how late a peer can notice
 * the return: postgres.js waits up to 20 s between reconnect attempts, the write buffer probes at
 * most every 5 s, and a cut-off instance retries its renewal every second.
 */
export const RETURN_GRACE_MS = 30_000

/** An error that says the database is away (not that our SQL is wrong): keep what we own. */
const isOutage = (cause: Cause.Cause<unknown>): boolean => {
  const error = Cause.findErrorOption(cause)
  if (Option.isNone(error)) return false
  const e = error.value as { readonly _tag?: unknown; readonly unavailable?: unknown }
  return e._tag === "StoreError" && e.unavailable === true
}

const makeLeaseOwnership = (options: Omit<OwnershipOptions, "mode">) =>
  Effect.gen(function* () {
    const store = yield* Store
    const layerScope = yield* Effect.scope
    const { instanceId, leaseTtlMs } = options
    const leaseStore = instanceLeases(store, instanceId, leaseTtlMs)
    const renewEveryMs = Math.max(50, Math.floor(leaseTtlMs / 3))
    // While the database is away, try again often: the first renewal after its return reconciles.
    const retryEveryMs = Math.min(renewEveryMs, 1000)
    // Stop trusting a lease a little before the database would let someone else take it.
    const safetyMs = Math.max(20, Math.floor(leaseTtlMs / 10))

    let owned = new Set<number>()
    let ownedUntil = 0
    let live: Array<string> = []
    let lastRenewal: number | null = null
    let lastError: string | null = null
    /**
     * Since when the lease table has been unreachable (an outage error or a renewal that hung).
     * Meanwhile this instance keeps the devices it held: nobody can take a lease while nobody
     * reaches the table, and polling goes on into the write buffer.
     */
    let unreachableSince: number | null = null
    /** Start of the renewal in progress, if one is: one that hangs past the lease counts as an outage. */
    let cycleStartedAt: number | null = null
    /** Until then (RETURN_GRACE_MS after the database is back) the instances live before the outage still count as live. */
    let graceUntil = 0
    const graceMs = Math.max(leaseTtlMs, RETURN_GRACE_MS)
    /** device → local time we first saw it without a live lease (orphan detection). */
    const unownedSince = new Map<number, number>()
    const listeners = new Set<OwnershipListener>()
    let running: { scope: Scope.Closeable; fiber: Fiber.Fiber<unknown> } | undefined

    const notify = (change: OwnershipChange) =>
      change.acquired.length === 0 && change.lost.length === 0 ? Effect.void : Effect.forEach(
        [...listeners],
        (l) => l(change).pipe(Effect.catchCause((c) => Effect.logWarning("ownership listener failed", c))),
        {
          discard: true,
        },
      )

    /**
     * Live instances as the database says. Just back from an outage, every heartbeat has lapsed
     * (nobody could renew), so the instances live before it that are still registered count as
     * live for the grace period: they come back and renew their own devices instead of having
     * them taken while they still poll them. One that does not come back loses them after it.
     */
    const liveNow = (started: number) =>
      Effect.gen(function* () {
        const rows = yield* leaseStore.instances()
        const alive = new Set(rows.filter((r) => r.live).map((r) => r.instanceId))
        if (started < graceUntil) {
          const registered = new Set(rows.map((r) => r.instanceId))
          for (const id of live) if (registered.has(id)) alive.add(id)
        }
        alive.add(instanceId)
        return [...alive].sort()
      })

    const cycle = Effect.gen(function* () {
      const started = Date.now()
      if (unreachableSince !== null) graceUntil = started + graceMs
      yield* leaseStore.heartbeat()
      live = yield* liveNow(started)
      const devices = yield* leaseStore.enabledDevices()
      const leases = new Map((yield* leaseStore.leases()).map((l) => [l.deviceId, l]))

      const wanted: Array<number> = []
      const handOver: Array<number> = []
      for (const id of devices) {
        const lease = leases.get(id)
        if (preferredOwner(live, id) === instanceId) {
          wanted.push(id)
          unownedSince.delete(id)
          continue
        }
        if (owned.has(id)) {
          // Another live instance is preferred now (it joined): hand over, after we stop polling.
          handOver.push(id)
          continue
        }
        if (lease !== undefined && lease.live) {
          unownedSince.delete(id)
          continue
        }
        // Nobody holds it although someone else should: take it once it has stayed orphaned a whole
        // TTL, and not in the grace period after an outage (its owner may still be on its way back).
        const since = unownedSince.get(id) ?? started
        unownedSince.set(id, since)
        if (started - since >= leaseTtlMs && started >= graceUntil) wanted.push(id)
      }
      const deviceSet = new Set(devices)
      const gone = [...owned].filter((id) => !deviceSet.has(id))
      for (const id of unownedSince.keys()) if (!deviceSet.has(id)) unownedSince.delete(id)

      const releasing = [...handOver, ...gone]
      if (releasing.length > 0) {
        for (const id of releasing) owned.delete(id)
        yield* notify({ acquired: [], lost: releasing })
        yield* leaseStore.release(releasing)
      }

      // After an outage, a device whose lease another instance took meanwhile (it could reach the
      // table, we could not) is not in `held`: it is lost here, and polling it stops.
      const held = new Set(yield* leaseStore.acquire(wanted))
      const previous = owned
      owned = held
      ownedUntil = started + leaseTtlMs - safetyMs
      lastRenewal = Date.now()
      lastError = null
      if (unreachableSince !== null) {
        yield* Effect.logInfo("lease table reachable again: leases renewed", {
          instance: instanceId,
          unreachable_ms: lastRenewal - unreachableSince,
          holding: held.size,
        })
        unreachableSince = null
      }
      const acquired = [...held].filter((id) => !previous.has(id))
      const lost = [...previous].filter((id) => !held.has(id))
      if (acquired.length > 0 || lost.length > 0) {
        yield* Effect.logInfo("leases changed", { instance: instanceId, acquired, lost, holding: held.size })
      }
      yield* notify({ acquired, lost })
    })

    const onFailure = (cause: Cause.Cause<unknown> | "timeout") =>
      Effect.gen(function* () {
        lastError = cause === "timeout"
          ? `lease renewal took over ${leaseTtlMs} ms`
          : String(Cause.squash(cause)).slice(0, 500)
        if (cause === "timeout" || isOutage(cause)) {
          if (unreachableSince === null) {
            unreachableSince = Date.now()
            yield* Effect.logWarning("lease table unreachable: keeping this instance's devices until it returns", {
              instance: instanceId,
              devices: owned.size,
              error: lastError,
            })
          } else yield* Effect.logDebug("lease table still unreachable", { instance: instanceId, error: lastError })
          return
        }
        yield* Effect.logWarning("lease renewal failed", { instance: instanceId, error: lastError })
        // The database answers but renewing fails: past the local deadline our leases may belong
        // to someone else, so drop them.
        if (Date.now() >= ownedUntil && owned.size > 0) {
          const lost = [...owned]
          owned = new Set()
          yield* notify({ acquired: [], lost })
        }
      })

    const loop = Effect.gen(function* () {
      const twin = yield* Effect.orElseSucceed(leaseStore.liveTwin(), () => undefined)
      if (twin !== undefined) {
        yield* Effect.logWarning("another live process uses this instance_id: give each instance its own", {
          instance: instanceId,
          other: twin,
        })
      }
      let sweeps = 0
      for (;;) {
        cycleStartedAt = Date.now()
        // A renewal that hangs (a connection that went silent) is given up after a TTL and retried.
        const result = yield* cycle.pipe(Effect.timeoutOption(leaseTtlMs), Effect.exit)
        cycleStartedAt = null
        if (result._tag === "Failure") {
          if (Cause.hasInterruptsOnly(result.cause)) return yield* Effect.interrupt
          yield* onFailure(result.cause)
        } else if (Option.isNone(result.value)) yield* onFailure("timeout")
        // Not while others may still be on their way back: sweeping would drop their rows.
        if (unreachableSince === null && Date.now() >= graceUntil && ++sweeps % 100 === 1) {
          yield* Effect.ignore(leaseStore.sweep())
        }
        yield* Effect.sleep(unreachableSince === null ? renewEveryMs : retryEveryMs)
      }
    })

    /** A renewal in progress for longer than a renewal period is as good as unreachable. */
    const contactLost = (now: number) =>
      unreachableSince !== null || (cycleStartedAt !== null && now - cycleStartedAt >= renewEveryMs)

    const start = Effect.gen(function* () {
      if (running !== undefined) return
      const scope = yield* Scope.fork(layerScope)
      const fiber = yield* Effect.forkIn(loop, scope)
      running = { scope, fiber }
      yield* Effect.logInfo("lease ownership started", { instance: instanceId, lease_ttl_ms: leaseTtlMs })
    })

    const stop = (opts: { readonly release: boolean }) =>
      Effect.gen(function* () {
        const current = running
        if (current === undefined) return
        running = undefined
        yield* Scope.close(current.scope, Exit.void)
        const lost = [...owned]
        owned = new Set()
        ownedUntil = 0
        cycleStartedAt = null
        unreachableSince = null
        yield* notify({ acquired: [], lost })
        if (opts.release) {
          yield* Effect.ignore(leaseStore.release("all"))
          yield* Effect.ignore(leaseStore.leave())
        }
      })

    return Ownership.of({
      instanceId,
      mode: "leases",
      owns: (id) => {
        if (!owned.has(id)) return false
        const now = Date.now()
        return now < ownedUntil || contactLost(now)
      },
      onChange: (listener) => {
        listeners.add(listener)
        return () => void listeners.delete(listener)
      },
      start,
      stop,
      status: () => ({
        instance_id: instanceId,
        mode: "leases",
        running: running !== undefined,
        lease_ttl_ms: leaseTtlMs,
        owned: [...owned].sort((a, b) => a - b),
        live_instances: live,
        last_renewal: lastRenewal === null ? null : new Date(lastRenewal).toISOString(),
        last_error: lastError,
        unreachable_since: unreachableSince === null ? null : new Date(unreachableSince).toISOString(),
      }),
    })
  })

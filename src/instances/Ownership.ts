import { Context, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { Store } from "../store/Store.ts"
import { leaseSql } from "./lease-sql.ts"
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
}

export interface OwnershipShape {
  readonly instanceId: string
  readonly mode: "single" | "leases"
  /** Whether this instance polls/watches the device right now (false once a lease may have lapsed). */
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
        }),
      }),
    )

  static readonly leases = (options: Omit<OwnershipOptions, "mode">) =>
    Layer.effect(Ownership, makeLeaseOwnership(options))

  static readonly make = (options: OwnershipOptions): Layer.Layer<Ownership, never, Store> =>
    options.mode === "single" ? Ownership.single(options.instanceId) : Ownership.leases(options)
}

const makeLeaseOwnership = (options: Omit<OwnershipOptions, "mode">) =>
  Effect.gen(function* () {
    const store = yield* Store
    const layerScope = yield* Effect.scope
    const { instanceId, leaseTtlMs } = options
    const sql = leaseSql(store, instanceId, leaseTtlMs)
    const renewEveryMs = Math.max(50, Math.floor(leaseTtlMs / 3))
    // Stop trusting a lease a little before the database would let someone else take it.
    const safetyMs = Math.max(20, Math.floor(leaseTtlMs / 10))

    let owned = new Set<number>()
    let ownedUntil = 0
    let live: Array<string> = []
    let lastRenewal: number | null = null
    let lastError: string | null = null
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

    const cycle = Effect.gen(function* () {
      const started = Date.now()
      yield* sql.heartbeat()
      live = yield* sql.liveInstances()
      if (!live.includes(instanceId)) live = [...live, instanceId].sort()
      const devices = yield* sql.enabledDevices()
      const leases = new Map((yield* sql.leases()).map((l) => [l.deviceId, l]))

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
        // Nobody holds it although someone else should: take it once it has stayed orphaned a whole TTL.
        const since = unownedSince.get(id) ?? started
        unownedSince.set(id, since)
        if (started - since >= leaseTtlMs) wanted.push(id)
      }
      const deviceSet = new Set(devices)
      const gone = [...owned].filter((id) => !deviceSet.has(id))
      for (const id of unownedSince.keys()) if (!deviceSet.has(id)) unownedSince.delete(id)

      const releasing = [...handOver, ...gone]
      if (releasing.length > 0) {
        for (const id of releasing) owned.delete(id)
        yield* notify({ acquired: [], lost: releasing })
        yield* sql.release(releasing)
      }

      const held = new Set(yield* sql.acquire(wanted))
      const previous = owned
      owned = held
      ownedUntil = started + leaseTtlMs - safetyMs
      lastRenewal = Date.now()
      lastError = null
      const acquired = [...held].filter((id) => !previous.has(id))
      const lost = [...previous].filter((id) => !held.has(id))
      if (acquired.length > 0 || lost.length > 0) {
        yield* Effect.logInfo("leases changed", { instance: instanceId, acquired, lost, holding: held.size })
      }
      yield* notify({ acquired, lost })
    })

    const loop = Effect.gen(function* () {
      const twin = yield* Effect.orElseSucceed(sql.liveTwin(), () => undefined)
      if (twin !== undefined) {
        yield* Effect.logWarning("another live process uses this instance_id: give each instance its own", {
          instance: instanceId,
          other: twin,
        })
      }
      let sweeps = 0
      for (;;) {
        yield* cycle.pipe(
          Effect.catchCause((cause) =>
            Effect.gen(function* () {
              lastError = String(cause).slice(0, 500)
              yield* Effect.logWarning("lease renewal failed", { instance: instanceId, error: lastError })
              // Past the local deadline our leases may belong to someone else: drop them.
              if (Date.now() >= ownedUntil && owned.size > 0) {
                const lost = [...owned]
                owned = new Set()
                yield* notify({ acquired: [], lost })
              }
            })
          ),
        )
        if (++sweeps % 100 === 1) yield* Effect.ignore(sql.sweep())
        yield* Effect.sleep(renewEveryMs)
      }
    })

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
        yield* notify({ acquired: [], lost })
        if (opts.release) {
          yield* Effect.ignore(sql.release("all"))
          yield* Effect.ignore(sql.leave())
        }
      })

    return Ownership.of({
      instanceId,
      mode: "leases",
      owns: (id) => owned.has(id) && Date.now() < ownedUntil,
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
      }),
    })
  })

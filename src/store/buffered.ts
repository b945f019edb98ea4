import { Cause, Context, Deferred, Duration, Effect, Exit, Fiber, FiberSet, Layer, Option, Schedule } from "effect"
import { clearTimeout, setTimeout } from "node:timers"
import type { Device } from "../domain/device.ts"
import { StoreError } from "../domain/errors.ts"
import type { HostKeys } from "../ssh/HostKeys.ts"
import { openSpillFile, type SpillFile } from "./spill.ts"
import { rawQueryOf, registerRawQuery } from "./raw-sql.ts"
import {
  type AlertsRepo,
  type AuditEntry,
  type AuditRepo,
  type ConfigsRepo,
  type DevicesRepo,
  type FleetRepo,
  type LeasesRepo,
  type MaintenanceRepo,
  type MetricsRepo,
  type Row,
  type SeriesRepo,
  Store,
  type StoreConnection,
  type StoreShape,
  type TokensRepo,
  type WriteBufferStatus,
} from "./Store.ts"

/**
 * Keeps collected rows and audit rows through a database outage. A write that fails with
 * StoreError `unavailable` is kept (in memory, then in an append-only spill file) and written
 * later, in order, by one background flusher; writes that arrive while anything is waiting queue
 * behind it, so order is kept. Reads of devices fall back to the last answer seen.
 *
 * The loss bound (with a spill file): every accepted write is in the file, or in the database,
 * within spillAfter of being accepted, whatever the connection does. A write only in memory (a
 * direct write still waiting on the driver, the flusher's current write, the memory queue) is
 * copied to the file once the oldest of them reaches spillAfter; a direct write copied that way
 * returns to its caller as queued. While the database answers in time there is no file I/O.
 *
 * Delivery is at least once: a batch whose commit succeeded but whose reply was lost with the
 * connection is written again. A copy of a write whose first attempt is still running waits for
 * that attempt (up to slowWriteGrace) and is skipped if it landed.
 */

/** Reconnect attempts while the database is away: 100 ms doubling to at most 5 s, forever. */
export const storeReconnect: Schedule.Schedule<unknown, unknown> = Schedule.min([
  Schedule.exponential("100 millis"),
  Schedule.spaced("5 seconds"),
])

export type PendingWrite =
  | {
    readonly kind: "rows"
    readonly table: string
    readonly rows: ReadonlyArray<Row>
    readonly skipDuplicates: boolean
  }
  | { readonly kind: "audit"; readonly entry: AuditEntry }

/** A spill file line: the write, and its id in the run that wrote it (to skip copies that landed). */
type SpillLine = PendingWrite & { readonly id?: string | undefined }

export interface WriteBufferOptions {
  /** JSON-lines spill file (under the data dir); without it, writes beyond memory are dropped. */
  readonly spillPath?: string | undefined
  /** Rows kept in memory during an outage before everything waiting goes to the spill file. */
  readonly maxMemoryRows?: number | undefined
  /** Longest an accepted write stays only in memory (bounds what a SIGKILL loses). */
  readonly spillAfter?: Duration.Input | undefined
  /** Retry policy while the database is unreachable. */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /** On shutdown, how long to keep trying to flush before spilling what is left. */
  readonly drainTimeout?: Duration.Input | undefined
  /** Spill file cap; past it new writes are dropped and counted (the disk must not fill up). */
  readonly maxSpillBytes?: number | undefined
  /**
   * How long the flusher waits for a slow direct write (already copied to the file) to finish
   * before writing its copy; past it the copy is written and may duplicate the original.
   */
  readonly slowWriteGrace?: Duration.Input | undefined
}

const weight = (w: PendingWrite): number => (w.kind === "rows" ? Math.max(1, w.rows.length) : 1)

/** An accepted write and whether it is durable yet. */
interface Accepted {
  readonly id: string
  readonly write: PendingWrite
  readonly acceptedAt: number
  /** In the spill file. */
  copied: boolean
}

/** What the flusher is writing: from memory, or from the file (`end` = where its line ends). */
interface Item {
  readonly entry: Accepted
  readonly end: number | undefined
}

/** A direct write on its way to the database; its caller waits for `answer`. */
interface Attempt {
  readonly entry: Accepted
  readonly answer: Deferred.Deferred<Exit.Exit<unknown, StoreError> | "queued">
}

/** A copy in the file of a write whose first attempt may still land: true = it landed (skip the copy). */
interface Copy {
  readonly landed: Deferred.Deferred<boolean>
  readonly waitUntil: number
}

/** Store methods that are effect-returning functions (what `guarded` can wrap). */
type GuardedKey = Exclude<keyof StoreShape, keyof StoreConnection | "devicesVersion">

const line = (entry: Accepted): SpillLine => ({ id: entry.id, ...entry.write })

export const makeBufferedStore = (inner: StoreShape, options: WriteBufferOptions = {}) =>
  Effect.gen(function* () {
    const maxMemoryRows = options.maxMemoryRows ?? 1000
    const spillAfterMs = Duration.toMillis(options.spillAfter ?? "2 seconds")
    const retry = options.retry ?? storeReconnect
    const drainTimeout = options.drainTimeout ?? "5 seconds"
    const maxSpillBytes = options.maxSpillBytes ?? 1024 ** 3
    const slowWriteGraceMs = Duration.toMillis(options.slowWriteGrace ?? "30 seconds")

    // Background work (the flusher, direct writes outliving their caller) belongs to this scope.
    const fibers = yield* FiberSet.make()
    const runInScope = yield* FiberSet.runtime(fibers)()

    const spill: SpillFile<SpillLine> | undefined = options.spillPath === undefined
      ? undefined
      : openSpillFile<SpillLine>(options.spillPath, {
        onCorrupt: (text) => {
          dropped++
          runInScope(Effect.logWarning("write buffer: skipped an unreadable spill line", text))
        },
      })
    const run = Math.random().toString(36).slice(2, 10)
    let counter = 0
    const accept = (write: PendingWrite): Accepted => ({
      id: `${run}.${++counter}`,
      write,
      acceptedAt: Date.now(),
      copied: false,
    })

    const memory: Array<Accepted> = []
    let memoryRows = 0
    /** Taken out of the queue and being written: retried until it lands or is refused for good. */
    let inFlight: Item | undefined
    /** Items read back from the spill file, not yet written. */
    let fromFile: Array<Item> = []
    const attempts = new Set<Attempt>()
    const copies = new Map<string, Copy>()
    let available = true
    let dropped = 0
    let flusher: Fiber.Fiber<void> | undefined
    let closing = false

    const filePending = () => (spill?.pending() ?? 0) + fromFile.length
    const pending = () => (inFlight === undefined ? 0 : 1) + memory.length + filePending()
    const backlog = () => pending() > 0

    const markDown = (e: StoreError) =>
      Effect.suspend(() => {
        if (!available) return Effect.void
        available = false
        ensureFlusher() // the flusher is also the probe that notices the database is back
        return Effect.logWarning("store unavailable: buffering writes", e.message)
      })
    const down = (op: string) =>
      new StoreError({ op, message: "the database is unreachable; waiting for it to return", unavailable: true })
    const isOutage = (e: unknown): e is StoreError =>
      typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "StoreError" &&
      (e as StoreError).unavailable
    const markUp = Effect.sync(() => {
      available = true
    })

    // --- Durability: nothing accepted stays only in memory for longer than spillAfter. ---

    let durabilityTimer: ReturnType<typeof setTimeout> | undefined
    let timerDue = Number.POSITIVE_INFINITY

    const armTimer = (acceptedAt: number) => {
      if (spill === undefined || closing) return
      const due = acceptedAt + spillAfterMs
      if (durabilityTimer !== undefined && timerDue <= due) return
      clearTimeout(durabilityTimer)
      timerDue = due
      durabilityTimer = setTimeout(onTimer, Math.max(0, due - Date.now()))
      holdProcess()
    }

    /** The timer keeps the process alive only while a caller waits on it (a direct write's answer). */
    const holdProcess = () => {
      if (durabilityTimer === undefined) return
      if (attempts.size > 0) durabilityTimer.ref?.()
      else durabilityTimer.unref?.()
    }

    const oldestInMemoryOnly = (): number => {
      let oldest = Number.POSITIVE_INFINITY
      for (const a of attempts) if (!a.entry.copied) oldest = Math.min(oldest, a.entry.acceptedAt)
      if (inFlight !== undefined && !inFlight.entry.copied) oldest = Math.min(oldest, inFlight.entry.acceptedAt)
      for (const m of memory) oldest = Math.min(oldest, m.acceptedAt)
      return oldest
    }

    function onTimer() {
      durabilityTimer = undefined
      timerDue = Number.POSITIVE_INFINITY
      const oldest = oldestInMemoryOnly()
      if (oldest === Number.POSITIVE_INFINITY) return
      if (oldest + spillAfterMs <= Date.now()) spillNow()
      else armTimer(oldest)
    }

    const registerCopy = (entry: Accepted, waitUntil: number) => {
      entry.copied = true
      copies.set(entry.id, { landed: Deferred.makeUnsafe<boolean>(), waitUntil })
    }
    const settleCopy = (id: string, landed: boolean) => {
      const copy = copies.get(id)
      if (copy !== undefined) Deferred.doneUnsafe(copy.landed, Exit.succeed(landed))
    }

    /**
     * Everything only in memory goes to the file, in order: direct writes still waiting on the
     * driver (their callers return now), the flusher's current write, then the memory queue.
     */
    const spillNow = () => {
      if (spill === undefined) return
      if (spill.size() > maxSpillBytes) return
      const lines: Array<SpillLine> = []
      for (const a of attempts) {
        if (a.entry.copied) continue
        registerCopy(a.entry, a.entry.acceptedAt + slowWriteGraceMs)
        lines.push(line(a.entry))
        Deferred.doneUnsafe(a.answer, Exit.succeed("queued" as const))
      }
      if (inFlight !== undefined && !inFlight.entry.copied) {
        registerCopy(inFlight.entry, 0)
        lines.push(line(inFlight.entry))
      }
      for (const m of memory) {
        m.copied = true
        lines.push(line(m))
      }
      spill.append(lines)
      memory.length = 0
      memoryRows = 0
      // Copies of direct writes can be in the file while the database looks fine: someone must read it.
      if (lines.length > 0) ensureFlusher()
    }

    const enqueue = (entry: Accepted) => {
      if (spill !== undefined && (spill.pending() > 0 || fromFile.length > 0)) {
        // The file holds older writes: new ones go behind them.
        if (spill.size() > maxSpillBytes) {
          dropped++
          return
        }
        entry.copied = true
        spill.append([line(entry)])
        return
      }
      const w = weight(entry.write)
      const full = spill === undefined
        ? memoryRows + w > maxMemoryRows * 10 // no file to spill to: memory is the only bound
        : memoryRows + w > maxMemoryRows && spill.size() > maxSpillBytes
      if (full) {
        dropped++
        return
      }
      memory.push(entry)
      memoryRows += w
      armTimer(entry.acceptedAt)
      if (spill !== undefined && memoryRows > maxMemoryRows) spillNow()
    }

    // --- The flusher: writes what waits, in order, until nothing does and the database is up. ---

    const next = (): Item | undefined => {
      if (fromFile.length === 0 && spill !== undefined && spill.pending() > 0) {
        fromFile = spill.read().map(({ end, item }) => ({
          entry: { id: item.id ?? "", write: item, acceptedAt: 0, copied: true },
          end,
        }))
      }
      const fileItem = fromFile.shift()
      if (fileItem !== undefined) return fileItem
      spill?.removeIfDone()
      const entry = memory.shift()
      if (entry === undefined) return undefined
      memoryRows -= weight(entry.write)
      return { entry, end: undefined }
    }

    const writeOnce = (w: PendingWrite): Effect.Effect<void, StoreError> =>
      w.kind === "rows"
        ? Effect.asVoid(inner.insertRows(w.table, w.rows, { skipDuplicates: w.skipDuplicates }))
        : inner.insertAudit(w.entry)

    const refused = (e: StoreError) =>
      Effect.sync(() => {
        dropped++
      }).pipe(
        Effect.andThen(Effect.logError("write buffer: the database refused a buffered write; dropped", e.message)),
      )

    /** Writes one item; unavailable → retried per schedule; refused for good → dropped and logged. */
    const deliver = (w: PendingWrite): Effect.Effect<void> =>
      writeOnce(w).pipe(
        Effect.tapError((e) => (e.unavailable ? markDown(e) : Effect.void)),
        Effect.retry({ schedule: retry, while: (e: StoreError) => e.unavailable }),
        Effect.tap(() => markUp),
        Effect.catch(refused),
      )

    /** A copy whose first attempt is still running: wait for it (bounded); true = it landed, skip the copy. */
    const copyLanded = (item: Item): Effect.Effect<boolean> =>
      Effect.suspend(() => {
        const copy = item.end === undefined ? undefined : copies.get(item.entry.id)
        if (copy === undefined) return Effect.succeed(false)
        return Deferred.await(copy.landed).pipe(
          Effect.timeoutOption(Math.max(0, copy.waitUntil - Date.now())),
          Effect.map((landed) => Option.getOrElse(landed, () => false)),
          Effect.tap(() => Effect.sync(() => copies.delete(item.entry.id))),
        )
      })

    const finished = (item: Item) => {
      if (item.end !== undefined) spill?.consumed(item.end)
      else if (item.entry.copied) settleCopy(item.entry.id, true) // its copy in the file is skipped
    }

    /** Probe until the database answers (meanwhile calls fail fast instead of each waiting on the driver). */
    const awaitDatabase = Effect.suspend(() => inner.ping()).pipe(
      Effect.retry({ schedule: retry, while: (e: StoreError) => e.unavailable }),
      Effect.ignore,
      Effect.andThen(markUp),
    )

    const flushAll: Effect.Effect<void> = Effect.gen(function* () {
      for (;;) {
        inFlight ??= next()
        const item = inFlight
        if (item === undefined) {
          if (available) return
          yield* awaitDatabase
          continue
        }
        if (!(yield* copyLanded(item))) yield* deliver(item.entry.write)
        finished(item)
        inFlight = undefined
      }
    })

    // One flusher at a time. It starts after a yield, so `flusher` is assigned before any of its
    // code runs (a fork otherwise starts synchronously and could call back in here first).
    let flushing = false
    function ensureFlusher() {
      if (closing || flushing) return
      flushing = true
      flusher = runInScope(
        Effect.yieldNow.pipe(
          Effect.andThen(flushAll),
          Effect.andThen(Effect.sync(() => spill?.removeIfDone())),
          Effect.ensuring(Effect.sync(() => {
            flushing = false
            flusher = undefined
            if ((backlog() || !available) && !closing) ensureFlusher()
          })),
        ),
      )
    }

    // --- Writes ---

    /** A direct write has ended before it was copied to the file: its caller gets the answer. */
    const settleAttempt = (attempt: Attempt, exit: Exit.Exit<unknown, StoreError>) =>
      Effect.gen(function* () {
        attempts.delete(attempt)
        holdProcess()
        const { entry } = attempt
        const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
        if (entry.copied) {
          // Copied while running (the caller already returned): tell the flusher whether to write the copy.
          if (Exit.isSuccess(exit)) {
            settleCopy(entry.id, true)
            return yield* markUp
          }
          if (error !== undefined && !error.unavailable) {
            settleCopy(entry.id, true) // the copy would be refused the same way
            return yield* refused(error)
          }
          settleCopy(entry.id, false)
          if (error !== undefined) yield* markDown(error)
          return
        }
        if (Exit.isSuccess(exit)) {
          yield* markUp
        } else if (error?.unavailable === true && !closing) {
          yield* markDown(error)
          enqueue(entry)
          ensureFlusher()
          return yield* Deferred.succeed(attempt.answer, "queued")
        }
        yield* Deferred.succeed(attempt.answer, exit)
      }).pipe(Effect.uninterruptible)

    /**
     * Direct write when nothing waits; otherwise (or when the database is away) queue it. With a
     * spill file, the direct write runs in the layer's scope, so it can be copied to the file and
     * outlive its caller when it takes longer than spillAfter.
     */
    const write = <A>(w: PendingWrite, direct: Effect.Effect<A, StoreError>, queued: A): Effect.Effect<A, StoreError> =>
      Effect.suspend((): Effect.Effect<A, StoreError> => {
        if (backlog() || !available) {
          enqueue(accept(w))
          ensureFlusher()
          return Effect.succeed(queued)
        }
        if (spill === undefined) {
          return direct.pipe(
            Effect.tap(() => markUp),
            Effect.catchIf(
              (e: StoreError) => e.unavailable,
              (e) =>
                Effect.gen(function* () {
                  yield* markDown(e)
                  enqueue(accept(w))
                  ensureFlusher()
                  return queued
                }),
            ),
          )
        }
        const attempt: Attempt = { entry: accept(w), answer: Deferred.makeUnsafe() }
        attempts.add(attempt)
        armTimer(attempt.entry.acceptedAt)
        holdProcess()
        return FiberSet.run(fibers, direct.pipe(Effect.exit, Effect.flatMap((exit) => settleAttempt(attempt, exit))))
          .pipe(
            Effect.andThen(Deferred.await(attempt.answer)),
            Effect.flatMap((
              answer,
            ) => (answer === "queued" ? Effect.succeed(queued) : (answer as Exit.Exit<A, StoreError>))),
          )
      })

    // Devices seen lately, so reads (and the pipeline's device lookup) keep working in an outage.
    const seenDevices = new Map<string, Device>()
    const remember = (d: Device) => {
      seenDevices.set(`id:${d.id}`, d)
      seenDevices.set(`name:${d.name}`, d)
    }
    const recalled = (ref: string | number): Device | undefined =>
      seenDevices.get(`id:${String(ref)}`) ?? seenDevices.get(`name:${String(ref)}`)

    /** Track availability on reads too; fall back when the database is away and we know an answer. */
    const read = <A, E extends { readonly _tag: string }>(
      effect: Effect.Effect<A, E | StoreError>,
      fallback?: () => A | undefined,
    ): Effect.Effect<A, E | StoreError> =>
      Effect.suspend(() => {
        const known = () => fallback?.()
        if (!available) {
          // Known down: answer now from what we know; only the flusher's probe marks it up again.
          const answer = known()
          return answer === undefined ? Effect.fail(down("read")) : Effect.succeed(answer)
        }
        return effect.pipe(
          Effect.tap(() => markUp),
          Effect.catchIf(
            (e): e is StoreError => isOutage(e),
            (e) =>
              Effect.gen(function* () {
                yield* markDown(e)
                const answer = known()
                return answer === undefined ? yield* Effect.fail(e) : answer
              }),
          ),
        )
      })

    if (spill !== undefined && spill.pending() > 0) {
      yield* Effect.logInfo("write buffer: replaying writes left by the last run", { pending: spill.pending() })
      ensureFlusher()
    }

    // SIGTERM (layer release): flush what we can, spill the rest so the next start replays it.
    // Registered after the FiberSet, so it runs before the set interrupts what is left in it.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closing = true
        clearTimeout(durabilityTimer)
        const running = flusher
        if (running !== undefined) yield* Fiber.interrupt(running)
        yield* flushAll.pipe(Effect.timeoutOption(drainTimeout))
        if (spill !== undefined) {
          // What came from the file stays there, after the checkpoint; the rest is appended in order.
          const left: Array<SpillLine> = []
          if (inFlight !== undefined && !inFlight.entry.copied) left.push(line(inFlight.entry))
          for (const a of attempts) {
            if (a.entry.copied) continue
            a.entry.copied = true
            left.push(line(a.entry))
            Deferred.doneUnsafe(a.answer, Exit.succeed("queued" as const))
          }
          for (const m of memory) left.push(line(m))
          spill.checkpoint()
          spill.append(left)
          memory.length = 0
          memoryRows = 0
        }
        const waiting = pending()
        if (waiting > 0) yield* Effect.logWarning("write buffer: writes left for the next start", { pending: waiting })
      })
    )

    /** Other calls fail fast (503) while the database is known to be down, instead of hanging on the driver. */
    const guard = <A, E>(op: string, effect: () => Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
      Effect.suspend((): Effect.Effect<A, E | StoreError> => (available ? effect() : Effect.fail(down(op)))).pipe(
        Effect.tapError((e) => (isOutage(e) ? markDown(e) : Effect.void)),
      )

    const status = (): WriteBufferStatus => ({ available, pending: pending(), dropped })

    /** A method of `inner` that fails fast while the database is known down. */
    const guarded = <K extends GuardedKey>(key: K): StoreShape[K] =>
      ((...args: Array<unknown>) =>
        guard(key, () => (inner[key] as (...a: Array<unknown>) => Effect.Effect<unknown, unknown>)(...args))) as never

    // Series and audit: every method listed, so a new one cannot bypass the buffer unnoticed.
    const series: SeriesRepo = {
      insertRows: (table, rows, opts) =>
        write(
          { kind: "rows", table, rows, skipDuplicates: opts?.skipDuplicates === true },
          inner.insertRows(table, rows, opts),
          rows.length,
        ),
      history: guarded("history"),
      systemMetricSeries: guarded("systemMetricSeries"),
      latestLogCursor: guarded("latestLogCursor"),
    }
    const audit: AuditRepo = {
      insertAudit: (entry) => write({ kind: "audit", entry }, inner.insertAudit(entry), undefined),
      queryAudit: guarded("queryAudit"),
      auditSummary: guarded("auditSummary"),
      lastHostRead: guarded("lastHostRead"),
    }
    const devices: DevicesRepo = {
      listDevices: () =>
        read(inner.listDevices().pipe(Effect.tap((ds) => Effect.sync(() => ds.forEach(remember)))), () => {
          const list = [...seenDevices.entries()].filter(([k]) => k.startsWith("id:")).map(([, d]) => d)
          return list.length === 0 ? undefined : list.sort((a, b) => a.name.localeCompare(b.name))
        }),
      getDevice: (ref) =>
        read(inner.getDevice(ref).pipe(Effect.tap((d) => Effect.sync(() => remember(d)))), () => recalled(ref)),
      createDevice: guarded("createDevice"),
      updateDevice: guarded("updateDevice"),
      removeDevice: guarded("removeDevice"),
      setDeviceStatus: guarded("setDeviceStatus"),
      setDeviceCapabilities: guarded("setDeviceCapabilities"),
      enabledDeviceIds: guarded("enabledDeviceIds"),
      devicesVersion: inner.devicesVersion,
    }
    // The other repositories pass through, each call failing fast while the database is away.
    const configs: ConfigsRepo = {
      latestConfigSnapshot: guarded("latestConfigSnapshot"),
      insertConfigVersion: guarded("insertConfigVersion"),
      latestConfigHashes: guarded("latestConfigHashes"),
      trackedConfigFiles: guarded("trackedConfigFiles"),
      configFileHistory: guarded("configFileHistory"),
      configSnapshot: guarded("configSnapshot"),
      configChanges: guarded("configChanges"),
      currentConfigFiles: guarded("currentConfigFiles"),
      proxyConfigs: guarded("proxyConfigs"),
    }
    const leases: LeasesRepo = {
      heartbeatInstance: guarded("heartbeatInstance"),
      liveInstance: guarded("liveInstance"),
      listInstances: guarded("listInstances"),
      listLeases: guarded("listLeases"),
      acquireLeases: guarded("acquireLeases"),
      releaseLeases: guarded("releaseLeases"),
      removeInstance: guarded("removeInstance"),
      sweepInstances: guarded("sweepInstances"),
    }
    const tokens: TokensRepo = {
      insertToken: guarded("insertToken"),
      listTokens: guarded("listTokens"),
      findToken: guarded("findToken"),
      revokeToken: guarded("revokeToken"),
      countActiveTokens: guarded("countActiveTokens"),
      touchToken: guarded("touchToken"),
      upgradeTokenHash: guarded("upgradeTokenHash"),
    }
    const metrics: MetricsRepo = {
      addRollups: guarded("addRollups"),
      performanceRows: guarded("performanceRows"),
      upsertCacheMetadata: guarded("upsertCacheMetadata"),
      invalidateCacheMetadata: guarded("invalidateCacheMetadata"),
    }
    const maintenance: MaintenanceRepo = {
      tableExists: guarded("tableExists"),
      deleteOlderThan: guarded("deleteOlderThan"),
      currentSchema: guarded("currentSchema"),
    }
    const connection: StoreConnection = {
      backend: inner.backend,
      notifications: inner.notifications,
      close: () => inner.close(),
      // /health asks the database itself, so it also notices the return.
      ping: () =>
        inner.ping().pipe(
          Effect.tap(() => markUp),
          Effect.tapError((e) => (e.unavailable ? markDown(e) : Effect.void)),
        ),
      writeBuffer: status,
    }

    const fleet: FleetRepo = { fleetLatest: guarded("fleetLatest") }
    const alerts: AlertsRepo = {
      alertRuleRows: guarded("alertRuleRows"),
      upsertAlertRule: guarded("upsertAlertRule"),
      deleteAlertRule: guarded("deleteAlertRule"),
      newestCollections: guarded("newestCollections"),
      openAlerts: guarded("openAlerts"),
      insertAlert: guarded("insertAlert"),
      updateAlert: guarded("updateAlert"),
      listAlerts: guarded("listAlerts"),
      getAlert: guarded("getAlert"),
      acknowledgeAlert: guarded("acknowledgeAlert"),
      insertSilence: guarded("insertSilence"),
      deleteSilence: guarded("deleteSilence"),
      listSilences: guarded("listSilences"),
      configChangeOf: guarded("configChangeOf"),
    }

    const store: StoreShape = {
      ...connection,
      ...fleet,
      ...alerts,
      ...devices,
      ...series,
      ...audit,
      ...configs,
      ...leases,
      ...tokens,
      ...metrics,
      ...maintenance,
    }
    const raw = rawQueryOf(inner)
    if (raw !== undefined) registerRawQuery(store, (text, params) => guard("query", () => raw(text, params)))
    return store
  })

/**
 * Wrap the Store of a store layer (HostKeys passes through). The write-order caveat above: the
 * spill file mixes the tables, each replayed in the order written.
 */
export const withWriteBuffer = <E, R>(
  base: Layer.Layer<Store | HostKeys, E, R>,
  options: WriteBufferOptions = {},
): Layer.Layer<Store | HostKeys, E, R> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const context = yield* Layer.build(base)
      const buffered = yield* makeBufferedStore(Context.get(context, Store), options)
      return Context.add(context, Store, buffered)
    }),
  )

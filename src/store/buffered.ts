import { Context, Duration, Effect, Fiber, Layer, Schedule } from "effect"
import type { Device } from "../domain/device.ts"
import { StoreError } from "../domain/errors.ts"
import type { HostKeys } from "../ssh/HostKeys.ts"
import { openSpillFile, type SpillFile } from "./spill.ts"
import { type AuditEntry, type Row, Store, type StoreShape, type WriteBufferStatus } from "./Store.ts"

/**
 * Keeps collected rows and audit rows through a database outage. A write that fails with
 * StoreError `unavailable` is kept (in memory, then in an append-only spill file) and written
 * later, in order, by one background flusher; writes that arrive while anything is waiting queue
 * behind it, so order is kept. Reads of devices fall back to the last answer seen.
 *
 * Delivery is at least once: a batch whose commit succeeded but whose reply was lost with the
 * connection is written again. What a SIGKILL can lose: the batch being written plus what sits in
 * memory (at most maxMemoryRows rows, for at most spillAfter); everything older is in the file.
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

export interface WriteBufferOptions {
  /** JSON-lines spill file (under the data dir); without it, writes beyond memory are dropped. */
  readonly spillPath?: string | undefined
  /** Rows kept in memory during an outage before everything waiting goes to the spill file. */
  readonly maxMemoryRows?: number | undefined
  /** Longest a write stays only in memory during an outage (bounds what a SIGKILL loses). */
  readonly spillAfter?: Duration.Input | undefined
  /** Retry policy while the database is unreachable. */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /** On shutdown, how long to keep trying to flush before spilling what is left. */
  readonly drainTimeout?: Duration.Input | undefined
  /** Spill file cap; past it new writes are dropped and counted (the disk must not fill up). */
  readonly maxSpillBytes?: number | undefined
}

const weight = (w: PendingWrite): number => (w.kind === "rows" ? Math.max(1, w.rows.length) : 1)

export const makeBufferedStore = (inner: StoreShape, options: WriteBufferOptions = {}) =>
  Effect.gen(function* () {
    const maxMemoryRows = options.maxMemoryRows ?? 1000
    const spillAfterMs = Duration.toMillis(options.spillAfter ?? "2 seconds")
    const retry = options.retry ?? storeReconnect
    const drainTimeout = options.drainTimeout ?? "5 seconds"
    const maxSpillBytes = options.maxSpillBytes ?? 1024 ** 3

    const spill: SpillFile<PendingWrite> | undefined = options.spillPath === undefined
      ? undefined
      : openSpillFile<PendingWrite>(options.spillPath, {
        onCorrupt: (line) => {
          dropped++
          Effect.runFork(Effect.logWarning("write buffer: skipped an unreadable spill line", line))
        },
      })
    const memory: Array<PendingWrite> = []
    let memoryRows = 0
    /** Taken out of the queue and being written: retried until it lands or is refused for good. */
    let inFlight: PendingWrite | undefined
    /** Items read back from the spill file, not yet written. */
    let fromFile: Array<PendingWrite> = []
    let available = true
    let dropped = 0
    let flusher: Fiber.Fiber<void> | undefined
    let spillTimer: ReturnType<typeof setTimeout> | undefined
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

    /** Move what waits in memory to the file (keeps order: memory is older than any new write). */
    const spillMemory = () => {
      clearTimeout(spillTimer)
      spillTimer = undefined
      if (spill === undefined || memory.length === 0) return
      if (spill.size() > maxSpillBytes) return
      spill.append(memory)
      memory.length = 0
      memoryRows = 0
    }

    const enqueue = (w: PendingWrite) => {
      if (spill !== undefined && (spill.pending() > 0 || fromFile.length > 0)) {
        // The file holds older writes: new ones go behind them.
        if (spill.size() > maxSpillBytes) {
          dropped++
          return
        }
        spill.append([w])
        return
      }
      if (spill === undefined && memoryRows + weight(w) > maxMemoryRows * 10) {
        dropped++ // no file to spill to: memory is the only bound
        return
      }
      memory.push(w)
      memoryRows += weight(w)
      if (spill !== undefined && memoryRows > maxMemoryRows) spillMemory()
      else if (spill !== undefined && spillTimer === undefined) {
        spillTimer = setTimeout(spillMemory, spillAfterMs)
        spillTimer.unref?.()
      }
    }

    const next = (): PendingWrite | undefined => {
      if (fromFile.length === 0 && spill !== undefined && spill.pending() > 0) fromFile = spill.read()
      const fileItem = fromFile.shift()
      if (fileItem !== undefined) return fileItem
      spill?.removeIfDone()
      const item = memory.shift()
      if (item !== undefined) memoryRows -= weight(item)
      if (memory.length === 0) {
        clearTimeout(spillTimer)
        spillTimer = undefined
      }
      return item
    }

    const writeOnce = (w: PendingWrite): Effect.Effect<void, StoreError> =>
      w.kind === "rows"
        ? Effect.asVoid(inner.insertRows(w.table, w.rows, { skipDuplicates: w.skipDuplicates }))
        : inner.insertAudit(w.entry)

    /** Writes one item; unavailable → retried per schedule; refused for good → dropped and logged. */
    const deliver = (w: PendingWrite): Effect.Effect<void> =>
      writeOnce(w).pipe(
        Effect.tapError((e) => (e.unavailable ? markDown(e) : Effect.void)),
        Effect.retry({ schedule: retry, while: (e: StoreError) => e.unavailable }),
        Effect.tap(() => markUp),
        Effect.catch((e: StoreError) =>
          Effect.sync(() => {
            dropped++
          }).pipe(
            Effect.andThen(Effect.logError("write buffer: the database refused a buffered write; dropped", e.message)),
          )
        ),
      )

    /** Probe until the database answers (meanwhile calls fail fast instead of each waiting on the driver). */
    const awaitDatabase = Effect.suspend(() => inner.ping()).pipe(
      Effect.retry({ schedule: retry, while: (e: StoreError) => e.unavailable }),
      Effect.ignore,
      Effect.andThen(markUp),
    )

    const flushAll: Effect.Effect<void> = Effect.gen(function* () {
      for (;;) {
        inFlight ??= next()
        if (inFlight === undefined) {
          if (available) return
          yield* awaitDatabase
          continue
        }
        yield* deliver(inFlight)
        inFlight = undefined
      }
    })

    // One flusher at a time. It starts after a yield, so `flusher` is assigned before any of its
    // code runs (a fork otherwise starts synchronously and could call back in here first).
    let flushing = false
    const ensureFlusher = () => {
      if (closing || flushing) return
      flushing = true
      flusher = Effect.runFork(
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

    /** Direct write when nothing waits; otherwise (or when the database is away) queue it. */
    const write = <A>(w: PendingWrite, direct: Effect.Effect<A, StoreError>, queued: A): Effect.Effect<A, StoreError> =>
      Effect.suspend(() => {
        if (backlog() || !available) {
          enqueue(w)
          ensureFlusher()
          return Effect.succeed(queued)
        }
        return direct.pipe(
          Effect.tap(() => markUp),
          Effect.catchIf(
            (e: StoreError) => e.unavailable,
            (e) =>
              Effect.gen(function* () {
                yield* markDown(e)
                enqueue(w)
                ensureFlusher()
                return queued
              }),
          ),
        )
      })

    // Devices seen lately, so reads (and the pipeline's device lookup) keep working in an outage.
    const devices = new Map<string, Device>()
    const remember = (d: Device) => {
      devices.set(`id:${d.id}`, d)
      devices.set(`name:${d.name}`, d)
    }
    const recalled = (ref: string | number): Device | undefined =>
      devices.get(`id:${String(ref)}`) ?? devices.get(`name:${String(ref)}`)

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
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closing = true
        const running = flusher
        if (running !== undefined) yield* Fiber.interrupt(running)
        yield* flushAll.pipe(Effect.timeoutOption(drainTimeout))
        clearTimeout(spillTimer)
        if (spill !== undefined) {
          const left = [...(inFlight === undefined ? [] : [inFlight]), ...fromFile, ...memory]
          // fromFile items are already counted as read: write them back behind what is still in the file.
          if (left.length > 0) spill.append(left)
          inFlight = undefined
          fromFile = []
          memory.length = 0
        }
        if (pending() > 0) {
          yield* Effect.logWarning("write buffer: writes left for the next start", { pending: pending() })
        }
      })
    )

    /** Other calls fail fast (503) while the database is known to be down, instead of hanging on the driver. */
    const guard = <A, E>(op: string, effect: () => Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
      Effect.suspend((): Effect.Effect<A, E | StoreError> => (available ? effect() : Effect.fail(down(op)))).pipe(
        Effect.tapError((e) => (isOutage(e) ? markDown(e) : Effect.void)),
      )

    const status = (): WriteBufferStatus => ({ available, pending: pending(), dropped })

    const store: StoreShape = {
      ...inner,
      query: (text, params) => guard("query", () => inner.query(text, params)),
      createDevice: (input) => guard("createDevice", () => inner.createDevice(input)),
      updateDevice: (ref, patch) => guard("updateDevice", () => inner.updateDevice(ref, patch)),
      removeDevice: (ref) => guard("removeDevice", () => inner.removeDevice(ref)),
      setDeviceStatus: (id, status, lastSeen) =>
        guard("setDeviceStatus", () => inner.setDeviceStatus(id, status, lastSeen)),
      setDeviceCapabilities: (id, caps) => guard("setDeviceCapabilities", () => inner.setDeviceCapabilities(id, caps)),
      history: (q) => guard("history", () => inner.history(q)),
      queryAudit: (f) => guard("queryAudit", () => inner.queryAudit(f)),
      listDevices: () =>
        read(inner.listDevices().pipe(Effect.tap((ds) => Effect.sync(() => ds.forEach(remember)))), () => {
          const list = [...devices.entries()].filter(([k]) => k.startsWith("id:")).map(([, d]) => d)
          return list.length === 0 ? undefined : list.sort((a, b) => a.name.localeCompare(b.name))
        }),
      getDevice: (ref) =>
        read(inner.getDevice(ref).pipe(Effect.tap((d) => Effect.sync(() => remember(d)))), () => recalled(ref)),
      insertRows: (table, rows, opts) =>
        write(
          { kind: "rows", table, rows, skipDuplicates: opts?.skipDuplicates === true },
          inner.insertRows(table, rows, opts),
          rows.length,
        ),
      insertAudit: (entry) => write({ kind: "audit", entry }, inner.insertAudit(entry), undefined),
      // /health asks the database itself, so it also notices the return.
      ping: () =>
        inner.ping().pipe(
          Effect.tap(() => markUp),
          Effect.tapError((e) => (e.unavailable ? markDown(e) : Effect.void)),
        ),
      writeBuffer: status,
    }
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

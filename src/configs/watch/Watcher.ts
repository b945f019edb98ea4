/**
 * Watches tracked config files on every enabled device: one inotifywait stream per device over the
 * device's SSH connection, debounced per file; a poll fallback where inotifywait is missing; and a
 * periodic verification scan that records whatever the stream missed.
 */
import { Context, Effect, FiberMap, Layer, Queue, Schedule, Semaphore, Stream } from "effect"
import { Collector, type Method } from "../../pipeline/Collector.ts"
import { errorMessage } from "../../pipeline/error-info.ts"
import type { DetectionSource } from "../types.ts"
import type { Device } from "../../domain/device.ts"
import { type CollectError, type DeviceNotFound, SshError, type StoreError } from "../../domain/errors.ts"
import { Events } from "../../events/Events.ts"
import { Ssh } from "../../ssh/Ssh.ts"
import { Store } from "../../store/Store.ts"
import { globMatches } from "../../domain/globs.ts"
import {
  inotifyCommand,
  type InotifyEvent,
  InotifyLineParser,
  NO_DIRECTORIES,
  NO_INOTIFYWAIT,
  wildcardDirPatterns,
} from "./inotify.ts"
import { readAndRecord, type ReadContext, scanAndRecord, type ScanOutcome, type Wanted } from "./scan.ts"
import {
  deviceWatchEnabled,
  globsForDevice,
  type ResolvedWatchSettings,
  resolveWatchSettings,
  type TypedGlob,
  type WatchSettings,
} from "./settings.ts"

/** Restart a dead inotify stream: 1 s, 2 s, 4 s … with jitter, never more than a minute apart. */
export const INOTIFY_RESTART_SCHEDULE = Schedule.min([
  Schedule.jittered(Schedule.exponential("1 second")),
  Schedule.spaced("60 seconds"),
])

/** A stream that stayed up this long was healthy: its end restarts the backoff from the start. */
const HEALTHY_MS = 60_000
/** A MOVED_TO this soon after a MOVED_FROM is the other half of the same rename. */
const MOVE_PAIR_MS = 1000

export interface DeviceWatchStatus {
  readonly device: string
  readonly mode: "starting" | "inotify" | "poll" | "stopped"
  /** inotify: watches are established; poll: the baseline scan is done. */
  readonly ready: boolean
  readonly globs: ReadonlyArray<TypedGlob>
  readonly last_event_at: string | null
  readonly last_scan_at: string | null
  readonly last_change_at: string | null
  readonly restarts: number
  readonly events_seen: number
  readonly versions_recorded: number
  readonly last_error: string | null
  readonly note: string | null
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export interface WatcherShape {
  /** Watch every enabled device; returns the device names. */
  readonly start: () => Effect.Effect<ReadonlyArray<string>, StoreError>
  readonly stop: () => Effect.Effect<void>
  /** (Re)start one device's watch, e.g. after it was added or edited. */
  readonly startDevice: (device: string | number) => Effect.Effect<void, DeviceNotFound | StoreError>
  readonly stopDevice: (device: string) => Effect.Effect<void>
  readonly status: () => ReadonlyArray<DeviceWatchStatus>
  /** The patterns watched on a device. */
  readonly globs: (device: Device) => ReadonlyArray<TypedGlob>
  /** Whether the device should be watched at all (enabled, not switched off, has patterns). */
  readonly watches: (device: Device) => boolean
  /** One full scan now (the API's on-demand scan, source "api"). */
  readonly scan: (
    device: string | number,
    options?: { readonly source?: DetectionSource; readonly method?: Method },
  ) => Effect.Effect<ScanOutcome, CollectError>
  readonly settings: ResolvedWatchSettings
}

interface Pending {
  readonly key: string
  readonly firstAt: number
  lastAt: number
  /** undefined: a file to read; otherwise a full scan with this source. */
  readonly scan?: DetectionSource | undefined
  readonly wanted?: Mutable<Wanted> | undefined
}

const RESCAN = "\u0000rescan"

export class Watcher extends Context.Service<Watcher, WatcherShape>()("infrastructor/Watcher") {
  static readonly layer = (input: WatchSettings = {}) =>
    Layer.effect(
      Watcher,
      Effect.gen(function* () {
        const settings = resolveWatchSettings(input)
        const services = yield* Effect.context<Collector | Store | Events | Ssh>()
        const store = yield* Store
        const ssh = yield* Ssh
        const fibers = yield* FiberMap.make<string>()
        const states = new Map<string, Mutable<DeviceWatchStatus>>()

        const ctx = (source: DetectionSource, method: Method = "watch"): ReadContext => ({ method, source, settings })

        const worker = (device: Device, st: Mutable<DeviceWatchStatus>) =>
          Effect.gen(function* () {
            const globs = st.globs
            const patterns = globs.map((g) => g.pattern)
            const lock = yield* Semaphore.make(1)
            const noteError = (e: CollectError) =>
              Effect.sync(() => {
                st.last_error = errorMessage(e)
              }).pipe(Effect.andThen(Effect.logWarning("config watch", device.name, errorMessage(e))))
            const counted = (recorded: number) => {
              if (recorded > 0) {
                st.versions_recorded += recorded
                st.last_change_at = new Date().toISOString()
              }
            }
            const scan = (source: DetectionSource) =>
              lock.withPermit(scanAndRecord(device, globs, ctx(source))).pipe(
                Effect.tap((out) =>
                  Effect.sync(() => {
                    st.last_scan_at = new Date().toISOString()
                    counted(out.recorded.length)
                  })
                ),
                Effect.asVoid,
                Effect.catch(noteError),
              )

            if (globs.length === 0) {
              st.mode = "stopped"
              st.note = "no globs configured"
              return
            }

            // Verification runs beside either mode.
            yield* Effect.forkChild(
              Effect.forever(Effect.sleep(settings.verifyIntervalMs).pipe(Effect.andThen(scan("verify")))),
            )

            const pollLoop = Effect.gen(function* () {
              st.mode = "poll"
              yield* scan("verify")
              st.ready = true
              return yield* Effect.forever(Effect.sleep(settings.pollIntervalMs).pipe(Effect.andThen(scan("poll"))))
            })

            if (device.capabilities?.tools?.["inotifywait"] === false) {
              st.note = "inotifywait is not installed: polling"
              return yield* pollLoop
            }

            // --- inotify: events → per-file debounce → one read for all files that are due ---
            const pending = new Map<string, Pending>()
            const wake = yield* Queue.unbounded<void>()
            let movedFrom: { path: string; at: number; tracked: boolean } | undefined
            const wildcardDirs = wildcardDirPatterns(patterns)
            let restartRequested = false

            const enqueue = (p: Pending) => {
              const existing = pending.get(p.key)
              if (existing !== undefined) {
                existing.lastAt = p.lastAt
                if (p.wanted?.movedFrom !== undefined && existing.wanted !== undefined) {
                  existing.wanted.movedFrom = p.wanted.movedFrom
                }
              } else {
                pending.set(p.key, p)
              }
              Queue.offerUnsafe(wake, undefined)
            }

            const onEvent = (ev: InotifyEvent) => {
              const now = Date.now()
              st.events_seen++
              st.last_event_at = new Date(now).toISOString()
              if (ev.isDir) {
                // A directory matching a wildcard level appeared or went away: the watch set must be
                // expanded again, and files inside it changed without events of their own.
                if (wildcardDirs.some((p) => globMatches(p, ev.path))) {
                  restartRequested = true
                  enqueue({ key: RESCAN, firstAt: now, lastAt: now, scan: "watch" })
                }
                return
              }
              const type = globs.find((g) => globMatches(g.pattern, ev.path))?.type
              if (ev.events.includes("MOVED_FROM")) movedFrom = { path: ev.path, at: now, tracked: type !== undefined }
              if (type === undefined) return
              let from: string | undefined
              if (
                ev.events.includes("MOVED_TO") && movedFrom !== undefined && movedFrom.tracked &&
                now - movedFrom.at < MOVE_PAIR_MS && movedFrom.path !== ev.path
              ) {
                from = movedFrom.path
                movedFrom = undefined
              }
              enqueue({
                key: ev.path,
                firstAt: now,
                lastAt: now,
                wanted: { path: ev.path, type, detectedAt: now, movedFrom: from },
              })
            }

            const process = (due: ReadonlyArray<Pending>) =>
              Effect.gen(function* () {
                const rescan = due.find((p) => p.scan !== undefined)
                if (rescan?.scan !== undefined) yield* scan(rescan.scan)
                const wanted = due.flatMap((p) => (p.wanted === undefined ? [] : [p.wanted]))
                if (wanted.length === 0) return
                const out = yield* lock.withPermit(readAndRecord(device, globs, wanted, ctx("watch"))).pipe(
                  Effect.catch((e: CollectError) => Effect.as(noteError(e), undefined)),
                )
                if (out !== undefined) counted(out.recorded.length)
              })

            const flushOnce = Effect.gen(function* () {
              if (pending.size === 0) {
                yield* Queue.take(wake)
                return
              }
              yield* Queue.clear(wake)
              const now = Date.now()
              const due = [...pending.values()].filter((p) => p.lastAt + settings.debounceMs <= now).sort((a, b) =>
                a.firstAt - b.firstAt
              )
              if (due.length === 0) {
                const next = Math.min(...[...pending.values()].map((p) => p.lastAt + settings.debounceMs))
                yield* Effect.sleep(Math.max(1, next - now))
                return
              }
              for (const p of due) pending.delete(p.key)
              yield* process(due)
            })
            yield* Effect.forkChild(Effect.forever(flushOnce))

            type StreamEnd = "unavailable" | "no-directories" | "healthy" | "rewatch"
            const streamOnce = Effect.gen(function* () {
              const parser = new InotifyLineParser()
              let marker: string | undefined
              let readyAt: number | undefined
              restartRequested = false
              const ended = yield* ssh.stream(device, inotifyCommand(patterns)).pipe(
                Stream.runForEachWhile((line) =>
                  Effect.sync(() => {
                    for (const item of parser.push(line)) {
                      if (item.kind === "event") onEvent(item)
                      else if (item.kind === "marker") marker = item.name
                      else if (item.kind === "ready") {
                        readyAt = Date.now()
                        st.mode = "inotify"
                        st.ready = true
                        st.note = null
                        // Baseline, and after a restart the catch-up for whatever changed meanwhile.
                        enqueue({ key: RESCAN, firstAt: 0, lastAt: 0, scan: "verify" })
                      }
                    }
                    return !restartRequested
                  })
                ),
                Effect.as("ended" as const),
                Effect.catchTag(
                  "SshError",
                  (e) => /exited with 127\b/.test(e.message) ? Effect.succeed("missing" as const) : Effect.fail(e),
                ),
                Effect.ensuring(Effect.sync(() => {
                  st.ready = false
                })),
              )
              if (ended === "missing" || marker === NO_INOTIFYWAIT) return "unavailable" satisfies StreamEnd
              if (restartRequested) return "rewatch" satisfies StreamEnd
              if (marker === NO_DIRECTORIES) return "no-directories" satisfies StreamEnd
              if (readyAt !== undefined && Date.now() - readyAt >= HEALTHY_MS) return "healthy" satisfies StreamEnd
              return yield* Effect.fail(
                new SshError({ device: device.name, reason: "channel_failed", message: "inotifywait stopped" }),
              )
            }).pipe(
              Effect.tapError((e: SshError) =>
                Effect.sync(() => {
                  st.restarts++
                  st.last_error = errorMessage(e)
                })
              ),
            )

            while (true) {
              const end = yield* Effect.retry(streamOnce, { schedule: INOTIFY_RESTART_SCHEDULE })
              if (end === "unavailable") {
                st.note = "inotifywait is not available: polling"
                return yield* pollLoop
              }
              if (end === "no-directories") {
                st.mode = "inotify"
                st.note = "none of the watched directories exists yet"
                yield* scan("verify")
                yield* Effect.sleep(settings.pollIntervalMs)
              } else if (end === "healthy") {
                st.restarts++
                yield* Effect.sleep("1 second")
              }
              // "rewatch": start again at once with the directory patterns expanded anew.
            }
          })

        const startDevice = Effect.fn("Watcher.startDevice")(function* (ref: string | number) {
          const device = yield* store.getDevice(ref)
          const st: Mutable<DeviceWatchStatus> = {
            device: device.name,
            mode: "starting",
            ready: false,
            globs: globsForDevice(device, input),
            last_event_at: null,
            last_scan_at: null,
            last_change_at: null,
            restarts: 0,
            events_seen: 0,
            versions_recorded: 0,
            last_error: null,
            note: null,
          }
          states.set(device.name, st)
          yield* FiberMap.run(
            fibers,
            device.name,
            worker(device, st).pipe(
              // The watch outlives the call that started it: its scans are traced under it, not the caller.
              Effect.withSpan("Watcher.watch", { root: true, attributes: { device: device.name } }),
              Effect.provideContext(services),
              Effect.ensuring(Effect.sync(() => {
                st.mode = "stopped"
                st.ready = false
              })),
            ),
          )
        })

        const stopDevice = (name: string) => FiberMap.remove(fibers, name)

        return Watcher.of({
          settings,
          start: Effect.fn("Watcher.start")(function* () {
            const devices = (yield* store.listDevices()).filter((d) => deviceWatchEnabled(d, input))
            for (const d of devices) {
              yield* startDevice(d.id).pipe(Effect.catchTag("DeviceNotFound", () => Effect.void))
            }
            return devices.map((d) => d.name)
          }),
          stop: () => FiberMap.clear(fibers),
          startDevice,
          stopDevice,
          status: () => [...states.values()].map((s) => ({ ...s })),
          globs: (device) => globsForDevice(device, input),
          watches: (device) => deviceWatchEnabled(device, input) && globsForDevice(device, input).length > 0,
          scan: Effect.fn("Watcher.scan")(
            function* (ref: string | number, options: Parameters<WatcherShape["scan"]>[1] = {}) {
              const device = yield* store.getDevice(ref)
              return yield* scanAndRecord(
                device,
                globsForDevice(device, input),
                ctx(options.source ?? "api", options.method ?? "api"),
              )
            },
            Effect.provideContext(services),
          ),
        })
      }),
    )
}

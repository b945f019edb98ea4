/**
 * Change detection by reading: scan (hashes) → fetch what changed → record. Shared by the watcher
 * (initial baseline, verification, poll fallback, inotify events) and the on-demand API scan.
 */
import { Buffer } from "node:buffer"
import { Effect } from "effect"
import { Collector, type Method } from "../../pipeline/Collector.ts"
import { type DetectedFile, latestHashes, type RecordOutcome, recordVersion } from "../history.ts"
import type { ConfigType, DetectionSource } from "../types.ts"
import type { Device } from "../../domain/device.ts"
import type { Events } from "../../events/Events.ts"
import type { Store } from "../../store/Store.ts"
import type { CollectError } from "../../domain/errors.ts"
import type { ConfigFiles, FetchedFile } from "../../collectors/config-files/config-files.ts"
import type { ConfigScan } from "../../collectors/config-files/config-scan.ts"
import { globMatches } from "../../domain/globs.ts"
import type { ResolvedWatchSettings, TypedGlob } from "./settings.ts"

export interface ReadContext {
  readonly method: Method
  readonly source: DetectionSource
  readonly settings: ResolvedWatchSettings
}

export interface Wanted {
  readonly path: string
  readonly type: ConfigType
  readonly movedFrom?: string | undefined
  /** When the change was noticed (local ms), for the stored detection latency. */
  readonly detectedAt?: number | undefined
  /** Size from a scan, to keep one read under the output cap. */
  readonly size?: number | undefined
}

export interface ReadOutcome {
  readonly recorded: ReadonlyArray<Extract<RecordOutcome, { recorded: true }>>
  readonly unreadable: ReadonlyArray<string>
}

/** Bytes of content one config_files read may carry (base64 adds a third on top). */
const BATCH_BYTES = 16 * 1024 * 1024
const BATCH_FILES = 25

const batches = (wanted: ReadonlyArray<Wanted>, maxFileBytes: number): Array<Array<Wanted>> => {
  const out: Array<Array<Wanted>> = []
  let current: Array<Wanted> = []
  let bytes = 0
  for (const w of wanted) {
    const size = Math.min(w.size ?? maxFileBytes / 4, maxFileBytes)
    if (current.length > 0 && (current.length >= BATCH_FILES || bytes + size > BATCH_BYTES)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(w)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}

const toDetected = (w: Wanted, f: FetchedFile): DetectedFile | undefined => {
  const base = {
    path: w.path,
    configType: w.type,
    mtime: f.mtime === null ? null : new Date(f.mtime),
    movedFrom: w.movedFrom,
  }
  switch (f.status) {
    case "ok":
      return { ...base, state: "present", bytes: Buffer.from(f.content_base64 ?? "", "base64") }
    case "too_large":
      return f.sha256 === null ? undefined : { ...base, state: "too_large", sha256: f.sha256, size: f.size ?? 0 }
    case "outside":
      return f.target === null ? undefined : { ...base, state: "outside", target: f.target }
    case "missing":
    case "notfile":
      return { ...base, state: "deleted" }
    case "unreadable":
      return undefined
  }
}

const readBatch = (device: Device, globs: string, batch: ReadonlyArray<Wanted>, ctx: ReadContext) =>
  Collector.use((collector) =>
    collector.collect(device.id, "config_files", {
      method: ctx.method,
      source: `config ${ctx.source}`,
      params: { paths: JSON.stringify(batch.map((w) => w.path)), globs, max_bytes: ctx.settings.maxFileBytes },
    })
  ).pipe(Effect.map((c) => (c.data as ConfigFiles).files))

/**
 * Read the wanted files (few round trips) and record every one whose content changed. The host
 * reads only files whose physical location matches `globs`; any other is recorded as a link out.
 */
export const readAndRecord = Effect.fn("Watcher.readAndRecord")(function* (
  device: Device,
  globs: ReadonlyArray<TypedGlob>,
  wanted: ReadonlyArray<Wanted>,
  ctx: ReadContext,
  extraDeleted: ReadonlyArray<Wanted> = [],
  extraOutside: ReadonlyArray<Wanted & { readonly target: string }> = [],
) {
  const recorded: Array<Extract<RecordOutcome, { recorded: true }>> = []
  const unreadable: Array<string> = []
  const patterns = JSON.stringify(globs.map((g) => g.pattern))
  const record = (w: Wanted, detected: DetectedFile) =>
    Effect.map(
      recordVersion(device, detected, {
        source: ctx.source,
        detectedAt: w.detectedAt,
        storeRawSecrets: ctx.settings.storeRawSecrets,
      }),
      (r) => {
        if (r.recorded) recorded.push(r)
      },
    )
  for (const batch of batches(wanted, ctx.settings.maxFileBytes)) {
    // A batch whose output passes the cap is retried one file at a time.
    const files = yield* readBatch(device, patterns, batch, ctx).pipe(
      Effect.catchTag("SshError", (e) =>
        e.reason === "output_too_large" && batch.length > 1
          ? Effect.map(
            Effect.forEach(batch, (w) => readBatch(device, patterns, [w], ctx)),
            (xs) => xs.flat(),
          )
          : Effect.fail(e)),
    )
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i] as Wanted
      const f = files[i]
      const detected = f === undefined ? undefined : toDetected(w, f)
      if (detected === undefined) {
        unreadable.push(w.path)
        continue
      }
      yield* record(w, detected)
    }
  }
  for (const w of extraDeleted) {
    yield* record(w, { path: w.path, configType: w.type, state: "deleted", mtime: null })
  }
  for (const w of extraOutside) {
    yield* record(w, { path: w.path, configType: w.type, state: "outside", target: w.target, mtime: null })
  }
  return { recorded, unreadable } satisfies ReadOutcome
})

export interface ScanOutcome extends ReadOutcome {
  readonly files: number
}

const typeOfPath = (globs: ReadonlyArray<TypedGlob>, path: string): ConfigType | undefined =>
  globs.find((g) => globMatches(g.pattern, path))?.type

/**
 * Full scan: hash every matching file in one round trip, read only those whose hash differs from
 * the latest version, and record known files that no longer exist as deleted. A match leading
 * outside the globs is never hashed or read: it is recorded from the scan as a link, once per target.
 */
export const scanAndRecord = Effect.fn("Watcher.scanAndRecord")(function* (
  device: Device,
  globs: ReadonlyArray<TypedGlob>,
  ctx: ReadContext,
): Effect.fn.Return<ScanOutcome, CollectError, Collector | Store | Events> {
  if (globs.length === 0) return { files: 0, recorded: [], unreadable: [] }
  const collector = yield* Collector
  const scanned = yield* collector.collect(device.id, "config_scan", {
    method: ctx.method,
    source: `config ${ctx.source}`,
    params: { globs: JSON.stringify(globs.map((g) => g.pattern)) },
  })
  const scan = scanned.data as ConfigScan
  const known = yield* latestHashes(device.id)
  const now = Date.now()
  const present = new Set([...scan.files, ...scan.outside].map((f) => f.path))
  const unreadable = scan.files.filter((f) => f.sha256 === null).map((f) => f.path)
  const changed: Array<Wanted> = scan.files
    .filter((f) => f.sha256 !== null && known.get(f.path)?.hash !== f.sha256)
    .map((f) => ({
      path: f.path,
      type: globs[f.glob_index]?.type ?? "proxy_configs",
      size: f.size,
      // Without an event, the best guess of when the change happened is the file's mtime.
      detectedAt: Math.min(now, Date.parse(f.mtime)),
    }))
  const outside = scan.outside
    .filter((f) => {
      const k = known.get(f.path)
      return k === undefined || k.hash !== null || k.linkTarget !== f.target
    })
    .map((f) => ({ path: f.path, type: globs[f.glob_index]?.type ?? "proxy_configs", target: f.target }))
  const gone: Array<Wanted> = []
  for (const k of known.values()) {
    if ((k.hash === null && k.linkTarget === null) || present.has(k.path)) continue
    const type = typeOfPath(globs, k.path)
    if (type !== undefined) gone.push({ path: k.path, type })
  }
  const read = yield* readAndRecord(device, globs, changed, ctx, gone, outside)
  return { files: scan.files.length, recorded: read.recorded, unreadable: [...unreadable, ...read.unreadable] }
})

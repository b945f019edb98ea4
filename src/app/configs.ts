import type { Collector } from "../pipeline/Collector.ts"
import type { Events } from "../events/Events.ts"
import { Context, Effect, Layer } from "effect"
import { analyzeChange, parseConfig } from "../configs/analyze.ts"
import { currentFiles } from "../configs/current-files.ts"
import {
  type ChangeFilter,
  diffSnapshots,
  displayContent,
  fileHistory,
  type FullSnapshot,
  getSnapshot,
  listChanges,
  snapshotView,
  trackedFiles,
} from "../configs/history.ts"
import { restoreSnapshot } from "../configs/restore.ts"
import type { ChangeType, ConfigType, ConfigVersion } from "../configs/types.ts"
import { buildDeviceServiceMap } from "../configs/service-map-route.ts"
import { NotFound, ValidationError } from "../domain/errors.ts"
import { Store } from "../store/Store.ts"
import { Watcher } from "../configs/watch/Watcher.ts"
import { Caller } from "./caller.ts"
import { operationsIn, readOp, writeOp } from "./operation.ts"
import { jsonColumn } from "../domain/json.ts"

export const configOperations = {
  tracked: readOp("Configs.tracked", "tracked config files of a device and its watch state"),
  history: readOp("Configs.history", "versions of one config file (no content)"),
  snapshot: readOp("Configs.snapshot", "one stored version, secrets redacted"),
  rawSnapshot: writeOp("Configs.rawSnapshot", "one stored version with secrets as stored (store_raw_secrets)"),
  diff: readOp("Configs.diff", "unified diff of two stored versions, secrets redacted"),
  rawDiff: writeOp("Configs.rawDiff", "unified diff of two stored versions with secrets as stored"),
  changes: readOp("Configs.changes", "configuration change events with risk levels"),
  current: readOp("Configs.current", "the current parsed version of every tracked file"),
  serviceMap: readOp("Configs.serviceMap", "hostname → upstream → container map of a device"),
  watchStatus: readOp("Configs.watchStatus", "config watching state per device"),
  scan: writeOp("Configs.scan", "scan a device's watched files now and record what changed"),
  restorePreview: readOp("Configs.restorePreview", "diff a stored version against the file on the host (dry run)"),
  restore: writeOp("Configs.restore", "write a stored version back to its host (backup, check, rollback)", {
    changesHost: true,
  }),
} as const

const listOf = (v: unknown): Array<string> => (Array.isArray(v) ? v.map(String) : [])

const versionOf = (row: FullSnapshot, raw: boolean): ConfigVersion | null => {
  if (row.content_hash === null || row.size_too_large || row.content_encoding === "base64") return null
  const content = displayContent(row, raw).content
  return { path: row.path, content, parsed: parseConfig(row.config_type as ConfigType, row.path, content) }
}

/**
 * Semantic changes, risk (with its rule) and affected services between two versions of a file:
 * the stored analysis of `b`'s change event when `b` follows `a` directly, else computed now from
 * the (redacted unless raw) contents.
 */
export const analysisBetween = (a: FullSnapshot, b: FullSnapshot, raw: boolean) => {
  const common = { config_type: b.config_type }
  if (Number(b["previous_snapshot_id"]) === Number(a.id) && typeof b["risk_level"] === "string") {
    const summary = jsonColumn(b["diff_summary"]) as { semantic?: ReadonlyArray<unknown> } | null
    return {
      ...common,
      source: "recorded" as const,
      risk: b["risk_level"] as string,
      rule: String(b["risk_rule"] ?? ""),
      semantic: summary?.semantic ?? [],
      affected_services: listOf(jsonColumn(b["affected_services"])),
      requires_restart: b["requires_restart"] === true,
      restart_services: listOf(jsonColumn(b["restart_services"])),
    }
  }
  const before = versionOf(a, raw)
  const after = versionOf(b, raw)
  const change: ChangeType = before === null ? "CREATE" : after === null ? "DELETE" : "MODIFY"
  const found = analyzeChange(b.config_type as ConfigType, change, before, after)
  return {
    ...common,
    source: "computed" as const,
    risk: found.risk as string,
    rule: found.rule,
    semantic: found.diff.semantic as ReadonlyArray<unknown>,
    affected_services: [...found.affectedServices],
    requires_restart: found.requiresRestart,
    restart_services: [...found.restartServices],
  }
}

/** Config history, diffs, change events, scans and restores, on behalf of the Caller. */
export const makeConfigs = Effect.gen(function* () {
  const operation = operationsIn(yield* Effect.context<Store | Watcher | Collector | Events>())
  const store = yield* Store
  const watcher = yield* Watcher

  const tracked = operation(configOperations.tracked, (device: string | number) =>
    Effect.gen(function* () {
      const dev = yield* store.getDevice(device)
      const files = yield* trackedFiles(dev.id)
      return {
        device: dev.name,
        count: files.length,
        files,
        watch: watcher.status().find((s) => s.device === dev.name) ?? null,
      }
    }))

  const history = operation(
    configOperations.history,
    (device: string | number, path: string, limit: number) =>
      Effect.gen(function* () {
        if (path === "") return yield* Effect.fail(new ValidationError({ message: "path is required" }))
        const dev = yield* store.getDevice(device)
        const versions = yield* fileHistory(dev.id, path, limit)
        return { device: dev.name, path, count: versions.length, versions }
      }),
  )

  /** Newest version ids of one file (at most two), or NotFound. */
  const latestIds = (device: string | number, path: string) =>
    Effect.gen(function* () {
      const dev = yield* store.getDevice(device)
      const rows = yield* fileHistory(dev.id, path, 2)
      if (rows.length === 0) {
        return yield* Effect.fail(new NotFound({ message: `${path} is not tracked on ${dev.name}` }))
      }
      return rows.map((r) => Number(r["id"]))
    })

  type Version = { readonly snapshotId: string | number } | { readonly device: string; readonly path: string }

  const resolveVersion = (v: Version) =>
    "snapshotId" in v ? Effect.succeed(v.snapshotId) : Effect.map(latestIds(v.device, v.path), (ids) => ids[0]!)

  const snapshot = operation(
    configOperations.snapshot,
    (version: Version) =>
      Effect.map(Effect.flatMap(resolveVersion(version), getSnapshot), (row) => snapshotView(row, false)),
  )

  const rawSnapshot = operation(
    configOperations.rawSnapshot,
    (id: string | number) => Effect.map(getSnapshot(id), (row) => snapshotView(row, true)),
  )

  /** Two explicit versions, or the last change of one file. */
  type DiffRequest =
    | { readonly from: string | number; readonly to: string | number }
    | { readonly device: string; readonly path: string }

  const diffIds = (request: DiffRequest) =>
    "from" in request ? Effect.succeed([request.from, request.to] as const) : Effect.gen(function* () {
      const [latest, previous] = yield* latestIds(request.device, request.path)
      if (previous === undefined) {
        return yield* Effect.fail(
          new ValidationError({ message: `${request.path} has a single version: nothing to diff` }),
        )
      }
      return [previous, latest!] as const
    })

  /** The diff plus what changed between the two versions: the recorded event when `to` directly follows `from`. */
  const diffWithAnalysis = (from: string | number, to: string | number, raw: boolean) =>
    Effect.gen(function* () {
      const result = yield* diffSnapshots(from, to, raw)
      const [a, b] = yield* Effect.all([getSnapshot(from), getSnapshot(to)])
      return { ...result, analysis: analysisBetween(a, b, raw) }
    })

  const diff = operation(
    configOperations.diff,
    (request: DiffRequest) => Effect.flatMap(diffIds(request), ([a, b]) => diffWithAnalysis(a, b, false)),
  )

  const rawDiff = operation(
    configOperations.rawDiff,
    (from: string | number, to: string | number) => diffWithAnalysis(from, to, true),
  )

  const changes = operation(
    configOperations.changes,
    (filter: ChangeFilter) => Effect.map(listChanges(filter), (rows) => ({ count: rows.length, changes: rows })),
  )

  const current = operation(
    configOperations.current,
    (configType?: string) => Effect.map(currentFiles(configType), (rows) => ({ count: rows.length, files: rows })),
  )

  const serviceMap = operation(
    configOperations.serviceMap,
    (device: string | number) =>
      Effect.gen(function* () {
        const caller = yield* Caller
        const dev = yield* store.getDevice(device)
        return yield* buildDeviceServiceMap(dev, { method: caller.method, source: caller.source })
      }),
  )

  const watchStatus = operation(configOperations.watchStatus, () => Effect.sync(() => ({ devices: watcher.status() })))

  const scan = operation(configOperations.scan, (device: string | number) =>
    Effect.gen(function* () {
      const dev = yield* store.getDevice(device)
      const caller = yield* Caller
      const out = yield* watcher.scan(dev.id, { source: "api", method: caller.method })
      return { device: dev.name, files: out.files, recorded: out.recorded, unreadable: out.unreadable }
    }))

  const restoreWith = (device: string | number, snapshotId: string | number, dryRun: boolean, validate: boolean) =>
    Effect.gen(function* () {
      const caller = yield* Caller
      return yield* restoreSnapshot(device, {
        snapshotId,
        dryRun,
        validate,
        method: caller.method,
        source: `${caller.source}${dryRun ? " (dry run)" : ""}`,
      }, watcher.settings)
    })

  const restorePreview = operation(
    configOperations.restorePreview,
    (device: string | number, snapshotId: string | number) => restoreWith(device, snapshotId, true, false),
  )

  const restore = operation(
    configOperations.restore,
    (device: string | number, snapshotId: string | number, options: { readonly validate?: boolean } = {}) =>
      restoreWith(device, snapshotId, false, options.validate !== false),
  )

  return {
    tracked,
    history,
    snapshot,
    rawSnapshot,
    diff,
    rawDiff,
    changes,
    current,
    serviceMap,
    watchStatus,
    scan,
    restorePreview,
    restore,
  }
})

export type ConfigsShape = Effect.Success<typeof makeConfigs>

export class Configs extends Context.Service<Configs, ConfigsShape>()("infrastructor/app/Configs") {
  static readonly layer = Layer.effect(Configs, makeConfigs)
}

/**
 * Configuration history: content-addressed versions of tracked files plus one change event per
 * version. A version is recorded only when a file's content differs from its latest version.
 */
import { Buffer } from "node:buffer"
import { createHash } from "node:crypto"
import { Effect } from "effect"
import type { Device } from "../domain/device.ts"
import { NotFound, type StoreError, ValidationError } from "../domain/errors.ts"
import { Events } from "../events/Events.ts"
import { type FullSnapshot, type SnapshotRow, Store } from "../store/Store.ts"
import { analyzeChange, parseConfig, redactContent, unifiedDiff } from "./analyze.ts"
import type {
  ChangeAnalysis,
  ChangeType,
  ConfigType,
  ConfigVersion,
  DetectionSource,
  ParsedConfig,
  RiskLevel,
} from "./types.ts"

/** What a read of one file found on the host. */
export type DetectedFile =
  & {
    readonly path: string
    readonly configType: ConfigType
    readonly mtime?: Date | null | undefined
    /** The tracked file this one was renamed from (inotify MOVED_FROM → MOVED_TO). */
    readonly movedFrom?: string | undefined
  }
  & (
    | { readonly state: "present"; readonly bytes: Uint8Array }
    | { readonly state: "too_large"; readonly sha256: string; readonly size: number }
    | { readonly state: "deleted" }
    /** The path leads (through a symlink) outside the watched globs: recorded with its target, never read. */
    | { readonly state: "outside"; readonly target: string }
  )

export interface RecordContext {
  readonly source: DetectionSource
  /** When the change was noticed (ms, local clock); the latency stored is commit time minus this. */
  readonly detectedAt?: number | undefined
  /** Keep secrets in stored content (config `store_raw_secrets`); otherwise content is redacted. */
  readonly storeRawSecrets: boolean
}

export type RecordOutcome =
  | { readonly recorded: false; readonly path: string }
  | {
    readonly recorded: true
    readonly path: string
    readonly snapshotId: number
    readonly eventId: number
    readonly changeType: ChangeType
    readonly risk: RiskLevel
  }

/**
 * What makes two versions the same: the content hash, or for a path leading outside the globs its
 * target (so such a link is recorded once, and again only when it points elsewhere); null: deleted.
 */
const identityOf = (contentHash: string | null, linkTarget: string | null): string | null =>
  contentHash ?? (linkTarget === null ? null : `link:${linkTarget}`)

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/** UTF-8 text stays text (BOM kept); anything else (invalid UTF-8, NUL, which text columns refuse) is base64. */
export const encodeContent = (bytes: Uint8Array): { readonly text: string; readonly encoding: "utf8" | "base64" } => {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes)
    if (!text.includes("\u0000")) return { text, encoding: "utf8" }
  } catch {
    // not UTF-8
  }
  return { text: Buffer.from(bytes).toString("base64"), encoding: "base64" }
}

/** The stored bytes of a snapshot (as stored: redacted when it was redacted). */
export const snapshotBytes = (row: Pick<SnapshotRow, "content" | "content_encoding">): Buffer =>
  row.content_encoding === "base64" ? Buffer.from(row.content, "base64") : Buffer.from(row.content, "utf8")

/** Text for parsing, diffs and display; binary content is shown lossily. */
export const snapshotText = (row: Pick<SnapshotRow, "content" | "content_encoding">): string =>
  row.content_encoding === "base64" ? snapshotBytes(row).toString("utf8") : row.content

const safeParse = (type: ConfigType, path: string, text: string): ParsedConfig => {
  try {
    return parseConfig(type, path, text)
  } catch (e) {
    return { ok: false, error: `parser failed: ${(e as Error).message ?? String(e)}` }
  }
}

const versionOf = (row: SnapshotRow | undefined): ConfigVersion | null => {
  if (row === undefined || row.content_hash === null || row.size_too_large) return null
  const text = snapshotText(row)
  return { path: row.path, content: text, parsed: safeParse(row.config_type as ConfigType, row.path, text) }
}

const fixedAnalysis = (risk: RiskLevel, rule: string): ChangeAnalysis => ({
  diff: { linesAdded: 0, linesRemoved: 0, hunks: 0, semantic: [] },
  affectedServices: [],
  requiresRestart: false,
  restartServices: [],
  risk,
  rule,
})

const safeAnalyze = (
  type: ConfigType,
  change: ChangeType,
  before: ConfigVersion | null,
  after: ConfigVersion | null,
): ChangeAnalysis => {
  try {
    return analyzeChange(type, change, before, after)
  } catch {
    return fixedAnalysis("MEDIUM", "analysis-failed")
  }
}

const MAX_ATTEMPTS = 5

/** Record what was found for one file, if it differs from the latest stored version. */
export const recordVersion = (
  device: Device,
  file: DetectedFile,
  ctx: RecordContext,
): Effect.Effect<RecordOutcome, StoreError, Store | Events> =>
  Effect.gen(function* () {
    const store = yield* Store
    const events = yield* Events
    const type = file.configType
    const hash = file.state === "present" ? sha256Hex(file.bytes) : file.state === "too_large" ? file.sha256 : null
    const linkTarget = file.state === "outside" ? file.target : null
    const identity = identityOf(hash, linkTarget)

    // Stored form and parse of the new version, computed once.
    let stored = { text: "", encoding: "utf8" as "utf8" | "base64", redacted: false }
    let parsed: ParsedConfig | null = null
    if (file.state === "present") {
      const enc = encodeContent(file.bytes)
      if (enc.encoding === "utf8") {
        parsed = safeParse(type, file.path, enc.text)
        const text = ctx.storeRawSecrets ? enc.text : redactContent(type, enc.text)
        stored = { text, encoding: "utf8", redacted: text !== enc.text }
      } else {
        parsed = { ok: false, error: "content is not UTF-8 text" }
        stored = { text: enc.text, encoding: "base64", redacted: false }
      }
    }
    const bytes = file.state === "present" ? file.bytes.length : file.state === "too_large" ? file.size : 0

    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const latest = yield* store.latestConfigSnapshot(device.id, file.path)
      const latestHash = latest?.content_hash ?? null
      const latestIdentity = latest === undefined ? null : identityOf(latestHash, latest.link_target ?? null)
      if (identity === latestIdentity) return { recorded: false, path: file.path }
      const changeType: ChangeType = identity === null
        ? "DELETE"
        : file.movedFrom !== undefined
        ? "MOVE"
        : latestIdentity === null
        ? "CREATE"
        : "MODIFY"

      let before = versionOf(latest)
      if (before === null && changeType === "MOVE" && file.movedFrom !== undefined) {
        before = versionOf(yield* store.latestConfigSnapshot(device.id, file.movedFrom, { withContent: true }))
      }
      const after: ConfigVersion | null = file.state === "present" && parsed !== null
        ? { path: file.path, content: stored.encoding === "utf8" ? stored.text : "", parsed }
        : null
      // A tracked config that leads out of the watched paths is worth a look whatever it was before.
      const analysis = file.state === "too_large"
        ? fixedAnalysis("MEDIUM", "content-too-large")
        : file.state === "outside"
        ? fixedAnalysis("HIGH", "symlink-outside-globs")
        : safeAnalyze(type, changeType, before, after)

      const written = yield* store.insertConfigVersion({
        deviceId: device.id,
        deviceName: device.name,
        path: file.path,
        configType: type,
        contentHash: hash,
        content: stored.text,
        contentEncoding: stored.encoding,
        contentRedacted: stored.redacted,
        contentBytes: bytes,
        parsed: parsed !== null && parsed.ok ? JSON.stringify(parsed.data ?? null) : null,
        parseError: parsed !== null && !parsed.ok
          ? parsed.error
          : file.state === "too_large"
          ? "file too large: content not stored"
          : file.state === "outside"
          ? "leads outside the watched globs: content not read"
          : null,
        changeType,
        previousSnapshotId: latest?.id ?? null,
        previousHash: latestHash,
        movedFrom: changeType === "MOVE" ? file.movedFrom ?? null : null,
        fileMtime: file.mtime ?? null,
        detectionSource: ctx.source,
        detectionLatencyMs: ctx.detectedAt === undefined ? null : Math.max(0, Date.now() - ctx.detectedAt),
        sizeTooLarge: file.state === "too_large",
        linkTarget,
        diffSummary: JSON.stringify(analysis.diff),
        affectedServices: JSON.stringify(analysis.affectedServices),
        requiresRestart: analysis.requiresRestart,
        restartServices: JSON.stringify(analysis.restartServices),
        riskLevel: analysis.risk,
        riskRule: analysis.rule,
      })
      // Another writer appended after the same head (the chain index refused ours): re-read the head.
      if (written === undefined) continue
      const { snapshotId } = written
      yield* events.publish({
        _tag: "ConfigurationChanged",
        device: device.name,
        path: file.path,
        configType: type,
        changeType,
        risk: analysis.risk,
        snapshotId,
        detectionSource: ctx.source,
      })
      return {
        recorded: true,
        path: file.path,
        snapshotId,
        eventId: written.eventId,
        changeType,
        risk: analysis.risk,
      }
    }
    return yield* Effect.logWarning("config version not recorded: too many concurrent writers", file.path).pipe(
      Effect.as({ recorded: false, path: file.path } as RecordOutcome),
    )
  })

// --- queries ------------------------------------------------------------------------------------

export interface KnownFile {
  readonly path: string
  readonly configType: string
  /** null when the latest version is a deletion or a link outside the globs. */
  readonly hash: string | null
  /** Where the path led when the latest version is a link outside the globs. */
  readonly linkTarget: string | null
}

/** Latest known hash per path of a device (deleted files included, hash null). */
export const latestHashes = (deviceId: number): Effect.Effect<Map<string, KnownFile>, StoreError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const rows = yield* store.latestConfigHashes(deviceId)
    return new Map(
      rows.map((r) => [r.path, {
        path: r.path,
        configType: r.config_type,
        hash: r.content_hash,
        linkTarget: r.link_target,
      }]),
    )
  })

/** Every file ever tracked on a device: its current state, version count and last change. */
export const trackedFiles = (deviceId: number) => Store.use((store) => store.trackedConfigFiles(deviceId))

/** Versions of one path, newest first, without content. */
export const fileHistory = (deviceId: number, path: string, limit: number) =>
  Store.use((store) => store.configFileHistory(deviceId, path, limit))

const parseId = (name: string, raw: string | number | undefined): number => {
  const n = typeof raw === "number" ? raw : /^\d{1,15}$/.test(raw ?? "") ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError({ message: `${name} must be a snapshot id, got '${String(raw)}'` })
  }
  return n
}

export type { FullSnapshot }

export const getSnapshot = (
  rawId: string | number,
): Effect.Effect<FullSnapshot, StoreError | NotFound | ValidationError, Store> =>
  Effect.gen(function* () {
    const id = yield* Effect.try({ try: () => parseId("id", rawId), catch: (e) => e as ValidationError })
    const store = yield* Store
    const row = yield* store.configSnapshot(id)
    if (row === undefined) return yield* Effect.fail(new NotFound({ message: `no configuration snapshot ${id}` }))
    return row
  })

/** Content for output: secrets redacted unless raw is asked for (only possible when stored raw). */
export const displayContent = (row: FullSnapshot, raw: boolean): { content: string; redacted: boolean } => {
  const text = snapshotText(row)
  if (raw || row.content_encoding === "base64") return { content: text, redacted: row.content_redacted }
  const redacted = redactContent(row.config_type as ConfigType, text)
  return { content: redacted, redacted: row.content_redacted || redacted !== text }
}

export const snapshotView = (row: FullSnapshot, raw: boolean) => {
  const { content, redacted } = displayContent(row, raw)
  return { ...row, content, content_redacted: redacted }
}

/** Unified diff between two stored versions (redacted unless raw). */
export const diffSnapshots = (from: string | number, to: string | number, raw: boolean) =>
  Effect.gen(function* () {
    const a = yield* getSnapshot(from)
    const b = yield* getSnapshot(to)
    const ca = a.content_hash === null ? "" : displayContent(a, raw).content
    const cb = b.content_hash === null ? "" : displayContent(b, raw).content
    return {
      from: {
        id: a.id,
        path: a.path,
        device: a.device_name,
        content_hash: a.content_hash,
        link_target: a.link_target,
        time: a["time"],
      },
      to: {
        id: b.id,
        path: b.path,
        device: b.device_name,
        content_hash: b.content_hash,
        link_target: b.link_target,
        time: b["time"],
      },
      identical: identityOf(a.content_hash, a.link_target) === identityOf(b.content_hash, b.link_target),
      diff: unifiedDiff(`${a.path}@${a.id}`, ca, `${b.path}@${b.id}`, cb),
    }
  })

export interface ChangeFilter {
  readonly device?: string | undefined
  readonly configType?: string | undefined
  readonly since?: Date | undefined
  readonly risk?: ReadonlyArray<string> | undefined
  readonly path?: string | undefined
  /** CREATE, MODIFY, DELETE or MOVE. */
  readonly changeType?: string | undefined
  /** Events older than this event id (the next page of a feed). */
  readonly before?: number | undefined
  readonly limit: number
}

const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
const CHANGE_TYPES = ["CREATE", "MODIFY", "DELETE", "MOVE"]

/** Change events, newest first. */
export const listChanges = (f: ChangeFilter) =>
  Effect.gen(function* () {
    if (f.risk !== undefined && f.risk.length > 0) {
      const bad = f.risk.find((r) => !RISKS.includes(r))
      if (bad !== undefined) {
        return yield* Effect.fail(new ValidationError({ message: `risk must be one of ${RISKS.join(", ")}` }))
      }
    }
    if (f.changeType !== undefined && !CHANGE_TYPES.includes(f.changeType)) {
      return yield* Effect.fail(
        new ValidationError({ message: `change_type must be one of ${CHANGE_TYPES.join(", ")}` }),
      )
    }
    if (f.before !== undefined && !(Number.isSafeInteger(f.before) && f.before > 0)) {
      return yield* Effect.fail(new ValidationError({ message: "before must be a positive event id" }))
    }
    const store = yield* Store
    return yield* store.configChanges(f)
  })

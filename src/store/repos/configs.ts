import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import type { Row, Sql } from "./sql.ts"

/** A stored version of a tracked file (configuration_snapshots), as the history code reads it. */
export interface SnapshotRow {
  readonly id: number
  readonly path: string
  readonly config_type: string
  readonly content_hash: string | null
  readonly content: string
  readonly content_encoding: "utf8" | "base64"
  readonly content_redacted: boolean
  readonly size_too_large: boolean
  readonly link_target: string | null
  readonly [key: string]: unknown
}

/** A snapshot with its change event's analysis. */
export type FullSnapshot = SnapshotRow & { readonly device_id: number | null; readonly device_name: string }

/** One new version and its change event, written together. */
export interface ConfigVersionInsert {
  readonly deviceId: number
  readonly deviceName: string
  readonly path: string
  readonly configType: string
  readonly contentHash: string | null
  readonly content: string
  readonly contentEncoding: "utf8" | "base64"
  readonly contentRedacted: boolean
  readonly contentBytes: number
  /** JSON text of the parsed form, or null. */
  readonly parsed: string | null
  readonly parseError: string | null
  readonly changeType: string
  /** The head this version follows (null for the first): the chain index refuses a second writer after it. */
  readonly previousSnapshotId: number | null
  readonly previousHash: string | null
  readonly movedFrom: string | null
  readonly fileMtime: Date | null
  readonly detectionSource: string
  readonly detectionLatencyMs: number | null
  readonly sizeTooLarge: boolean
  readonly linkTarget: string | null
  /** JSON text. */
  readonly diffSummary: string
  /** JSON text. */
  readonly affectedServices: string
  readonly requiresRestart: boolean
  /** JSON text. */
  readonly restartServices: string
  readonly riskLevel: string
  readonly riskRule: string
}

export interface LatestConfigHash {
  readonly path: string
  readonly config_type: string
  readonly content_hash: string | null
  readonly link_target: string | null
}

export interface ConfigChangeFilter {
  readonly device?: string | undefined
  readonly configType?: string | undefined
  readonly since?: Date | undefined
  /** Risk levels, already checked by the caller. */
  readonly risk?: ReadonlyArray<string> | undefined
  readonly path?: string | undefined
  /** Checked by the caller. */
  readonly changeType?: string | undefined
  /** Event ids below this one. */
  readonly before?: number | undefined
  readonly limit: number
}

/** Configuration history: configuration_snapshots and configuration_change_events. */
export interface ConfigsRepo {
  /** The newest version of a path (or the newest with content, when `withContent`). */
  readonly latestConfigSnapshot: (
    deviceId: number,
    path: string,
    options?: { readonly withContent?: boolean },
  ) => Effect.Effect<SnapshotRow | undefined, StoreError>
  /**
   * Append a version and its event in one statement. undefined: another writer appended after the
   * same head first (re-read the head and retry).
   */
  readonly insertConfigVersion: (
    v: ConfigVersionInsert,
  ) => Effect.Effect<{ readonly snapshotId: number; readonly eventId: number } | undefined, StoreError>
  /** Latest hash per path of a device (deleted files included, hash null). */
  readonly latestConfigHashes: (deviceId: number) => Effect.Effect<Array<LatestConfigHash>, StoreError>
  /** Every file ever tracked on a device: its current state, version count and last change. */
  readonly trackedConfigFiles: (deviceId: number) => Effect.Effect<Array<Row>, StoreError>
  /** Versions of one path, newest first, without content. */
  readonly configFileHistory: (deviceId: number, path: string, limit: number) => Effect.Effect<Array<Row>, StoreError>
  readonly configSnapshot: (id: number) => Effect.Effect<FullSnapshot | undefined, StoreError>
  /** Change events, newest first. */
  readonly configChanges: (filter: ConfigChangeFilter) => Effect.Effect<Array<Row>, StoreError>
  /** The latest (not deleted) version of every tracked file, optionally of one type: parsed form, no content. */
  readonly currentConfigFiles: (configType: string | undefined) => Effect.Effect<Array<Row>, StoreError>
  /** Latest parsed version of each proxy config of a device that still has content, by path. */
  readonly proxyConfigs: (
    deviceId: number,
  ) => Effect.Effect<Array<{ readonly path: string; readonly parsed: unknown }>, StoreError>
}

const SNAPSHOT_COLUMNS =
  "id, path, config_type, content_hash, content, content_encoding, content_redacted, size_too_large, link_target"

/**
 * One statement, so snapshot and event commit together. ON CONFLICT DO NOTHING hits the chain
 * index when another writer appended after the same head: then no row comes back.
 */
const INSERT = `WITH snap AS (
  INSERT INTO configuration_snapshots (device_id, device_name, path, config_type, content_hash, content,
    content_encoding, content_redacted, content_bytes, parsed, parse_error, change_type, previous_snapshot_id,
    previous_hash, moved_from, file_mtime, detection_source, detection_latency_ms, size_too_large, link_target)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18, $19, $26)
  ON CONFLICT DO NOTHING
  RETURNING id, time
), ev AS (
  INSERT INTO configuration_change_events (time, device_id, device_name, path, config_type, snapshot_id,
    previous_snapshot_id, change_type, diff_summary, affected_services, requires_restart, restart_services,
    risk_level, risk_rule, detection_source, link_target)
  SELECT snap.time, $1, $2, $3, $4, snap.id, $13, $12, $20::jsonb, $21::jsonb, $22, $23::jsonb, $24, $25, $17, $26
    FROM snap
  RETURNING id
)
SELECT (SELECT id FROM snap) AS snapshot_id, (SELECT id FROM ev) AS event_id`

const SUMMARY_COLUMNS = `s.id, s.time, s.device_name, s.path, s.config_type, s.change_type, s.content_hash,
  s.previous_snapshot_id, s.previous_hash, s.moved_from, s.file_mtime, s.detection_source, s.detection_latency_ms,
  s.size_too_large, s.link_target, s.content_bytes, s.content_redacted, s.parse_error,
  e.id AS event_id, e.risk_level, e.risk_rule, e.diff_summary, e.requires_restart`

/** The history reads whose plans test/config-history-plans.test.ts checks for whole-table scans. */
export const HISTORY_QUERIES = {
  /** $1 device id, $2 path, $3 limit. */
  fileHistory: `SELECT ${SUMMARY_COLUMNS} FROM configuration_snapshots s
         LEFT JOIN configuration_change_events e ON e.snapshot_id = s.id
        WHERE s.device_id = $1 AND s.path = $2 ORDER BY s.id DESC LIMIT $3`,
  /** $1 snapshot id. */
  snapshot: `SELECT s.*, e.risk_level, e.risk_rule, e.diff_summary, e.affected_services, e.requires_restart,
                e.restart_services
           FROM configuration_snapshots s LEFT JOIN configuration_change_events e ON e.snapshot_id = s.id
          WHERE s.id = $1`,
  /** $1 device id. */
  trackedFiles: `SELECT path, config_type, content_hash, link_target, snapshot_id, change_type, last_change, versions,
              size_too_large, content_bytes, detection_source, change_type = 'DELETE' AS deleted
         FROM (SELECT DISTINCT ON (path) path, config_type, content_hash, link_target, id AS snapshot_id, change_type,
                      time AS last_change, size_too_large, content_bytes, detection_source,
                      count(*) OVER (PARTITION BY path) AS versions
                 FROM configuration_snapshots WHERE device_id = $1 ORDER BY path, id DESC) t
        ORDER BY path`,
} as const

export const makeConfigsRepo = (sql: Sql): ConfigsRepo => ({
  latestConfigSnapshot: (deviceId, path, options = {}) =>
    Effect.map(
      sql.rows<SnapshotRow>(
        "latestConfigSnapshot",
        `SELECT ${SNAPSHOT_COLUMNS} FROM configuration_snapshots WHERE device_id = $1 AND path = $2${
          options.withContent === true ? " AND content_hash IS NOT NULL" : ""
        } ORDER BY id DESC LIMIT 1`,
        [deviceId, path],
      ),
      (rows) => rows[0],
    ),

  insertConfigVersion: Effect.fn("Store.insertConfigVersion")(function* (v: ConfigVersionInsert) {
    const rows = yield* sql.rows<{ snapshot_id: number | null; event_id: number | null }>(
      "insertConfigVersion",
      INSERT,
      [
        v.deviceId,
        v.deviceName,
        v.path,
        v.configType,
        v.contentHash,
        v.content,
        v.contentEncoding,
        v.contentRedacted,
        v.contentBytes,
        v.parsed,
        v.parseError,
        v.changeType,
        v.previousSnapshotId,
        v.previousHash,
        v.movedFrom,
        v.fileMtime,
        v.detectionSource,
        v.detectionLatencyMs,
        v.sizeTooLarge,
        v.diffSummary,
        v.affectedServices,
        v.requiresRestart,
        v.restartServices,
        v.riskLevel,
        v.riskRule,
        v.linkTarget,
      ],
    )
    const row = rows[0]
    if (row === undefined || row.snapshot_id === null || row.event_id === null) return undefined
    return { snapshotId: Number(row.snapshot_id), eventId: Number(row.event_id) }
  }),

  latestConfigHashes: (deviceId) =>
    sql.rows<LatestConfigHash>(
      "latestConfigHashes",
      `SELECT DISTINCT ON (path) path, config_type, content_hash, link_target FROM configuration_snapshots
        WHERE device_id = $1 ORDER BY path, id DESC`,
      [deviceId],
    ),

  trackedConfigFiles: (deviceId) =>
    sql.rows(
      "trackedConfigFiles",
      HISTORY_QUERIES.trackedFiles,
      [deviceId],
    ),

  configFileHistory: (deviceId, path, limit) =>
    sql.rows(
      "configFileHistory",
      HISTORY_QUERIES.fileHistory,
      [deviceId, path, limit],
    ),

  configSnapshot: (id) =>
    Effect.map(
      sql.rows<FullSnapshot>(
        "configSnapshot",
        HISTORY_QUERIES.snapshot,
        [id],
      ),
      (rows) => rows[0],
    ),

  configChanges: (f) => {
    const where: Array<string> = []
    const params: Array<unknown> = []
    const add = (condition: string, value: unknown) => {
      params.push(value)
      where.push(condition.replace("?", `$${params.length}`))
    }
    if (f.device !== undefined) add("device_name = ?", f.device)
    if (f.configType !== undefined) add("config_type = ?", f.configType)
    if (f.since !== undefined) add("time >= ?", f.since)
    if (f.path !== undefined) add("path = ?", f.path)
    if (f.changeType !== undefined) add("change_type = ?", f.changeType)
    if (f.before !== undefined) add("id < ?", f.before)
    if (f.risk !== undefined && f.risk.length > 0) add("risk_level = ANY(?::text[])", `{${f.risk.join(",")}}`)
    params.push(f.limit)
    return sql.rows(
      "configChanges",
      `SELECT * FROM configuration_change_events ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
        ORDER BY id DESC LIMIT $${params.length}`,
      params,
    )
  },

  currentConfigFiles: (configType) =>
    sql.rows(
      "currentConfigFiles",
      `SELECT * FROM (SELECT DISTINCT ON (device_id, path) id AS snapshot_id, device_name, path, config_type,
              change_type, time AS last_change, parsed, parse_error
         FROM configuration_snapshots ${configType === undefined ? "" : "WHERE config_type = $1"}
        ORDER BY device_id, path, id DESC) t
        WHERE change_type <> 'DELETE' ORDER BY device_name, path`,
      configType === undefined ? [] : [configType],
    ),

  proxyConfigs: (deviceId) =>
    sql.rows<{ path: string; parsed: unknown }>(
      "proxyConfigs",
      `SELECT path, parsed FROM (SELECT DISTINCT ON (path) path, parsed, content_hash FROM configuration_snapshots
          WHERE device_id = $1 AND config_type = 'proxy_configs' ORDER BY path, id DESC) t
        WHERE content_hash IS NOT NULL ORDER BY path`,
      [deviceId],
    ),
})

import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import { toParam } from "../rows.ts"
import { badName, clampLimit, identifier, type Row, type Sql } from "./sql.ts"

/** An alert row's fields the engine writes when it opens one. */
export interface AlertInsert {
  readonly ruleId: string
  readonly ruleName: string
  readonly severity: string
  readonly deviceId: number | null
  readonly deviceName: string
  readonly subject: string
  readonly labels: Readonly<Record<string, string>>
  readonly state: "pending" | "firing"
  readonly value: number | null
  readonly threshold: number | null
  readonly summary: string
  readonly details: unknown
}

/** A change to an open alert, applied only while it is still in `expect` (so two writers cannot both act). */
export interface AlertUpdate {
  readonly state?: "pending" | "firing" | "resolved" | undefined
  readonly value?: number | null | undefined
  readonly threshold?: number | null | undefined
  readonly summary?: string | undefined
  readonly labels?: Readonly<Record<string, string>> | undefined
  readonly fired?: boolean | undefined
  readonly resolved?: boolean | undefined
  readonly notified?: boolean | undefined
}

export interface AlertFilter {
  readonly state?: ReadonlyArray<string> | undefined
  readonly device?: string | undefined
  readonly severity?: ReadonlyArray<string> | undefined
  readonly ruleId?: string | undefined
  readonly limit?: number | undefined
}

export interface SilenceInsert {
  readonly ruleId: string | null
  readonly device: string | null
  readonly tag: string | null
  readonly subject: string | null
  readonly until: Date
  readonly createdBy: string | null
  readonly reason: string
}

export interface AlertsRepo {
  readonly alertRuleRows: () => Effect.Effect<Array<Row>, StoreError>
  readonly upsertAlertRule: (id: string, definition: unknown) => Effect.Effect<void, StoreError>
  readonly deleteAlertRule: (id: string) => Effect.Effect<boolean, StoreError>
  /**
   * The rows of a device's newest `collections` collections of a table (newest first), each
   * with its `time`: the last read and the one before, for "increased" conditions.
   */
  readonly newestCollections: (
    deviceId: number,
    table: string,
    collections: number,
  ) => Effect.Effect<Array<Row>, StoreError>
  /** Open (pending or firing) alerts, of one device or all. */
  readonly openAlerts: (deviceName?: string) => Effect.Effect<Array<Row>, StoreError>
  /** The new row, or undefined when an open alert for that rule/device/subject already exists. */
  readonly insertAlert: (alert: AlertInsert) => Effect.Effect<Row | undefined, StoreError>
  readonly updateAlert: (id: number, expect: string, update: AlertUpdate) => Effect.Effect<Row | undefined, StoreError>
  readonly listAlerts: (filter: AlertFilter) => Effect.Effect<Array<Row>, StoreError>
  readonly getAlert: (id: number) => Effect.Effect<Row | undefined, StoreError>
  readonly acknowledgeAlert: (id: number, by: string) => Effect.Effect<Row | undefined, StoreError>
  readonly insertSilence: (silence: SilenceInsert) => Effect.Effect<Row, StoreError>
  readonly deleteSilence: (id: number) => Effect.Effect<boolean, StoreError>
  /** Silences still in force (until in the future), or every one with `all`. */
  readonly listSilences: (all: boolean) => Effect.Effect<Array<Row>, StoreError>
  /** The stored analysis of a config change (risk rule, diff summary) by its snapshot. */
  readonly configChangeOf: (snapshotId: number) => Effect.Effect<Row | undefined, StoreError>
}

/** A PostgreSQL text[] literal (both drivers bind it as text); every element quoted. */
const textArray = (values: ReadonlyArray<string>): string =>
  `{${values.map((v) => `"${v.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`

const alertColumns = `id, rule_id, rule_name, severity, device_id, device_name, subject, labels, state, value,
  threshold, summary, details, started_at, fired_at, resolved_at, acknowledged_at, acknowledged_by,
  last_notified_at, updated_at`

export const makeAlertsRepo = (sql: Sql): AlertsRepo => ({
  alertRuleRows: () => sql.rows("alertRuleRows", "SELECT id, definition FROM alert_rules ORDER BY id"),

  upsertAlertRule: (id, definition) =>
    Effect.asVoid(sql.run(
      "upsertAlertRule",
      `INSERT INTO alert_rules (id, definition) VALUES ($1, $2::jsonb)
       ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()`,
      [id, toParam(definition)],
    )),

  deleteAlertRule: (id) =>
    Effect.map(
      sql.run("deleteAlertRule", "DELETE FROM alert_rules WHERE id = $1", [id]),
      (r) => r.count > 0,
    ),

  newestCollections: (deviceId, table, collections) =>
    identifier.test(table)
      ? sql.rows(
        "newestCollections",
        `SELECT t.* FROM ${table} t
         WHERE t.device_id = $1 AND t.time IN (
           SELECT DISTINCT time FROM ${table} WHERE device_id = $1 ORDER BY time DESC LIMIT $2)
         ORDER BY t.time DESC`,
        [deviceId, Math.max(1, Math.min(10, Math.floor(collections)))],
      )
      : Effect.fail(badName("newestCollections", "table", table)),

  openAlerts: (deviceName) =>
    deviceName === undefined
      ? sql.rows("openAlerts", `SELECT ${alertColumns} FROM alerts WHERE state IN ('pending', 'firing') ORDER BY id`)
      : sql.rows(
        "openAlerts",
        `SELECT ${alertColumns} FROM alerts WHERE state IN ('pending', 'firing') AND device_name = $1 ORDER BY id`,
        [deviceName],
      ),

  insertAlert: (a) =>
    Effect.map(
      sql.rows(
        "insertAlert",
        `INSERT INTO alerts (rule_id, rule_name, severity, device_id, device_name, subject, labels, state, value,
           threshold, summary, details, fired_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12::jsonb,
           CASE WHEN $8 = 'firing' THEN now() END)
         ON CONFLICT (rule_id, device_name, subject) WHERE state IN ('pending', 'firing') DO NOTHING
         RETURNING ${alertColumns}`,
        [
          a.ruleId,
          a.ruleName,
          a.severity,
          a.deviceId,
          a.deviceName,
          a.subject,
          toParam(a.labels),
          a.state,
          a.value,
          a.threshold,
          a.summary,
          toParam(a.details),
        ],
      ),
      (rows) => rows[0],
    ),

  updateAlert: (id, expect, u) => {
    const params: Array<unknown> = [id, expect]
    const sets = ["updated_at = now()"]
    const set = (column: string, value: unknown, cast = "") => sets.push(`${column} = $${params.push(value)}${cast}`)
    if (u.state !== undefined) set("state", u.state)
    if (u.value !== undefined) set("value", u.value)
    if (u.threshold !== undefined) set("threshold", u.threshold)
    if (u.summary !== undefined) set("summary", u.summary)
    if (u.labels !== undefined) set("labels", toParam(u.labels), "::jsonb")
    if (u.fired === true) sets.push("fired_at = now()")
    if (u.resolved === true) sets.push("resolved_at = now()")
    if (u.notified === true) sets.push("last_notified_at = now()")
    return Effect.map(
      sql.rows(
        "updateAlert",
        `UPDATE alerts SET ${sets.join(", ")} WHERE id = $1 AND state = $2 RETURNING ${alertColumns}`,
        params,
      ),
      (rows) => rows[0],
    )
  },

  listAlerts: (f) => {
    const params: Array<unknown> = []
    const where: Array<string> = []
    if (f.state !== undefined && f.state.length > 0) {
      where.push(`state = ANY($${params.push(textArray(f.state))}::text[])`)
    }
    if (f.severity !== undefined && f.severity.length > 0) {
      where.push(`severity = ANY($${params.push(textArray(f.severity))}::text[])`)
    }
    if (f.device !== undefined) where.push(`device_name = $${params.push(f.device)}`)
    if (f.ruleId !== undefined) where.push(`rule_id = $${params.push(f.ruleId)}`)
    const filter = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`
    return sql.rows(
      "listAlerts",
      `SELECT ${alertColumns} FROM alerts ${filter} ORDER BY started_at DESC, id DESC LIMIT $${
        params.push(clampLimit(f.limit))
      }`,
      params,
    )
  },

  getAlert: (id) =>
    Effect.map(sql.rows("getAlert", `SELECT ${alertColumns} FROM alerts WHERE id = $1`, [id]), (rows) => rows[0]),

  acknowledgeAlert: (id, by) =>
    Effect.map(
      sql.rows(
        "acknowledgeAlert",
        `UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $2, updated_at = now()
         WHERE id = $1 RETURNING ${alertColumns}`,
        [id, by],
      ),
      (rows) => rows[0],
    ),

  insertSilence: (s) =>
    Effect.map(
      sql.rows(
        "insertSilence",
        `INSERT INTO alert_silences (rule_id, device_name, tag, subject, until, created_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [s.ruleId, s.device, s.tag, s.subject, s.until, s.createdBy, s.reason],
      ),
      (rows) => rows[0] as Row,
    ),

  deleteSilence: (id) =>
    Effect.map(
      sql.run("deleteSilence", "DELETE FROM alert_silences WHERE id = $1", [id]),
      (r) => r.count > 0,
    ),

  listSilences: (all) =>
    sql.rows(
      "listSilences",
      `SELECT * FROM alert_silences ${all ? "" : "WHERE until > now()"} ORDER BY until DESC, id DESC LIMIT 1000`,
    ),

  configChangeOf: (snapshotId) =>
    Effect.map(
      sql.rows(
        "configChangeOf",
        `SELECT risk_rule, diff_summary, affected_services, requires_restart FROM configuration_change_events
         WHERE snapshot_id = $1 ORDER BY id DESC LIMIT 1`,
        [snapshotId],
      ),
      (rows) => rows[0],
    ),
})

import { makeGroupCommit } from "./group-commit.ts"
import { Effect } from "effect"
import type { Device, DeviceInput, DevicePatch } from "../domain/device.ts"
import { DeviceConflict, DeviceNotFound, StoreError, ValidationError } from "../domain/errors.ts"
import type { HostKeysShape } from "../ssh/HostKeys.ts"
import type { AuditEntry, AuditFilter, HistoryQuery, Row, StoreShape } from "./Store.ts"
import { isUniqueViolation, toStoreError } from "./errors.ts"
import { makeNotifications } from "./notify.ts"
import { openPassword, sealPassword, type SecretKey, secretKeyFromEnv } from "./secrets.ts"
import { pgSafeText, rowToDevice, rowToHostKey, toParam } from "./rows.ts"
import type { SqlClient, SqlResult } from "./SqlClient.ts"
import { type DeviceColumns, validateDeviceInput, validateDevicePatch } from "./validate.ts"

/** Table and column names are spliced into SQL text, so they must be plain identifiers. */
const identifier = /^[a-z_][a-z0-9_]*$/
const maxParams = 65535
const defaultLimit = 100
const maxLimit = 10000

const clampLimit = (limit: number | undefined): number =>
  limit === undefined || !Number.isFinite(limit) ? defaultLimit : Math.min(maxLimit, Math.max(1, Math.floor(limit)))

const badName = (op: string, what: string, name: string) =>
  new StoreError({ op, message: `invalid ${what} name ${JSON.stringify(name)}`, unavailable: false })

/** Postgres int4 range: bigger digit strings can only be names. */
const asId = (ref: string | number): number | undefined => {
  const n = typeof ref === "number" ? ref : /^\d{1,10}$/.test(ref) ? Number(ref) : Number.NaN
  return Number.isInteger(n) && n >= 1 && n <= 2147483647 ? n : undefined
}

export interface MakeStoreOptions {
  /** Key for device passwords at rest (default: INFRA_SECRET_KEY from the environment). */
  readonly secretKey?: SecretKey | undefined
}

export const makeStore = (client: SqlClient, storeOptions: MakeStoreOptions = {}): StoreShape => {
  const secretKey = storeOptions.secretKey ?? secretKeyFromEnv()
  /** Passwords are stored sealed (src/store/secrets.ts); a device in memory holds the plaintext. */
  const toDevice = (row: Record<string, unknown>): Device => {
    const device = rowToDevice(row)
    if (device.password === null) return device
    const opened = openPassword(device.password, secretKey)
    return { ...device, password: "plain" in opened ? opened.plain : null }
  }
  const sealColumns = <C extends { password?: string | null | undefined }>(cols: C): C | ValidationError => {
    if (typeof cols.password !== "string") return cols
    const sealed = sealPassword(cols.password, secretKey)
    return sealed instanceof ValidationError ? sealed : { ...cols, password: sealed }
  }
  // Lookup values come from URLs and query strings: a NUL byte there must be "not found", not a 500.
  const sql = (op: string, text: string, params: ReadonlyArray<unknown> = []): Effect.Effect<SqlResult, StoreError> =>
    Effect.tryPromise({
      try: () => client.query(text, params.map((p) => (typeof p === "string" ? pgSafeText(p) : p))),
      catch: (e) => toStoreError(op, e),
    })

  /** Like sql, but a unique violation becomes DeviceConflict. */
  const sqlUnique = (op: string, name: string, text: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({
      try: () => client.query(text, params.map((p) => (typeof p === "string" ? pgSafeText(p) : p))),
      catch: (
        e,
      ): DeviceConflict | StoreError => (isUniqueViolation(e) ? new DeviceConflict({ name }) : toStoreError(op, e)),
    })

  const findDevice = (ref: string | number): Effect.Effect<Device | undefined, StoreError> =>
    Effect.gen(function* () {
      const id = asId(ref)
      if (id !== undefined) {
        const byId = yield* sql("getDevice", "SELECT * FROM devices WHERE id = $1", [id])
        if (byId.rows[0] !== undefined) return toDevice(byId.rows[0])
        if (typeof ref === "number") return undefined
      }
      const byName = yield* sql("getDevice", "SELECT * FROM devices WHERE name = $1", [String(ref)])
      return byName.rows[0] === undefined ? undefined : toDevice(byName.rows[0])
    })

  const getDevice = (ref: string | number): Effect.Effect<Device, DeviceNotFound | StoreError> =>
    Effect.flatMap(
      findDevice(ref),
      (d) => (d === undefined ? Effect.fail(new DeviceNotFound({ device: String(ref) })) : Effect.succeed(d)),
    )

  const columnParam = (column: keyof DeviceColumns, value: unknown): unknown =>
    column === "tags" ? JSON.stringify(value) : value

  const createDevice = (input: DeviceInput) =>
    Effect.gen(function* () {
      const checked = validateDeviceInput(input)
      const cols = checked instanceof ValidationError ? checked : sealColumns(checked)
      if (cols instanceof ValidationError) return yield* Effect.fail(cols)
      const names = Object.keys(cols) as Array<keyof DeviceColumns>
      const text = `INSERT INTO devices (${names.join(", ")}) VALUES (${
        names.map((_, i) => `$${i + 1}`).join(", ")
      }) RETURNING *`
      const result = yield* sqlUnique("createDevice", cols.name, text, names.map((c) => columnParam(c, cols[c])))
      const row = result.rows[0]
      if (row === undefined) {
        return yield* Effect.fail(
          new StoreError({ op: "createDevice", message: "INSERT returned no row", unavailable: false }),
        )
      }
      return toDevice(row)
    })

  const updateDevice = (ref: string | number, patch: DevicePatch) =>
    Effect.gen(function* () {
      const checked = validateDevicePatch(patch)
      const cols = checked instanceof ValidationError ? checked : sealColumns(checked)
      if (cols instanceof ValidationError) return yield* Effect.fail(cols)
      const current = yield* getDevice(ref)
      const names = Object.keys(cols) as Array<keyof DeviceColumns>
      if (names.length === 0) return current
      const sets = names.map((c, i) => `${c} = $${i + 2}`)
      const text = `UPDATE devices SET ${sets.join(", ")}, updated_at = now() WHERE id = $1 RETURNING *`
      const params = [current.id, ...names.map((c) => columnParam(c, cols[c]))]
      const result = yield* sqlUnique("updateDevice", cols.name ?? current.name, text, params)
      const row = result.rows[0]
      if (row === undefined) return yield* Effect.fail(new DeviceNotFound({ device: String(ref) }))
      return toDevice(row)
    })

  const removeDevice = (ref: string | number) =>
    Effect.gen(function* () {
      const device = yield* getDevice(ref)
      const result = yield* sql("removeDevice", "DELETE FROM devices WHERE id = $1", [device.id])
      if (result.count === 0) return yield* Effect.fail(new DeviceNotFound({ device: String(ref) }))
    })

  // A null lastSeen keeps the previous value: "last seen" should not be forgotten on a failure.
  const setDeviceStatus = (id: number, status: string, lastSeen: Date | null) =>
    Effect.asVoid(
      sql("setDeviceStatus", "UPDATE devices SET status = $2, last_seen = coalesce($3, last_seen) WHERE id = $1", [
        id,
        status,
        lastSeen,
      ]),
    )

  const setDeviceCapabilities = (id: number, capabilities: unknown) =>
    Effect.asVoid(
      sql("setDeviceCapabilities", "UPDATE devices SET capabilities = $2, updated_at = now() WHERE id = $1", [
        id,
        toParam(capabilities),
      ]),
    )

  const insertRows = (
    table: string,
    rows: ReadonlyArray<Row>,
    options: { readonly skipDuplicates?: boolean } = {},
  ): Effect.Effect<number, StoreError> => {
    if (!identifier.test(table)) return Effect.fail(badName("insertRows", "table", table))
    if (rows.length === 0) return Effect.succeed(0)
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    const bad = columns.find((c) => !identifier.test(c))
    if (bad !== undefined) return Effect.fail(badName("insertRows", "column", bad))
    if (columns.length === 0) {
      return Effect.fail(new StoreError({ op: "insertRows", message: "rows have no columns", unavailable: false }))
    }

    const statement = (batch: ReadonlyArray<Row>) => {
      const params: Array<unknown> = []
      // A key missing from a row means the column default, not NULL.
      const tuples = batch.map(
        (row) =>
          `(${columns.map((c) => (row[c] === undefined ? "DEFAULT" : `$${params.push(toParam(row[c]))}`)).join(", ")})`,
      )
      // Without a conflict target, DO NOTHING covers every unique index, partial ones included.
      const conflict = options.skipDuplicates === true ? " ON CONFLICT DO NOTHING" : ""
      return { text: `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}${conflict}`, params }
    }
    const perStatement = Math.max(1, Math.floor(maxParams / columns.length))
    if (rows.length <= perStatement) {
      const { text, params } = statement(rows)
      return Effect.map(sql("insertRows", text, params), (r) => r.count)
    }
    // Too many parameters for one statement: split, but keep it all-or-nothing.
    return Effect.tryPromise({
      try: () =>
        client.transaction(async (tx) => {
          let total = 0
          for (let i = 0; i < rows.length; i += perStatement) {
            const { text, params } = statement(rows.slice(i, i + perStatement))
            total += (await tx.query(text, params)).count
          }
          return total
        }),
      catch: (e) => toStoreError("insertRows", e),
    })
  }

  const history = (q: HistoryQuery): Effect.Effect<Array<Row>, StoreError> => {
    if (!identifier.test(q.table)) return Effect.fail(badName("history", "table", q.table))
    const params: Array<unknown> = [q.deviceId]
    const where = ["device_id = $1"]
    if (q.from !== undefined) where.push(`time >= $${params.push(q.from)}`)
    if (q.to !== undefined) where.push(`time <= $${params.push(q.to)}`)
    const text = `SELECT * FROM ${q.table} WHERE ${where.join(" AND ")} ORDER BY time DESC LIMIT $${
      params.push(clampLimit(q.limit))
    }`
    return Effect.map(sql("history", text, params), (r) => r.rows)
  }

  const auditColumns = 17
  const auditValues = (e: AuditEntry): Array<unknown> =>
    [
      e.time,
      e.deviceId,
      e.deviceName,
      e.operationId,
      e.dataType,
      e.method,
      e.source,
      e.forceRefresh,
      e.cacheHit,
      e.durationMs,
      e.sshCommandCount,
      e.dataSizeBytes,
      e.status,
      e.errorMessage,
      e.recordsCreated,
      e.freshnessThreshold,
      e.tokenId ?? null,
    ].map((p) => (typeof p === "string" ? pgSafeText(p) : p))
  // Every API/MCP read writes an audit row: concurrent ones share one INSERT.
  const auditBatches = makeGroupCommit<AuditEntry>(async (entries) => {
    const params: Array<unknown> = []
    const tuples = entries.map((e) => {
      const start = params.length
      params.push(...auditValues(e))
      return `(${Array.from({ length: auditColumns }, (_, i) => `$${start + i + 1}`).join(", ")})`
    })
    await client.query(
      `INSERT INTO data_collection_audit (time, device_id, device_name, operation_id, data_type, method, source,
         force_refresh, cache_hit, duration_ms, ssh_command_count, data_size_bytes, status, error_message,
         records_created, freshness_threshold, token_id)
       VALUES ${tuples.join(", ")}`,
      params,
    )
  })

  const insertAudit = (e: AuditEntry): Effect.Effect<void, StoreError> =>
    Effect.tryPromise({ try: () => auditBatches.add(e), catch: (err) => toStoreError("insertAudit", err) })

  const queryAudit = (f: AuditFilter): Effect.Effect<Array<Row>, StoreError> => {
    const params: Array<unknown> = []
    const where: Array<string> = []
    if (f.device !== undefined) where.push(`device_name = $${params.push(f.device)}`)
    if (f.dataType !== undefined) where.push(`data_type = $${params.push(f.dataType)}`)
    if (f.method !== undefined) where.push(`method = $${params.push(f.method)}`)
    if (f.status !== undefined) where.push(`status = $${params.push(f.status)}`)
    if (f.since !== undefined) where.push(`time >= $${params.push(f.since)}`)
    const text = `SELECT * FROM data_collection_audit ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY time DESC, id DESC LIMIT $${params.push(clampLimit(f.limit))}`
    return Effect.map(sql("queryAudit", text, params), (r) => r.rows)
  }

  /** Bumped by every device write made through this store, so readers can cache device rows. */
  let devicesVersion = 0
  const bump = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.ensuring(effect, Effect.sync(() => void devicesVersion++))

  return {
    backend: client.backend,
    query: <T = Row>(text: string, params: ReadonlyArray<unknown> = []) =>
      Effect.map(sql("query", text, params), (r) => r.rows as Array<T>),
    listDevices: () =>
      Effect.map(sql("listDevices", "SELECT * FROM devices ORDER BY name"), (r) => r.rows.map(toDevice)),
    getDevice,
    createDevice: (input: DeviceInput) => bump(createDevice(input)),
    updateDevice: (ref: string | number, patch: DevicePatch) => bump(updateDevice(ref, patch)),
    removeDevice: (ref: string | number) => bump(removeDevice(ref)),
    setDeviceStatus,
    setDeviceCapabilities: (id: number, capabilities: unknown) => bump(setDeviceCapabilities(id, capabilities)),
    devicesVersion: () => devicesVersion,
    insertRows,
    history,
    insertAudit,
    queryAudit,
    ping: () => Effect.asVoid(sql("ping", "SELECT 1")),
    notifications: makeNotifications(client),
    close: () => Effect.promise(() => client.close().catch(() => undefined)),
  }
}

/** Trusted SSH host keys in the host_keys table. Re-trusting a different key restarts first_seen. */
export const makeHostKeys = (client: SqlClient): HostKeysShape => {
  const sql = (op: string, text: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({ try: () => client.query(text, params), catch: (e) => toStoreError(op, e) })
  return {
    get: (hostPort) =>
      Effect.map(
        sql("hostKeys.get", "SELECT * FROM host_keys WHERE host_port = $1", [hostPort]),
        (r) => r.rows[0] === undefined ? undefined : rowToHostKey(r.rows[0]),
      ),
    trust: (hostPort, algorithm, fingerprint) =>
      Effect.asVoid(
        sql(
          "hostKeys.trust",
          `INSERT INTO host_keys (host_port, algorithm, fingerprint) VALUES ($1, $2, $3)
           ON CONFLICT (host_port) DO UPDATE SET
             algorithm = EXCLUDED.algorithm,
             fingerprint = EXCLUDED.fingerprint,
             first_seen = CASE WHEN host_keys.fingerprint = EXCLUDED.fingerprint THEN host_keys.first_seen ELSE now() END,
             last_seen = now()`,
          [hostPort, algorithm, fingerprint],
        ),
      ),
    forget: (hostPort) =>
      Effect.asVoid(sql("hostKeys.forget", "DELETE FROM host_keys WHERE host_port = $1", [hostPort])),
  }
}

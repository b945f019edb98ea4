import { Effect } from "effect"
import type { Device, DeviceInput, DevicePatch } from "../../domain/device.ts"
import { DeviceConflict, DeviceNotFound, StoreError, ValidationError } from "../../domain/errors.ts"
import { isUniqueViolation, toStoreError } from "../errors.ts"
import { rowToDevice, toParam } from "../rows.ts"
import { openPassword, sealPassword, type SecretKey } from "../secrets.ts"
import { type DeviceColumns, validateDeviceInput, validateDevicePatch } from "../validate.ts"
import { safeParams, type Sql } from "./sql.ts"

/** The devices table. */
export interface DevicesRepo {
  readonly listDevices: () => Effect.Effect<Array<Device>, StoreError>
  /** By numeric id or by name. */
  readonly getDevice: (ref: string | number) => Effect.Effect<Device, DeviceNotFound | StoreError>
  readonly createDevice: (input: DeviceInput) => Effect.Effect<Device, DeviceConflict | ValidationError | StoreError>
  readonly updateDevice: (
    ref: string | number,
    patch: DevicePatch,
  ) => Effect.Effect<Device, DeviceNotFound | DeviceConflict | ValidationError | StoreError>
  readonly removeDevice: (ref: string | number) => Effect.Effect<void, DeviceNotFound | StoreError>
  readonly setDeviceStatus: (id: number, status: string, lastSeen: Date | null) => Effect.Effect<void, StoreError>
  /** Save a capability probe result on the device row. */
  readonly setDeviceCapabilities: (id: number, capabilities: unknown) => Effect.Effect<void, StoreError>
  /** Ids of the enabled devices, ascending (what the scheduler leases). */
  readonly enabledDeviceIds: () => Effect.Effect<Array<number>, StoreError>
  /** Changes whenever a device row is written through this process's store (cache invalidation). */
  readonly devicesVersion?: (() => number) | undefined
}

/** Postgres int4 range: bigger digit strings can only be names. */
const asId = (ref: string | number): number | undefined => {
  const n = typeof ref === "number" ? ref : /^\d{1,10}$/.test(ref) ? Number(ref) : Number.NaN
  return Number.isInteger(n) && n >= 1 && n <= 2147483647 ? n : undefined
}

const columnParam = (column: keyof DeviceColumns, value: unknown): unknown =>
  column === "tags" ? JSON.stringify(value) : value

export const makeDevicesRepo = (sql: Sql, secretKey: SecretKey): DevicesRepo => {
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

  /** Like sql.run, but a unique violation becomes DeviceConflict. */
  const runUnique = (op: string, name: string, text: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({
      try: () => sql.client.query(text, safeParams(params)),
      catch: (
        e,
      ): DeviceConflict | StoreError => (isUniqueViolation(e) ? new DeviceConflict({ name }) : toStoreError(op, e)),
    })

  const findDevice = (ref: string | number): Effect.Effect<Device | undefined, StoreError> =>
    Effect.gen(function* () {
      const id = asId(ref)
      if (id !== undefined) {
        const byId = yield* sql.run("getDevice", "SELECT * FROM devices WHERE id = $1", [id])
        if (byId.rows[0] !== undefined) return toDevice(byId.rows[0])
        if (typeof ref === "number") return undefined
      }
      const byName = yield* sql.run("getDevice", "SELECT * FROM devices WHERE name = $1", [String(ref)])
      return byName.rows[0] === undefined ? undefined : toDevice(byName.rows[0])
    })

  const getDevice = (ref: string | number): Effect.Effect<Device, DeviceNotFound | StoreError> =>
    Effect.flatMap(
      findDevice(ref),
      (d) => (d === undefined ? Effect.fail(new DeviceNotFound({ device: String(ref) })) : Effect.succeed(d)),
    )

  const createDevice = Effect.fn("Store.createDevice")(function* (input: DeviceInput) {
    const checked = validateDeviceInput(input)
    const cols = checked instanceof ValidationError ? checked : sealColumns(checked)
    if (cols instanceof ValidationError) return yield* Effect.fail(cols)
    const names = Object.keys(cols) as Array<keyof DeviceColumns>
    const text = `INSERT INTO devices (${names.join(", ")}) VALUES (${
      names.map((_, i) => `$${i + 1}`).join(", ")
    }) RETURNING *`
    const result = yield* runUnique("createDevice", cols.name, text, names.map((c) => columnParam(c, cols[c])))
    const row = result.rows[0]
    if (row === undefined) {
      return yield* Effect.fail(
        new StoreError({ op: "createDevice", message: "INSERT returned no row", unavailable: false }),
      )
    }
    return toDevice(row)
  })

  const updateDevice = Effect.fn("Store.updateDevice")(function* (ref: string | number, patch: DevicePatch) {
    const checked = validateDevicePatch(patch)
    const cols = checked instanceof ValidationError ? checked : sealColumns(checked)
    if (cols instanceof ValidationError) return yield* Effect.fail(cols)
    const current = yield* getDevice(ref)
    const names = Object.keys(cols) as Array<keyof DeviceColumns>
    if (names.length === 0) return current
    const sets = names.map((c, i) => `${c} = $${i + 2}`)
    const text = `UPDATE devices SET ${sets.join(", ")}, updated_at = now() WHERE id = $1 RETURNING *`
    const params = [current.id, ...names.map((c) => columnParam(c, cols[c]))]
    const result = yield* runUnique("updateDevice", cols.name ?? current.name, text, params)
    const row = result.rows[0]
    if (row === undefined) return yield* Effect.fail(new DeviceNotFound({ device: String(ref) }))
    return toDevice(row)
  })

  const removeDevice = Effect.fn("Store.removeDevice")(function* (ref: string | number) {
    const device = yield* getDevice(ref)
    const result = yield* sql.run("removeDevice", "DELETE FROM devices WHERE id = $1", [device.id])
    if (result.count === 0) return yield* Effect.fail(new DeviceNotFound({ device: String(ref) }))
  })

  // A null lastSeen keeps the previous value: "last seen" should not be forgotten on a failure.
  const setDeviceStatus = (id: number, status: string, lastSeen: Date | null) =>
    Effect.asVoid(
      sql.run("setDeviceStatus", "UPDATE devices SET status = $2, last_seen = coalesce($3, last_seen) WHERE id = $1", [
        id,
        status,
        lastSeen,
      ]),
    )

  const setDeviceCapabilities = (id: number, capabilities: unknown) =>
    Effect.asVoid(
      sql.run("setDeviceCapabilities", "UPDATE devices SET capabilities = $2, updated_at = now() WHERE id = $1", [
        id,
        toParam(capabilities),
      ]),
    )

  /** Bumped by every device write made through this store, so readers can cache device rows. */
  let version = 0
  const bump = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.ensuring(effect, Effect.sync(() => void version++))

  return {
    listDevices: () =>
      Effect.map(sql.run("listDevices", "SELECT * FROM devices ORDER BY name"), (r) => r.rows.map(toDevice)),
    getDevice,
    createDevice: (input) => bump(createDevice(input)),
    updateDevice: (ref, patch) => bump(updateDevice(ref, patch)),
    removeDevice: (ref) => bump(removeDevice(ref)),
    setDeviceStatus,
    setDeviceCapabilities: (id, capabilities) => bump(setDeviceCapabilities(id, capabilities)),
    enabledDeviceIds: () =>
      Effect.map(
        sql.rows<{ id: number }>("enabledDeviceIds", "SELECT id FROM devices WHERE enabled ORDER BY id"),
        (rows) => rows.map((r) => Number(r.id)),
      ),
    devicesVersion: () => version,
  }
}

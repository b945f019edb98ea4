import { Schema } from "effect"
import { type DeviceInput, DeviceName, type DevicePatch, type Transport } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { parseProxyJump } from "../ssh/ssh-config.ts"

/** Device columns as written to the database. */
export interface DeviceColumns {
  name: string
  host: string
  port: number | null
  username: string | null
  private_key_path: string | null
  password: string | null
  transport: Transport
  proxy_jump: string | null
  tags: Array<string>
  enabled: boolean
}

const isDeviceName = Schema.is(DeviceName)
// Whitespace and C0/C1 controls would end up inside SSH targets and log lines.
const badHostChar = /[\s\u0000-\u001f\u007f-\u009f]/
const maxTags = 64
const maxTagLength = 64

const fail = (message: string, field: string): ValidationError => new ValidationError({ message, details: { field } })

type Check<A> = (value: unknown) => A | ValidationError

const nameCheck: Check<string> = (v) =>
  typeof v === "string" && isDeviceName(v)
    ? v
    : fail("name must be 1-63 characters of letters, digits, '.', '_' or '-', starting with a letter or digit", "name")

const hostCheck: Check<string> = (v) =>
  typeof v === "string" && v.length > 0 && v.length <= 255 && !badHostChar.test(v)
    ? v
    : fail("host must be a non-empty hostname or address without whitespace or control characters", "host")

const portCheck: Check<number | null> = (v) =>
  v === null || v === undefined
    ? null
    : typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535
    ? v
    : fail("port must be an integer from 1 to 65535", "port")

const optionalText = (field: string): Check<string | null> => (v) =>
  v === null || v === undefined
    ? null
    : typeof v === "string" && v.length <= 4096
    ? v
    : fail(`${field} must be a string`, field)

const transportCheck: Check<Transport> = (v) =>
  v === undefined ? "ssh" : v === "ssh" || v === "local" ? v : fail("transport must be 'ssh' or 'local'", "transport")

/** OpenSSH ProxyJump syntax (or "none"); the hops' names are resolved when connecting. */
const proxyJumpCheck: Check<string | null> = (v) => {
  if (v === null || v === undefined) return null
  if (typeof v !== "string" || v.length > 1024) return fail("proxyJump must be a string", "proxyJump")
  if (v.trim().toLowerCase() === "none") return "none"
  const hops = parseProxyJump(v)
  return typeof hops === "string" ? fail(`proxyJump: ${hops}`, "proxyJump") : v.trim()
}

const tagsCheck: Check<Array<string>> = (v) => {
  if (v === undefined) return []
  if (!Array.isArray(v) || v.length > maxTags) {
    return fail(`tags must be an array of at most ${maxTags} strings`, "tags")
  }
  for (const tag of v) {
    if (typeof tag !== "string" || tag.length === 0 || tag.length > maxTagLength || badHostChar.test(tag)) {
      return fail(`tags must hold strings of 1-${maxTagLength} characters without whitespace`, "tags")
    }
  }
  return [...v] as Array<string>
}

const enabledCheck: Check<boolean> = (v) =>
  v === undefined ? true : typeof v === "boolean" ? v : fail("enabled must be a boolean", "enabled")

const checks: {
  readonly [K in keyof DeviceColumns]: readonly [inputKey: keyof DeviceInput, check: Check<DeviceColumns[K]>]
} = {
  name: ["name", nameCheck],
  host: ["host", hostCheck],
  port: ["port", portCheck],
  username: ["username", optionalText("username")],
  private_key_path: ["privateKeyPath", optionalText("privateKeyPath")],
  password: ["password", optionalText("password")],
  transport: ["transport", transportCheck],
  proxy_jump: ["proxyJump", proxyJumpCheck],
  tags: ["tags", tagsCheck],
  enabled: ["enabled", enabledCheck],
}

const columns = Object.keys(checks) as Array<keyof DeviceColumns>

/** Input may come straight from JSON, so every field is checked at runtime. */
export const validateDeviceInput = (input: DeviceInput): DeviceColumns | ValidationError => {
  if (typeof input !== "object" || input === null) return new ValidationError({ message: "device must be an object" })
  const out: Record<string, unknown> = {}
  for (const column of columns) {
    const [key, check] = checks[column]
    const value = check((input as unknown as Record<string, unknown>)[key])
    if (value instanceof ValidationError) return value
    out[column] = value
  }
  return out as unknown as DeviceColumns
}

/** Only fields present (not undefined) are checked and returned; null clears nullable fields. */
export const validateDevicePatch = (patch: DevicePatch): Partial<DeviceColumns> | ValidationError => {
  if (typeof patch !== "object" || patch === null) return new ValidationError({ message: "patch must be an object" })
  const out: Record<string, unknown> = {}
  for (const column of columns) {
    const [key, check] = checks[column]
    const raw = (patch as unknown as Record<string, unknown>)[key]
    if (raw === undefined) continue
    // Defaults apply only when creating: in a patch, null on a required field is a mistake.
    if (
      raw === null &&
      (column === "name" || column === "host" || column === "transport" || column === "tags" || column === "enabled")
    ) {
      return fail(`${key} cannot be null`, key)
    }
    const value = check(raw)
    if (value instanceof ValidationError) return value
    out[column] = value
  }
  return out as Partial<DeviceColumns>
}

import type { DeviceInput, DevicePatch } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"

const fields: Record<string, keyof DeviceInput> = {
  name: "name",
  host: "host",
  port: "port",
  username: "username",
  private_key_path: "privateKeyPath",
  password: "password",
  transport: "transport",
  proxy_jump: "proxyJump",
  tags: "tags",
  enabled: "enabled",
}

const checkType = (key: string, v: unknown): void => {
  const ok = v === null ||
    (key === "port"
      ? typeof v === "number"
      : key === "tags"
      ? Array.isArray(v) && v.every((t) => typeof t === "string")
      : key === "enabled"
      ? typeof v === "boolean"
      : typeof v === "string")
  if (!ok) throw new ValidationError({ message: `field '${key}' has the wrong type`, details: { field: key } })
}

/** Snake_case JSON body → DevicePatch; unknown fields are refused so typos don't pass silently. */
export const devicePatchFromBody = (body: unknown): DevicePatch => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError({ message: "body must be a JSON object" })
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) {
    const field = fields[k]
    if (field === undefined) {
      throw new ValidationError({ message: `unknown field '${k}'`, details: { allowed: Object.keys(fields) } })
    }
    checkType(k, v)
    out[field] = v
  }
  return out as DevicePatch
}

export const deviceInputFromBody = (body: unknown): DeviceInput => {
  const patch = devicePatchFromBody(body)
  if (typeof patch.name !== "string" || patch.name === "") {
    throw new ValidationError({ message: "field 'name' is required" })
  }
  const host = patch.host ?? (patch.transport === "local" ? "localhost" : undefined)
  if (typeof host !== "string" || host === "") throw new ValidationError({ message: "field 'host' is required" })
  return { ...patch, name: patch.name, host }
}

/** The snake_case body for a camelCase input (library and CLI callers speak DeviceInput). */
export const deviceBodyOf = (input: Partial<DeviceInput>): Record<string, unknown> => {
  const body: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(fields)) {
    const v = input[field]
    if (v !== undefined) body[key] = v
  }
  return body
}

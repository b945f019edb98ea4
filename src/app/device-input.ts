import { Schema } from "effect"
import { type DeviceInput, type DevicePatch, Transport } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"

const field = <S extends Schema.Top>(schema: S, description: string) =>
  Schema.optional(Schema.NullOr(schema)).annotate({ description })

/**
 * A device as the API and MCP take it (snake_case). The types are checked here; the values
 * (name pattern, port range, ProxyJump syntax) by the store's validation, with field-named messages.
 */
export const DeviceBody = Schema.Struct({
  name: field(Schema.String, "unique name: letters, digits, '.', '_' or '-' (used in URLs)"),
  host: field(Schema.String, "hostname or address; ~/.ssh/config Host aliases resolve"),
  port: field(Schema.Number, "SSH port (default from ~/.ssh/config, else 22)"),
  username: field(Schema.String, "SSH user (default from ~/.ssh/config, else the service's user)"),
  private_key_path: field(Schema.String, "path of a private key on the service's machine"),
  password: field(Schema.String, "SSH password (stored; never returned)"),
  transport: field(Transport, "ssh (default) or local (this machine, no SSH)"),
  proxy_jump: field(Schema.String, "OpenSSH ProxyJump: [user@]host[:port] hops, comma-separated, or none"),
  tags: field(Schema.Array(Schema.String), "free-form labels"),
  enabled: field(Schema.Boolean, "false stops polling"),
}).annotate({
  identifier: "DeviceBody",
  description: "A device to add (name and host required) or the fields to change",
})

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

const fieldChecks = Object.fromEntries(
  Object.entries(DeviceBody.fields).map(([key, schema]) => [key, Schema.is(schema)]),
) as Record<string, (v: unknown) => boolean>

const checkType = (key: string, v: unknown): void => {
  // undefined is how an optional field is absent in JS; in JSON only null can appear.
  if (v === undefined || !fieldChecks[key]!(v)) {
    throw new ValidationError({ message: `field '${key}' has the wrong type`, details: { field: key } })
  }
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

import type { Device, DeviceCapabilities, Transport } from "../domain/device.ts"
import { jsonColumn } from "../domain/json.ts"
import type { KnownHostKey } from "../ssh/HostKeys.ts"

const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)))
const asDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : asDate(v))
const asTextOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

const asTags = (v: unknown): Array<string> => {
  const parsed = typeof v === "string" ? (JSON.parse(v) as unknown) : v
  return Array.isArray(parsed) ? parsed.map(String) : []
}

/** jsonb comes back parsed from both drivers; a string here would be an old text value. */
const asCapabilities = (v: unknown): DeviceCapabilities | null => {
  const parsed = jsonColumn(v)
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as DeviceCapabilities) : null
}

export const rowToDevice = (row: Record<string, unknown>): Device => ({
  id: Number(row["id"]),
  name: String(row["name"]),
  host: String(row["host"]),
  port: row["port"] === null || row["port"] === undefined ? null : Number(row["port"]),
  username: asTextOrNull(row["username"]),
  privateKeyPath: asTextOrNull(row["private_key_path"]),
  password: asTextOrNull(row["password"]),
  transport: row["transport"] as Transport,
  proxyJump: asTextOrNull(row["proxy_jump"]),
  tags: asTags(row["tags"]),
  enabled: row["enabled"] === true,
  status: String(row["status"]),
  lastSeen: asDateOrNull(row["last_seen"]),
  capabilities: asCapabilities(row["capabilities"]),
  createdAt: asDate(row["created_at"]),
  updatedAt: asDate(row["updated_at"]),
})

export const rowToHostKey = (row: Record<string, unknown>): KnownHostKey => ({
  hostPort: String(row["host_port"]),
  algorithm: String(row["algorithm"]),
  fingerprint: String(row["fingerprint"]),
  firstSeen: asDate(row["first_seen"]),
})

// PostgreSQL text and jsonb cannot hold U+0000 or lone UTF-16 surrogates; hostile command output
// (binary files, cut strings) must not turn an insert into an error, so they become U+FFFD.
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
// In JSON.stringify output, paired surrogates stay raw characters, so any surrogate escape is lone.
const BAD_JSON_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi

export const pgSafeText = (s: string): string => s.replace(BAD_TEXT, "\uFFFD")

/** Values as the drivers should bind them: objects/arrays become JSON text for jsonb columns. */
export const toParam = (v: unknown): unknown => {
  if (v === undefined || v === null) return null
  if (v instanceof Date) return v
  if (typeof v === "bigint") return v.toString()
  if (typeof v === "string") return pgSafeText(v)
  if (typeof v === "object") return pgSafeText(JSON.stringify(v)).replace(BAD_JSON_ESCAPE, "$1\\ufffd")
  return v
}

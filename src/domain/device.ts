import { Schema } from "effect"

/** Device names double as URL segments and log labels: keep them boring. */
export const DeviceName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/),
)

export const Transport = Schema.Literals(["ssh", "local"])
export type Transport = typeof Transport.Type

/** A device as stored. Secrets are references (a key path), or a password kept out of API output. */
export interface Device {
  readonly id: number
  readonly name: string
  readonly host: string
  readonly port: number | null
  readonly username: string | null
  readonly privateKeyPath: string | null
  readonly password: string | null
  readonly transport: Transport
  /**
   * OpenSSH ProxyJump: `[user@]host[:port]` hops, comma-separated, first hop first; each hop's host
   * goes through ~/.ssh/config. `none` forces a direct connection; null/absent uses ~/.ssh/config's.
   */
  readonly proxyJump?: string | null | undefined
  readonly tags: ReadonlyArray<string>
  readonly enabled: boolean
  readonly status: string
  readonly lastSeen: Date | null
  /** Result of the last capability probe (OS, tools present); null before the first probe. */
  readonly capabilities?: DeviceCapabilities | null | undefined
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface DeviceCapabilities {
  readonly tools?: Readonly<Record<string, boolean>> | undefined
  readonly [key: string]: unknown
}

/** What the API, CLI and library accept when adding a device. */
export interface DeviceInput {
  readonly name: string
  readonly host: string
  readonly port?: number | null | undefined
  readonly username?: string | null | undefined
  readonly privateKeyPath?: string | null | undefined
  readonly password?: string | null | undefined
  readonly transport?: Transport | undefined
  readonly proxyJump?: string | null | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly enabled?: boolean | undefined
}

export type DevicePatch = Partial<Omit<DeviceInput, "name">> & { readonly name?: string | undefined }

const Nullable = <S extends Schema.Top>(schema: S, description: string) =>
  Schema.NullOr(schema).annotate({ description })

/** API view of a device: no password, just whether one is set. */
export const PublicDevice = Schema.Struct({
  id: Schema.Number,
  name: Schema.String,
  host: Schema.String,
  port: Nullable(Schema.Number, "null: from ~/.ssh/config, else 22"),
  username: Nullable(Schema.String, "null: from ~/.ssh/config, else the service's user"),
  private_key_path: Schema.NullOr(Schema.String),
  has_password: Schema.Boolean,
  transport: Transport,
  proxy_jump: Nullable(Schema.String, "OpenSSH ProxyJump hops; null: from ~/.ssh/config"),
  tags: Schema.Array(Schema.String),
  enabled: Schema.Boolean,
  status: Schema.String.annotate({ description: "unknown, online, degraded, offline, host_key_mismatch, ..." }),
  last_seen: Nullable(Schema.String, "ISO 8601"),
  capabilities: Nullable(
    Schema.StructWithRest(Schema.Struct({ tools: Schema.optional(Schema.Record(Schema.String, Schema.Boolean)) }), [
      Schema.Record(Schema.String, Schema.Unknown),
    ]),
    "the last capability probe (OS, tools present); null before the first",
  ),
  created_at: Schema.String,
  updated_at: Schema.String,
}).annotate({ identifier: "Device" })

export const publicDevice = (d: Device): typeof PublicDevice.Type => ({
  id: d.id,
  name: d.name,
  host: d.host,
  port: d.port,
  username: d.username,
  private_key_path: d.privateKeyPath,
  has_password: d.password !== null,
  transport: d.transport,
  proxy_jump: d.proxyJump ?? null,
  tags: d.tags,
  enabled: d.enabled,
  status: d.status,
  last_seen: d.lastSeen?.toISOString() ?? null,
  capabilities: d.capabilities ?? null,
  created_at: d.createdAt.toISOString(),
  updated_at: d.updatedAt.toISOString(),
})

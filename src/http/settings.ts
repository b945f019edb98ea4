import { Context, Schema } from "effect"

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
export const MAX_BODY_BYTES_LIMIT = 1024 ** 3

/** `http.max_body_bytes` and INFRA_MAX_BODY_BYTES: a whole number of bytes. */
export const MaxBodyBytes = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_BODY_BYTES_LIMIT }))

export interface HttpSettings {
  /**
   * The server listens on a non-loopback address: with no active token every request but /health
   * is refused (checked per request, so revoking the last token cannot open the API to the network).
   */
  readonly exposed: boolean
  /** Request bodies past this many bytes are refused with 413 (MCP has its own 4 MiB cap). */
  readonly maxBodyBytes: number
}

/** What makeHttpApp runs with; `serve` and the library set it from the bind address and the config. */
export const HttpSettings = Context.Reference<HttpSettings>("infrastructor/HttpSettings", {
  defaultValue: () => ({ exposed: false, maxBodyBytes: DEFAULT_MAX_BODY_BYTES }),
})

import type { ContentfulStatusCode } from "hono/utils/http-status"
import { errorCode, errorMessage } from "../pipeline/error-info.ts"

export interface HttpError {
  readonly status: ContentfulStatusCode
  readonly body: { readonly error: { readonly code: string; readonly message: string; readonly details?: unknown } }
}

const statusOf = (e: { readonly _tag: string } & Record<string, unknown>): ContentfulStatusCode => {
  switch (e._tag) {
    case "ValidationError":
      return 400
    case "Forbidden":
    case "RestoreRefused":
      return 403
    case "DeviceNotFound":
    case "UnknownDataType":
    case "NotFound":
      return 404
    case "DeviceConflict":
      return 409
    case "UnsupportedDataType":
    case "RestoreValidationFailed":
      return 422
    case "SshError":
      return e["reason"] === "command_timeout" || e["reason"] === "connect_timeout" ? 504 : 502
    case "ParseError":
    case "CommandFailed":
      return 502
    case "StoreError":
      return e["unavailable"] === true ? 503 : 500
    default:
      return 500
  }
}

/** Map a typed error to `{ error: { code, message, details? } }` with the right status. */
export const toHttpError = (e: unknown): HttpError => {
  if (typeof e === "object" && e !== null && "_tag" in e && typeof (e as { _tag: unknown })._tag === "string") {
    const tagged = e as { readonly _tag: string } & Record<string, unknown>
    const details = tagged._tag === "RestoreValidationFailed"
      ? {
        validator: tagged["validator"],
        exit_code: tagged["exitCode"],
        output: tagged["output"],
        rolled_back: tagged["rolledBack"],
      }
      : tagged["details"]
    const message = tagged._tag === "ValidationError" || tagged._tag === "NotFound"
      ? String(tagged["message"])
      : errorMessage(tagged)
    const code = tagged._tag === "ValidationError"
      ? "bad_request"
      : tagged._tag === "NotFound"
      ? "not_found"
      : errorCode(tagged)
    return {
      status: statusOf(tagged),
      body: { error: details === undefined ? { code, message } : { code, message, details } },
    }
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error" } } }
}

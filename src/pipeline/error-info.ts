import type { CollectError } from "../domain/errors.ts"

/** Stable machine-readable code for an error (API `error.code`, audit, events). */
export const errorCode = (e: CollectError | { readonly _tag: string }): string => {
  switch (e._tag) {
    case "SshError":
      return `ssh_${(e as { reason: string }).reason}`
    case "ParseError":
      return "parse_error"
    case "StoreError":
      return (e as { unavailable: boolean }).unavailable ? "store_unavailable" : "store_error"
    case "DeviceNotFound":
      return "device_not_found"
    case "UnknownDataType":
      return "unknown_data_type"
    case "UnsupportedDataType":
      return "unsupported_data_type"
    case "CommandFailed":
      return "command_failed"
    case "DeviceConflict":
      return "conflict"
    case "ValidationError":
      return "bad_request"
    case "Forbidden":
      return (e as unknown as { reason: string }).reason === "writes_disabled" ? "writes_disabled" : "forbidden"
    case "RestoreValidationFailed":
      return "validation_failed"
    default:
      return e._tag.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()
  }
}

/** One-line human message for an error; never includes secrets or stack traces. */
export const errorMessage = (e: CollectError | { readonly _tag: string }): string => {
  const r = e as Record<string, unknown>
  switch (e._tag) {
    case "SshError":
      return `${String(r["device"])}: ${String(r["reason"])}: ${String(r["message"])}`
    case "ParseError":
      return `cannot parse ${String(r["dataType"])} output: ${String(r["message"])}${
        r["at"] ? ` (at ${String(r["at"])})` : ""
      }`
    case "StoreError":
      return `store ${String(r["op"])} failed: ${String(r["message"])}`
    case "DeviceNotFound":
      return `device '${String(r["device"])}' not found`
    case "UnknownDataType":
      return `unknown data type '${String(r["dataType"])}'`
    case "UnsupportedDataType":
      return `${String(r["device"])} does not support ${String(r["dataType"])}: ${String(r["reason"])}`
    case "DeviceConflict":
      return `a device named '${String(r["name"])}' already exists`
    case "ValidationError":
      return String(r["message"])
    case "CommandFailed":
      return `command exited ${String(r["exitCode"])}: ${String(r["stderr"]).slice(0, 500)}`
    default:
      return typeof r["message"] === "string" && r["message"] !== "" ? r["message"] : e._tag
  }
}

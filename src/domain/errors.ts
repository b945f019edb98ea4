/**
 * The typed errors, each carrying what every front end says about it: its public `code`, its
 * `httpStatus` and a one-line `summary`. HTTP, MCP, audit rows and device health all read them
 * through `describeError`, so a code or status is decided here and nowhere else.
 */
import { Schema } from "effect"

/** The statuses the API answers a typed error with. */
export type HttpStatus = 400 | 403 | 404 | 409 | 422 | 500 | 502 | 503 | 504

/** What HTTP, MCP, audit and health say about a failure. */
export interface ErrorInfo {
  /** Stable machine-readable code (API `error.code`, MCP `error [code]`, audit `error_code`). */
  readonly code: string
  readonly status: HttpStatus
  /** One line for people; never includes secrets or stack traces. */
  readonly message: string
  /** Structured extra for API clients, when the error has any. */
  readonly details?: unknown
}

const sshReasons = Schema.Literals([
  "dns",
  "connect_refused",
  "connect_timeout",
  "auth_failed",
  "host_key_mismatch",
  "host_key_unknown",
  "connection_lost",
  "channel_failed",
  "command_timeout",
  "output_too_large",
  "config",
])

/** Why an SSH (or local) transport failed. Only transport reasons are retried. */
export type SshReason = typeof sshReasons.Type

/** Reasons worth a retry: the host may answer on the next attempt. */
export const retryableSshReasons: ReadonlySet<SshReason> = new Set([
  "connect_refused",
  "connection_lost",
  "channel_failed",
])

/** `message`, or the tag when there is none: a summary is never empty. */
const messageOr = (message: string, tag: string): string => message !== "" ? message : tag

export class SshError extends Schema.TaggedError<SshError>()("SshError", {
  device: Schema.String,
  reason: sshReasons,
  message: Schema.String,
  /** The command may have reached the host (it was written before the failure): never retry an action then. */
  commandSent: Schema.optional(Schema.Boolean),
}) {
  get code(): string {
    return `ssh_${this.reason}`
  }
  /** A gateway that timed out (504) or failed (502): the host, not the API, is the problem. */
  get httpStatus(): HttpStatus {
    return this.reason === "command_timeout" || this.reason === "connect_timeout" ? 504 : 502
  }
  get summary(): string {
    return `${this.device}: ${this.reason}: ${this.message}`
  }
}

export class ParseError extends Schema.TaggedError<ParseError>()("ParseError", {
  dataType: Schema.String,
  message: Schema.String,
  /** Which input section or line was wrong, when known. */
  at: Schema.optional(Schema.String),
}) {
  get code(): string {
    return "parse_error"
  }
  get httpStatus(): HttpStatus {
    return 502
  }
  get summary(): string {
    return `cannot parse ${this.dataType} output: ${this.message}${this.at ? ` (at ${this.at})` : ""}`
  }
}

export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  op: Schema.String,
  message: Schema.String,
  /** True when the database could not be reached at all (API answers 503). */
  unavailable: Schema.Boolean,
}) {
  get code(): string {
    return this.unavailable ? "store_unavailable" : "store_error"
  }
  get httpStatus(): HttpStatus {
    return this.unavailable ? 503 : 500
  }
  get summary(): string {
    return `store ${this.op} failed: ${this.message}`
  }
}

export class DeviceNotFound extends Schema.TaggedError<DeviceNotFound>()("DeviceNotFound", {
  device: Schema.String,
}) {
  get code(): string {
    return "device_not_found"
  }
  get httpStatus(): HttpStatus {
    return 404
  }
  get summary(): string {
    return `device '${this.device}' not found`
  }
}

export class DeviceConflict extends Schema.TaggedError<DeviceConflict>()("DeviceConflict", {
  name: Schema.String,
}) {
  get code(): string {
    return "conflict"
  }
  get httpStatus(): HttpStatus {
    return 409
  }
  get summary(): string {
    return `a device named '${this.name}' already exists`
  }
}

export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  message: Schema.String,
  details: Schema.optional(Schema.Unknown),
}) {
  get code(): string {
    return "bad_request"
  }
  get httpStatus(): HttpStatus {
    return 400
  }
  get summary(): string {
    return this.message
  }
}

export class UnknownDataType extends Schema.TaggedError<UnknownDataType>()("UnknownDataType", {
  dataType: Schema.String,
}) {
  get code(): string {
    return "unknown_data_type"
  }
  get httpStatus(): HttpStatus {
    return 404
  }
  get summary(): string {
    return `unknown data type '${this.dataType}'`
  }
}

export class UnsupportedDataType extends Schema.TaggedError<UnsupportedDataType>()("UnsupportedDataType", {
  device: Schema.String,
  dataType: Schema.String,
  reason: Schema.String,
}) {
  get code(): string {
    return "unsupported_data_type"
  }
  get httpStatus(): HttpStatus {
    return 422
  }
  get summary(): string {
    return `${this.device} does not support ${this.dataType}: ${this.reason}`
  }
}

/**
 * A command ran on the host and failed: it exited non-zero and said why on stderr (or printed
 * nothing at all), e.g. "Cannot connect to the Docker daemon", "System has not been booted with
 * systemd". The host and the tool answered, so this is not the host being down (DeviceHealth counts
 * it against the data type only) and not malformed output (that is ParseError). 502 like every
 * failure on the host's side; 503 stays the answer for our own store being away. Not retried.
 * The pipeline decides it, in one place, from the command result and the parser's failure
 * (src/pipeline/command-failure.ts); `dataType` and `section` say which read failed.
 */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  device: Schema.String,
  exitCode: Schema.Number,
  stderr: Schema.String,
  dataType: Schema.optional(Schema.String),
  /** The section of a batched script that failed (e.g. "ps", "units"), when known. */
  section: Schema.optional(Schema.String),
}) {
  get code(): string {
    return "command_failed"
  }
  get httpStatus(): HttpStatus {
    return 502
  }
  get summary(): string {
    const said = this.stderr.slice(0, 500)
    if (this.dataType === undefined) return `command exited ${this.exitCode}: ${said}`
    const what = this.section === undefined ? "command" : `'${this.section}'`
    return `${this.device}: ${this.dataType}: ${what} exited ${this.exitCode}: ${said === "" ? "(no stderr)" : said}`
  }
  /** For API clients: which read failed and the tool's own words (stderr, bounded). */
  get details(): unknown {
    if (this.dataType === undefined) return undefined
    return { data_type: this.dataType, section: this.section ?? null, exit_code: this.exitCode, stderr: this.stderr }
  }
}

/** Something named on the host (a container, a file) does not exist there. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String,
}) {
  get code(): string {
    return "not_found"
  }
  get httpStatus(): HttpStatus {
    return 404
  }
  get summary(): string {
    return messageOr(this.message, this._tag)
  }
}

/**
 * The caller may not run this operation: its token's scope is too small ("scope"), or the
 * operation changes hosts and this front end has host writes switched off ("writes_disabled").
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  operation: Schema.String,
  reason: Schema.Literals(["scope", "writes_disabled"]),
  message: Schema.String,
}) {
  get code(): string {
    return this.reason === "writes_disabled" ? "writes_disabled" : "forbidden"
  }
  get httpStatus(): HttpStatus {
    return 403
  }
  get summary(): string {
    return messageOr(this.message, this._tag)
  }
}

/** A config restore: the validator rejected the restored file; the previous content is back in place. */
export class RestoreValidationFailed extends Schema.TaggedError<RestoreValidationFailed>()("RestoreValidationFailed", {
  message: Schema.String,
  validator: Schema.NullOr(Schema.String),
  exitCode: Schema.NullOr(Schema.Number),
  output: Schema.String,
  rolledBack: Schema.Boolean,
}) {
  get code(): string {
    return "validation_failed"
  }
  get httpStatus(): HttpStatus {
    return 422
  }
  get summary(): string {
    return messageOr(this.message, this._tag)
  }
  /** What the API shows: the validator's verdict, in the API's snake_case. */
  get details(): unknown {
    return { validator: this.validator, exit_code: this.exitCode, output: this.output, rolled_back: this.rolledBack }
  }
}

/**
 * A config restore wrote nothing: the path is not one the device is watched for now ("not_watched"),
 * or it physically leads outside the watched globs, e.g. through a symlink ("outside_globs").
 */
export class RestoreRefused extends Schema.TaggedError<RestoreRefused>()("RestoreRefused", {
  message: Schema.String,
  details: Schema.Struct({
    path: Schema.String,
    reason: Schema.Literals(["not_watched", "outside_globs"]),
    /** Where the path leads, for "outside_globs". */
    target: Schema.NullOr(Schema.String),
  }),
}) {
  get code(): string {
    return "restore_refused"
  }
  get httpStatus(): HttpStatus {
    return 403
  }
  get summary(): string {
    return messageOr(this.message, this._tag)
  }
}

/**
 * A config restore refused because the stored version lacks its secrets: they were redacted when it
 * was recorded (`store_raw_secrets` off), so writing it back would put placeholders into the file.
 * 422, not 409: the same request can never succeed (no change of state makes that version whole),
 * while 409 tells a client it may resolve a conflict and send the request again. Dry runs say the same.
 */
export class RestoreRedacted extends Schema.TaggedError<RestoreRedacted>()("RestoreRedacted", {
  message: Schema.String,
  details: Schema.Struct({
    path: Schema.String,
    snapshot_id: Schema.Number,
    /** 1-based lines of the stored version that hold a placeholder instead of a secret value. */
    redacted_lines: Schema.Array(Schema.Number),
  }),
}) {
  get code(): string {
    return "restore_redacted"
  }
  get httpStatus(): HttpStatus {
    return 422
  }
  get summary(): string {
    return messageOr(this.message, this._tag)
  }
}

export type CollectError =
  | NotFound
  | ValidationError
  | SshError
  | ParseError
  | StoreError
  | DeviceNotFound
  | UnknownDataType
  | UnsupportedDataType
  | CommandFailed

/** Every error defined here. */
export type DomainError =
  | CollectError
  | DeviceConflict
  | Forbidden
  | RestoreValidationFailed
  | RestoreRefused
  | RestoreRedacted

/** Each error's prototype by tag: where `describeError` finds its code, status and summary. */
const prototypes: ReadonlyMap<string, DomainError> = new Map([
  SshError,
  ParseError,
  StoreError,
  DeviceNotFound,
  DeviceConflict,
  ValidationError,
  UnknownDataType,
  UnsupportedDataType,
  CommandFailed,
  NotFound,
  Forbidden,
  RestoreValidationFailed,
  RestoreRefused,
  RestoreRedacted,
].map((C): [string, DomainError] => [C.identifier, C.prototype]))

/** Anything with a string `_tag`: ours, or a tagged error from a library (Effect's own, say). */
export const isTaggedError = (e: unknown): e is { readonly _tag: string } =>
  typeof e === "object" && e !== null && typeof (e as { _tag?: unknown })._tag === "string"

/** One of ours; or, for a copy that lost its class (a spread, a second copy of this module), a view with it. */
const asDomainError = (e: { readonly _tag: string }): DomainError | undefined => {
  const proto = prototypes.get(e._tag)
  if (proto === undefined) return undefined
  if (Object.prototype.isPrototypeOf.call(proto, e)) return e as DomainError
  return Object.create(proto, Object.getOwnPropertyDescriptors(e)) as DomainError
}

/**
 * The one mapping from a failure to what the API, MCP tools, audit rows and device health say.
 * A tagged error we do not define gets its tag in snake_case and 500; anything untagged is a bug
 * and says only "internal error".
 */
export const describeError = (e: unknown): ErrorInfo => {
  if (!isTaggedError(e)) return { code: "internal", status: 500, message: "internal error" }
  const ours = asDomainError(e)
  if (ours !== undefined) {
    return info(ours.code, ours.httpStatus, ours.summary, "details" in ours ? ours.details : undefined)
  }
  const r = e as { readonly _tag: string } & Record<string, unknown>
  const message = typeof r["message"] === "string" ? messageOr(r["message"], r._tag) : r._tag
  return info(r._tag.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), 500, message, r["details"])
}

const info = (code: string, status: HttpStatus, message: string, details: unknown): ErrorInfo =>
  details === undefined ? { code, status, message } : { code, status, message, details }

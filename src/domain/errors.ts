import { Data } from "effect"

/** Why an SSH (or local) transport failed. Only transport reasons are retried. */
export type SshReason =
  | "dns"
  | "connect_refused"
  | "connect_timeout"
  | "auth_failed"
  | "host_key_mismatch"
  | "host_key_unknown"
  | "connection_lost"
  | "channel_failed"
  | "command_timeout"
  | "output_too_large"
  | "config"

/** Reasons worth a retry: the host may answer on the next attempt. */
export const retryableSshReasons: ReadonlySet<SshReason> = new Set([
  "connect_refused",
  "connection_lost",
  "channel_failed",
])

export class SshError extends Data.TaggedError("SshError")<{
  readonly device: string
  readonly reason: SshReason
  readonly message: string
  /** The command may have reached the host (it was written before the failure): never retry an action then. */
  readonly commandSent?: boolean | undefined
}> {}

export class ParseError extends Data.TaggedError("ParseError")<{
  readonly dataType: string
  readonly message: string
  /** Which input section or line was wrong, when known. */
  readonly at?: string | undefined
}> {}

export class StoreError extends Data.TaggedError("StoreError")<{
  readonly op: string
  readonly message: string
  /** True when the database could not be reached at all (API answers 503). */
  readonly unavailable: boolean
}> {}

export class DeviceNotFound extends Data.TaggedError("DeviceNotFound")<{
  readonly device: string
}> {}

export class DeviceConflict extends Data.TaggedError("DeviceConflict")<{
  readonly name: string
}> {}

export class ValidationError extends Data.TaggedError("ValidationError")<{
  readonly message: string
  readonly details?: unknown
}> {}

export class UnknownDataType extends Data.TaggedError("UnknownDataType")<{
  readonly dataType: string
}> {}

export class UnsupportedDataType extends Data.TaggedError("UnsupportedDataType")<{
  readonly device: string
  readonly dataType: string
  readonly reason: string
}> {}

/** A command ran but exited non-zero in a way the parser cannot use. Not retried. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly device: string
  readonly exitCode: number
  readonly stderr: string
}> {}

/** Something named on the host (a container, a file) does not exist there. */
export class NotFound extends Data.TaggedError("NotFound")<{
  readonly message: string
}> {}

/**
 * The caller may not run this operation: its token's scope is too small ("scope"), or the
 * operation changes hosts and this front end has host writes switched off ("writes_disabled").
 */
export class Forbidden extends Data.TaggedError("Forbidden")<{
  readonly operation: string
  readonly reason: "scope" | "writes_disabled"
  readonly message: string
}> {}

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

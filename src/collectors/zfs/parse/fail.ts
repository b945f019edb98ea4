import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export const ZFS_TYPE = "zfs"

/**
 * Thrown only inside this folder's parsers and always caught by `guard`: line-oriented parsers
 * stay readable without threading a Result through every helper, yet callers only ever see a Result.
 */
export class ZfsInputError {
  readonly message: string
  readonly at: string | undefined
  constructor(message: string, at?: string) {
    this.message = message
    this.at = at
  }
}

export const bad = (message: string, at?: string): never => {
  throw new ZfsInputError(message, at)
}

export const zfsFail = <A = never>(message: string, at?: string): Result.Result<A, ParseError> =>
  Result.fail(new ParseError({ dataType: ZFS_TYPE, message, at }))

/** Run a throwing parser; any failure (even an unexpected one) becomes a ParseError, never a crash. */
export const guard = <A>(at: string, run: () => A): Result.Result<A, ParseError> => {
  try {
    return Result.succeed(run())
  } catch (e) {
    if (e instanceof ZfsInputError) return zfsFail(e.message, e.at ?? at)
    const why = e instanceof Error ? e.message : String(e)
    return zfsFail(`unexpected input: ${why}`, at)
  }
}

/** Lines with their 1-based numbers, for messages that point at the offending line. */
export const numberedLines = (text: string): Array<{ readonly n: number; readonly line: string }> =>
  text.split("\n").map((line, i) => ({ n: i + 1, line: line.replace(/\r$/, "") }))

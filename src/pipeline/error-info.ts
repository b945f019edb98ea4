import { type CollectError, describeError } from "../domain/errors.ts"

/** Stable machine-readable code for an error (API `error.code`, audit, events): see `describeError`. */
export const errorCode = (e: CollectError | { readonly _tag: string }): string => describeError(e).code

/** One-line human message for an error; never includes secrets or stack traces. */
export const errorMessage = (e: CollectError | { readonly _tag: string }): string => describeError(e).message

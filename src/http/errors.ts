import type { ContentfulStatusCode } from "hono/utils/http-status"
import { describeError } from "../domain/errors.ts"

export interface HttpError {
  readonly status: ContentfulStatusCode
  readonly body: { readonly error: { readonly code: string; readonly message: string; readonly details?: unknown } }
}

/** Map a typed error to `{ error: { code, message, details? } }` with its status (see `describeError`). */
export const toHttpError = (e: unknown): HttpError => {
  const { status, code, message, details } = describeError(e)
  return { status, body: { error: details === undefined ? { code, message } : { code, message, details } } }
}

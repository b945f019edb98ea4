import { Effect, Schema } from "effect"
import type { Context as HonoContext } from "hono"
import { ValidationError } from "../domain/errors.ts"

/** The request body as JSON; an empty body is `undefined` (for routes where it is optional). */
export const jsonBody = (c: HonoContext): Effect.Effect<unknown, ValidationError> =>
  Effect.tryPromise({
    try: async () => {
      const text = await c.req.text()
      return text.trim() === "" ? undefined : (JSON.parse(text) as unknown)
    },
    catch: () => new ValidationError({ message: "body must be valid JSON" }),
  })

/** A JSON object body (`{}` when empty). */
export const objectBody = (c: HonoContext): Effect.Effect<Record<string, unknown>, ValidationError> =>
  Effect.flatMap(jsonBody(c), (body) => {
    if (body === undefined) return Effect.succeed({})
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return Effect.fail(new ValidationError({ message: "body must be a JSON object" }))
    }
    return Effect.succeed(body as Record<string, unknown>)
  })

/**
 * A JSON object body decoded with its Schema (the one /openapi.json shows); a mismatch is a 400
 * that names the first wrong field. Unknown fields are refused so that typos don't pass silently.
 */
export const decodedBody = <S extends Schema.Top & { readonly DecodingServices: never }>(
  c: HonoContext,
  schema: S,
): Effect.Effect<S["Type"], ValidationError> =>
  Effect.flatMap(objectBody(c), (body) =>
    Effect.mapError(
      Schema.decodeUnknownEffect(schema)(body, { onExcessProperty: "error" }),
      (issue) => new ValidationError({ message: `invalid body: ${issue.message.replace(/\s*\n\s*/g, " ")}` }),
    ))

export const TokenRequest = Schema.Struct({
  name: Schema.String.annotate({ description: "what the token is for" }),
  scope: Schema.optional(Schema.Literals(["read", "write"])).annotate({ description: "default read" }),
}).annotate({ identifier: "TokenRequest" })

export const RestoreRequest = Schema.Struct({
  snapshot_id: Schema.Union([Schema.Number, Schema.String]).annotate({ description: "the stored version" }),
  dry_run: Schema.optional(Schema.Boolean).annotate({
    description: "default true: only diff the version against the file on the host",
  }),
  validate: Schema.optional(Schema.Boolean).annotate({
    description: "default true: run the file's validator (nginx -t, ...) and roll back on failure",
  }),
}).annotate({ identifier: "RestoreRequest" })

import { Effect } from "effect"
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

export const bodyBool = (body: Record<string, unknown>, name: string, fallback: boolean): boolean => {
  const v = body[name]
  if (v === undefined || v === null) return fallback
  if (typeof v !== "boolean") throw new ValidationError({ message: `${name} must be true or false` })
  return v
}

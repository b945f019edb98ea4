import { Result, Schema } from "effect"
import { ValidationError } from "../domain/errors.ts"
import type { Params } from "../domain/command.ts"

/** A parameter as front ends send it: text from a query string, numbers and booleans from MCP. */
export const ParamValue = Schema.Union([Schema.String, Schema.Finite, Schema.Boolean])

const OptionalParam = Schema.optional(ParamValue)

/** The parameters a data type or action accepts, each optional; a script builder checks the values. */
export type ParamsSchema = Schema.Struct<Readonly<Record<string, typeof OptionalParam>>>

/** Declare parameters by name, with one line each on what it does. */
export const params = (described: Readonly<Record<string, string>>): ParamsSchema =>
  Schema.Struct(
    Object.fromEntries(
      Object.entries(described).map(([name, description]) => [name, OptionalParam.annotate({ description })]),
    ),
  )

export const noParams: ParamsSchema = params({})

const valueCheck = Schema.decodeUnknownResult(ParamValue)

/**
 * The params a caller sent, checked against what the type declares: an unknown name is refused
 * naming the allowed ones (so `?nonce=1` can neither split the cache key nor dodge single-flight),
 * and undefined values are dropped.
 */
export const checkParams = (
  owner: string,
  schema: ParamsSchema,
  given: Params,
): Result.Result<Params, ValidationError> => {
  const allowed = Object.keys(schema.fields)
  const out: Record<string, string | number | boolean> = {}
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue
    if (!allowed.includes(name)) {
      return Result.fail(
        new ValidationError({
          message: allowed.length === 0
            ? `${owner} takes no parameters, got '${name}'`
            : `unknown parameter '${name}' for ${owner}; allowed: ${allowed.join(", ")}`,
          details: { parameter: name, allowed },
        }),
      )
    }
    if (Result.isFailure(valueCheck(value))) {
      return Result.fail(
        new ValidationError({
          message: `parameter '${name}' must be text, a number or true/false`,
          details: { parameter: name },
        }),
      )
    }
    out[name] = value
  }
  return Result.succeed(out)
}

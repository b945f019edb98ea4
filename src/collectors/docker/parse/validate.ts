import { Result, Schema } from "effect"
import { ParseError } from "../../../domain/errors.ts"

/** Validate a parser's final value against the stored shape; a mismatch is a ParseError, never a throw. */
export const validate = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  dataType: string,
  value: unknown,
): Result.Result<S["Type"], ParseError> =>
  Result.mapError(
    Schema.decodeUnknownResult(schema)(value),
    (e) => new ParseError({ dataType, message: `result does not match schema: ${e.message}`, at: "result" }),
  )

import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

/** Data type named in ParseErrors unless a caller (e.g. the capability probe) passes its own. */
export const SYSTEM_METRICS = "system_metrics"

export const parseFail = (dataType: string, message: string, at: string): Result.Result<never, ParseError> =>
  Result.fail(new ParseError({ dataType, message, at }))

const UNSIGNED = /^\d+$/
const DECIMAL = /^-?\d+(?:\.\d+)?$/

/** Non-negative integer counter, or undefined (never NaN). */
export const toCount = (s: string | undefined): number | undefined =>
  s !== undefined && UNSIGNED.test(s) ? Number(s) : undefined

/** Plain decimal number, or undefined. */
export const toDecimal = (s: string | undefined): number | undefined =>
  s !== undefined && DECIMAL.test(s) ? Number(s) : undefined

/** Lines without CR, trailing blank lines dropped (files may or may not end in a newline). */
export const textLines = (text: string): Array<string> => {
  const lines = text.replace(/\r/g, "").split("\n")
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop()
  return lines
}

/** a / b as a percentage rounded to 2 decimals; 0 when b is 0 (an empty interval is not 100% anything). */
export const percent = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 10_000) / 100 : 0)

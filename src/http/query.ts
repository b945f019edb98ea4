import { parseLimit as boundedInteger, parseWhen } from "../app/when.ts"
import { ValidationError } from "../domain/errors.ts"

/** ISO 8601, unix seconds, or a duration back from now ("6h"). */
export const parseTime = (name: string, raw: string | undefined): Date | undefined => parseWhen(name, raw)

export const parseLimit = (raw: string | undefined, fallback: number, max: number): number =>
  boundedInteger("limit", raw, fallback, max)

export const parseBool = (name: string, raw: string | undefined): boolean => {
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false
  if (raw === "true" || raw === "1") return true
  throw new ValidationError({ message: `${name} must be true or false, got '${raw}'` })
}

/** An optional query value: empty counts as absent. */
export const optional = (
  raw: string | undefined,
): string | undefined => (raw === undefined || raw === "" ? undefined : raw)

import { ValidationError } from "../domain/errors.ts"

/** Parse an ISO date or unix seconds from a query string. */
export const parseTime = (name: string, raw: string | undefined): Date | undefined => {
  if (raw === undefined || raw === "") return undefined
  const d = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw)
  if (Number.isNaN(d.getTime())) {
    throw new ValidationError({ message: `${name} must be an ISO 8601 time or unix seconds, got '${raw}'` })
  }
  return d
}

export const parseLimit = (raw: string | undefined, fallback: number, max: number): number => {
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValidationError({ message: `limit must be an integer between 1 and ${max}, got '${raw}'` })
  }
  return n
}

export const parseBool = (name: string, raw: string | undefined): boolean => {
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false
  if (raw === "true" || raw === "1") return true
  throw new ValidationError({ message: `${name} must be true or false, got '${raw}'` })
}

import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

/** Small, total accessors over untrusted JSON: every one returns null instead of throwing. */

export type JsonObject = Readonly<Record<string, unknown>>

export const parseJsonText = (text: string, dataType: string, at: string): Result.Result<unknown, ParseError> => {
  try {
    return Result.succeed(JSON.parse(text) as unknown)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return Result.fail(new ParseError({ dataType, message: `invalid JSON: ${why}`, at }))
  }
}

export const asObject = (v: unknown): JsonObject | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : null

export const asArray = (v: unknown): ReadonlyArray<unknown> | null => (Array.isArray(v) ? v : null)

/** A finite number; numeric strings are accepted because old lsblk/smartctl emit them. */
export const asNumber = (v: unknown): number | null => {
  if (typeof v === "number") return Number.isFinite(v) ? v : null
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim())
  return null
}

/** A string, trimmed (device models are padded with spaces); empty becomes null. */
export const asString = (v: unknown): string | null => {
  if (typeof v !== "string") return null
  const t = v.trim()
  return t === "" ? null : t
}

export const asBoolean = (v: unknown): boolean | null => {
  if (typeof v === "boolean") return v
  if (v === "1" || v === 1 || v === "true") return true
  if (v === "0" || v === 0 || v === "false") return false
  return null
}

/** Walk nested objects: get(o, "a", "b") is o.a.b, or undefined on any missing link. */
export const get = (v: unknown, ...keys: ReadonlyArray<string>): unknown => {
  let cur: unknown = v
  for (const k of keys) {
    const o = asObject(cur)
    if (o === null) return undefined
    cur = o[k]
  }
  return cur
}

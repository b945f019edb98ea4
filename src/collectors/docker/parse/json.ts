import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { isoFromMillis } from "../../shared/time.ts"

/** Loose JSON access: engine output varies by version, so every field is optional and typed on read. */
export type Json = Record<string, unknown>

export const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON.parse that reports failure as a ParseError instead of throwing. */
export const parseJson = (text: string, dataType: string, at: string): Result.Result<unknown, ParseError> => {
  try {
    return Result.succeed(JSON.parse(text) as unknown)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return Result.fail(new ParseError({ dataType, message: `invalid JSON: ${why}`, at }))
  }
}

/** JSON Lines (one object per line, e.g. `--format '{{json .}}'`); blank lines are skipped. */
export const parseJsonLines = (
  text: string,
  dataType: string,
  at: string,
): Result.Result<Array<Json>, ParseError> => {
  const out: Array<Json> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "") continue
    const where = `${at} line ${i + 1}`
    const parsed = parseJson(line, dataType, where)
    if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
    if (!isRecord(parsed.success)) {
      return Result.fail(new ParseError({ dataType, message: "expected a JSON object per line", at: where }))
    }
    out.push(parsed.success)
  }
  return Result.succeed(out)
}

/** A JSON array of objects (podman `--format json`, `docker inspect`); a lone object is accepted as one element. */
export const parseJsonObjects = (
  text: string,
  dataType: string,
  at: string,
): Result.Result<Array<Json>, ParseError> => {
  if (text.trim() === "") return Result.succeed([])
  const parsed = parseJson(text, dataType, at)
  if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
  const value = parsed.success
  const items = Array.isArray(value) ? value : [value]
  const out: Array<Json> = []
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (!isRecord(item)) {
      return Result.fail(new ParseError({ dataType, message: `expected a JSON object at index ${i}`, at }))
    }
    out.push(item)
  }
  return Result.succeed(out)
}

/** First present string among keys (engines spell the same field differently). */
export const str = (o: Json | undefined, ...keys: Array<string>): string | undefined => {
  if (o === undefined) return undefined
  for (const k of keys) {
    const v = o[k]
    if (typeof v === "string") return v
  }
  return undefined
}

/** A string, or null when absent or empty. */
export const strOrNull = (o: Json | undefined, ...keys: Array<string>): string | null => {
  const v = str(o, ...keys)
  return v === undefined || v === "" ? null : v
}

export const num = (o: Json | undefined, ...keys: Array<string>): number | undefined => {
  if (o === undefined) return undefined
  for (const k of keys) {
    const v = o[k]
    if (typeof v === "number" && Number.isFinite(v)) return v
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v)
  }
  return undefined
}

export const bool = (o: Json | undefined, ...keys: Array<string>): boolean | undefined => {
  if (o === undefined) return undefined
  for (const k of keys) {
    const v = o[k]
    if (typeof v === "boolean") return v
    if (v === "true") return true
    if (v === "false") return false
  }
  return undefined
}

export const obj = (o: Json | undefined, ...keys: Array<string>): Json | undefined => {
  if (o === undefined) return undefined
  for (const k of keys) {
    const v = o[k]
    if (isRecord(v)) return v
  }
  return undefined
}

export const arr = (o: Json | undefined, ...keys: Array<string>): Array<unknown> | undefined => {
  if (o === undefined) return undefined
  for (const k of keys) {
    const v = o[k]
    if (Array.isArray(v)) return v
  }
  return undefined
}

/** Only the string values of an object (labels, options). */
export const stringMap = (o: Json | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  if (o === undefined) return out
  for (const [k, v] of Object.entries(o)) if (typeof v === "string") out[k] = v
  return out
}

/** Latest time a JS Date can hold (±8.64e15 ms); beyond it toISOString throws. */
const MAX_UNIX_SECONDS = 8.64e12

/** Unix seconds (podman, engine list) → ISO time; non-positive or out-of-range means unknown. */
export const unixToIso = (secs: number | undefined): string | null =>
  secs === undefined || secs <= 0 || !Number.isFinite(secs) || secs > MAX_UNIX_SECONDS
    ? null
    : isoFromMillis(secs * 1000)

import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { sdFail } from "./fail.ts"

export type ShowBlock = Readonly<Record<string, string>>

const PROPERTY = /^([A-Za-z][A-Za-z0-9_]*)=(.*)$/

/**
 * `systemctl show`: `Key=Value` lines, one blank-line-separated block per unit.
 * Lines that are not `Key=Value` (wrapped or cut values) are skipped: they carry no property.
 */
export const parseSystemctlShow = (text: string, at = "show"): Result.Result<Array<ShowBlock>, ParseError> => {
  const blocks: Array<Record<string, string>> = []
  let cur: Record<string, string> | null = null
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      cur = null
      continue
    }
    const m = PROPERTY.exec(line)
    if (!m) continue
    if (cur === null) {
      cur = {}
      blocks.push(cur)
    }
    cur[m[1] as string] = m[2] as string
  }
  if (blocks.length === 0 && text.trim() !== "") return sdFail("no 'Key=Value' property lines found", at)
  return Result.succeed(blocks)
}

/** Unset / not-applicable values systemctl prints in place of a number. */
const UNSET = new Set(["", "[not set]", "n/a", "infinity"])

/**
 * A numeric property, null when unset. UINT64_MAX (and anything ≥ 2^63) is systemd's
 * "no value" marker for counters like MemoryCurrent.
 */
export const numericProperty = (
  block: ShowBlock,
  key: string,
  at: string,
): Result.Result<number | null, ParseError> => {
  const raw = block[key]
  if (raw === undefined || UNSET.has(raw.trim())) return Result.succeed(null)
  if (!/^-?\d+$/.test(raw.trim())) return sdFail(`${key} is not a number: ${JSON.stringify(raw.slice(0, 40))}`, at)
  const n = Number(raw)
  return Result.succeed(n >= 2 ** 63 ? null : n)
}

/** A text property, null when empty or `n/a`. */
export const textProperty = (block: ShowBlock, key: string): string | null => {
  const raw = block[key]
  return raw === undefined || raw === "" || raw === "n/a" ? null : raw
}

import type { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { bad, guard, numberedLines } from "./fail.ts"
import type { ArcStats } from "./model.ts"

export const ARC_UNAVAILABLE: ArcStats = {
  available: false,
  size_bytes: null,
  target_bytes: null,
  max_size_bytes: null,
  hits: null,
  misses: null,
  hit_ratio: null,
}

const REQUIRED = ["size", "c_max", "hits", "misses"] as const

/**
 * /proc/spl/kstat/zfs/arcstats: a kstat header line ("13 1 0x01 …"), a "name type data"
 * line, then one `name type value` row per statistic.
 */
export const parseArcstats = (text: string): Result.Result<ArcStats, ParseError> =>
  guard("arcstats", () => {
    const values = new Map<string, number>()
    for (const { n, line } of numberedLines(text)) {
      const t = line.trim()
      if (t === "" || /^name\s+type\s+data$/.test(t) || /^\d+ \d+ 0x/.test(t)) continue
      const m = /^(\w+)\s+(\d+)\s+(-?\d+)$/.exec(t)
      if (m === null) return bad(`unexpected arcstats line '${t.slice(0, 60)}'`, `arcstats line ${n}`)
      values.set(m[1] as string, Number(m[3]))
    }
    const missing = REQUIRED.filter((k) => !values.has(k))
    if (missing.length > 0) return bad(`arcstats lacks ${missing.join(", ")}`, "arcstats")
    const hits = values.get("hits") as number
    const misses = values.get("misses") as number
    return {
      available: true,
      size_bytes: values.get("size") as number,
      target_bytes: values.get("c") ?? null,
      max_size_bytes: values.get("c_max") as number,
      hits,
      misses,
      hit_ratio: hits + misses > 0 ? hits / (hits + misses) : null,
    }
  })

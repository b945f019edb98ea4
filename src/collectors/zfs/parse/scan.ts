import type { ZfsScan } from "./model.ts"
import { parseCtime, parseDuration, parseSize } from "./units.ts"

const emptyScan = (text: string): ZfsScan => ({
  function: null,
  state: "unknown",
  started_at: null,
  ended_at: null,
  duration_seconds: null,
  percent_done: null,
  eta: null,
  scanned_bytes: null,
  issued_bytes: null,
  total_bytes: null,
  repaired_bytes: null,
  errors: null,
  text,
})

const fn = (word: string): ZfsScan["function"] =>
  word === "resilver" ? "resilver" : word === "error scrub" ? "error_scrub" : "scrub"

/** A size inside free text; unreadable sizes become null rather than failing the pool. */
const size = (token: string | undefined): number | null => {
  if (token === undefined) return null
  try {
    return parseSize(token)
  } catch {
    return null
  }
}

/**
 * The `scan:` value of `zpool status` (first line plus continuation lines), in the wordings of
 * OpenZFS 0.7–2.x and illumos (`scrub: none requested`, `scrub completed after …`).
 * Unknown wordings keep their text with state "unknown": a new phrasing must not hide the pool.
 */
export const parseScanText = (text: string): ZfsScan => {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "")
  const first = lines[0] ?? ""
  const joined = lines.join("\n")
  const base = emptyScan(joined)
  let m: RegExpExecArray | null

  if (/^none requested$/.test(first)) return { ...base, state: "none" }

  if ((m = /^(scrub|resilver|error scrub) (in progress|paused) since (.+)$/.exec(first)) !== null) {
    return parseProgress(
      {
        ...base,
        function: fn(m[1] as string),
        state: m[2] === "paused" ? "paused" : "in_progress",
        started_at: parseCtime(m[3] as string),
      },
      lines.slice(1).join(", "),
    )
  }
  if ((m = /^(scrub|resilver|error scrub) canceled on (.+)$/.exec(first)) !== null) {
    return { ...base, function: fn(m[1] as string), state: "canceled", ended_at: parseCtime(m[2] as string) }
  }
  const finished = /^(scrub) repaired (\S+) in (.+?) with (\d+) errors on (.+)$/.exec(first) ??
    /^(resilver)ed (\S+) in (.+?) with (\d+) errors on (.+)$/.exec(first)
  if (finished !== null) {
    return {
      ...base,
      function: fn(finished[1] as string),
      state: "finished",
      repaired_bytes: size(finished[2]),
      duration_seconds: parseDuration(finished[3] as string),
      errors: Number(finished[4]),
      ended_at: parseCtime(finished[5] as string),
    }
  }
  // illumos / old Solaris: "scrub completed after 0h0m with 0 errors on …"
  if ((m = /^(scrub|resilver) completed after (.+?) with (\d+) errors on (.+)$/.exec(first)) !== null) {
    return {
      ...base,
      function: fn(m[1] as string),
      state: "finished",
      duration_seconds: parseDuration(m[2] as string),
      errors: Number(m[3]),
      ended_at: parseCtime(m[4] as string),
    }
  }
  return base
}

/** Progress lines of a running scan; three generations of wording are recognised. */
const parseProgress = (scan: ZfsScan, rest: string): ZfsScan => {
  let out = scan
  let m: RegExpExecArray | null
  // 0.7: "72.6M scanned out of 1.03T at 2.42M/s, 123h32m to go"
  if ((m = /(\S+) scanned out of (\S+)/.exec(rest)) !== null) {
    out = { ...out, scanned_bytes: size(m[1]), total_bytes: size(m[2]) }
  }
  // 2.x: "704G / 1.66T scanned at 5.67G/s, 0B / 1.66T issued"
  if ((m = /(\S+) \/ (\S+) scanned/.exec(rest)) !== null) {
    out = { ...out, scanned_bytes: size(m[1]), total_bytes: size(m[2]) }
  }
  if ((m = /(\S+) \/ (\S+) issued/.exec(rest)) !== null) {
    out = { ...out, issued_bytes: size(m[1]), total_bytes: out.total_bytes ?? size(m[2]) }
  }
  // 0.8: "1.2T scanned at 500M/s, 800G issued at 300M/s, 3.4T total"
  if (out.scanned_bytes === null && (m = /(\S+) scanned at /.exec(rest)) !== null) {
    out = { ...out, scanned_bytes: size(m[1]) }
  }
  if (out.issued_bytes === null && (m = /(\S+) issued at /.exec(rest)) !== null) {
    out = { ...out, issued_bytes: size(m[1]) }
  }
  if (out.total_bytes === null && (m = /(\S+) total/.exec(rest)) !== null) out = { ...out, total_bytes: size(m[1]) }
  if ((m = /(\S+) (?:repaired|resilvered),/.exec(rest)) !== null) out = { ...out, repaired_bytes: size(m[1]) }
  if ((m = /([\d.]+)% done/.exec(rest)) !== null) out = { ...out, percent_done: Number(m[1]) }
  if ((m = /,\s*([^,]+?) to go/.exec(rest)) !== null) out = { ...out, eta: (m[1] as string).trim() }
  return out
}

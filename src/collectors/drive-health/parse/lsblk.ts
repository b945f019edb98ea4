import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { asArray, asBoolean, asNumber, asObject, asString, get, parseJsonText } from "./json.ts"
import type { BlockDevice } from "./model.ts"

const DATA_TYPE = "drive_health"

export interface LsblkResult {
  readonly devices: ReadonlyArray<BlockDevice>
  /** lsblk's own complaints mixed into the output ("lsblk: dm-0: failed to get device path"). */
  readonly warnings: ReadonlyArray<string>
}

const fail = (message: string, at: string) => Result.fail(new ParseError({ dataType: DATA_TYPE, message, at }))

/** Size: exact bytes when numeric (`-b`, number or string), otherwise the human text ("223.6G"). */
const size = (v: unknown): { size_bytes: number | null; size_text: string | null } => {
  const n = asNumber(v)
  return n !== null ? { size_bytes: n, size_text: null } : { size_bytes: null, size_text: asString(v) }
}

/** lsblk ≥ 2.37 prints `mountpoints` (array, may hold null); older ones `mountpoint` (string|null). */
const mountpoints = (o: Readonly<Record<string, unknown>>): Array<string> => {
  const many = asArray(o["mountpoints"])
  if (many !== null) return many.flatMap((m) => (typeof m === "string" && m !== "" ? [m] : []))
  const one = asString(o["mountpoint"])
  return one === null ? [] : [one]
}

/** `lsblk -J [-b] -o ...`: nested blockdevices, flattened depth-first with `parent` set. */
export const parseLsblkJson = (text: string): Result.Result<LsblkResult, ParseError> =>
  Result.flatMap(parseJsonText(text, DATA_TYPE, "lsblk"), (v) => {
    const top = asArray(get(v, "blockdevices"))
    if (top === null) return fail("lsblk JSON has no 'blockdevices' array", "lsblk")
    const out: Array<BlockDevice> = []
    // Explicit stack instead of recursion: a hostile, deeply nested document cannot blow the call stack.
    const stack: Array<{ node: unknown; parent: string | null; at: string }> = top
      .map((node, i) => ({ node, parent: null as string | null, at: `blockdevices[${i}]` }))
      .reverse()
    while (stack.length > 0) {
      const { node, parent, at } = stack.pop() as (typeof stack)[number]
      const o = asObject(node)
      if (o === null) return fail("block device entry is not an object", at)
      const name = asString(o["name"])
      const type = asString(o["type"])
      if (name === null) return fail("block device has no name", at)
      if (type === null) return fail(`block device '${name}' has no type`, at)
      out.push({
        name,
        kname: asString(o["kname"]),
        path: asString(o["path"]) ?? `/dev/${name}`,
        type,
        parent,
        ...size(o["size"]),
        model: asString(o["model"]),
        serial: asString(o["serial"]),
        vendor: asString(o["vendor"]),
        wwn: asString(o["wwn"]),
        rotational: asBoolean(o["rota"]),
        transport: asString(o["tran"]),
        fstype: asString(o["fstype"]),
        mountpoints: mountpoints(o),
      })
      const children = o["children"]
      if (children === undefined || children === null) continue
      const kids = asArray(children)
      if (kids === null) return fail(`'children' of '${name}' is not an array`, at)
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], parent: name, at: `${at}.children[${i}]` })
    }
    return Result.succeed({ devices: out, warnings: [] })
  })

const PAIR_RE = /([A-Z][A-Z0-9:_-]*)="((?:[^"\\]|\\.)*)"/g

/** lsblk -P escapes unsafe bytes as \xHH. */
const unescapeLsblk = (s: string): string =>
  s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))

/** `lsblk -P -o ...` KEY="value" lines. "lsblk: ..." lines are lsblk's warnings, kept apart. */
export const parseLsblkPairs = (text: string): Result.Result<LsblkResult, ParseError> => {
  const devices: Array<BlockDevice> = []
  const warnings: Array<string> = []
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim()
    if (line === "") continue
    if (line.startsWith("lsblk:")) {
      warnings.push(line)
      continue
    }
    const kv = new Map<string, string>()
    for (const m of line.matchAll(PAIR_RE)) kv.set(m[1] as string, unescapeLsblk(m[2] as string))
    if (kv.size === 0) return fail(`not a KEY="value" line: ${line.slice(0, 80)}`, `line ${i + 1}`)
    const name = asString(kv.get("NAME"))
    const type = asString(kv.get("TYPE"))
    if (name === null) return fail("lsblk -P line has no NAME", `line ${i + 1}`)
    if (type === null) return fail(`lsblk -P line for '${name}' has no TYPE`, `line ${i + 1}`)
    const mount = asString(kv.get("MOUNTPOINT"))
    devices.push({
      name,
      kname: asString(kv.get("KNAME")),
      path: asString(kv.get("PATH")) ?? `/dev/${name}`,
      type,
      parent: asString(kv.get("PKNAME")),
      ...size(kv.get("SIZE")),
      model: asString(kv.get("MODEL")),
      serial: asString(kv.get("SERIAL")),
      vendor: asString(kv.get("VENDOR")),
      wwn: asString(kv.get("WWN")),
      rotational: asBoolean(kv.get("ROTA")),
      transport: asString(kv.get("TRAN")),
      fstype: asString(kv.get("FSTYPE")),
      mountpoints: mount === null ? [] : [mount],
    })
  }
  return Result.succeed({ devices, warnings })
}

/**
 * lsblk's default tree/table text is refused on purpose: empty cells (no MOUNTPOINT) are
 * just spaces, values such as MODEL contain spaces, and tree glyphs prefix names, so column
 * boundaries cannot be recovered reliably. The script always asks for -J (or -P).
 */
export const parseLsblkTable = (text: string): Result.Result<LsblkResult, ParseError> =>
  fail(
    /^\s*NAME\b/.test(text)
      ? "lsblk tree/table output is not machine-readable (blank cells, values with spaces); run lsblk with -J or -P"
      : "unrecognised lsblk output",
    "lsblk",
  )

/** Any lsblk output: JSON (-J), pairs (-P, possibly with lsblk: warnings), else the table refusal. */
export const parseLsblk = (text: string): Result.Result<LsblkResult, ParseError> => {
  const t = text.trimStart()
  if (t.startsWith("{")) return parseLsblkJson(text)
  if (/^(lsblk:.*\n)*\s*[A-Z][A-Z0-9:_-]*="/.test(t)) return parseLsblkPairs(text)
  return parseLsblkTable(text)
}

import { Result } from "effect"
import { ParseError, ValidationError } from "../../domain/errors.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { shq } from "../../domain/quote.ts"
import type { CommandResult } from "../../domain/command.ts"
import { parseListParam, validateGlobs } from "../../domain/globs.ts"
import { hostGlobCheck } from "./host-globs.ts"
import { type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"

export interface ScannedFile {
  readonly path: string
  /** Index into `globs` of the first pattern that matched. */
  readonly glob_index: number
  readonly size: number
  readonly mtime: string
  /** sha256 hex of the content; null when the file exists but cannot be read. */
  readonly sha256: string | null
}

/** A path matching a glob whose physical location (symlinks resolved) matches none: never hashed. */
export interface OutsideFile {
  readonly path: string
  readonly glob_index: number
  /** Where the path really leads. */
  readonly target: string
}

export interface ConfigScan {
  readonly globs: ReadonlyArray<string>
  readonly files: ReadonlyArray<ScannedFile>
  readonly outside: ReadonlyArray<OutsideFile>
}

const NO_SHA = "@@no-sha256sum"

export const globsOf = (p: Params): Array<string> => validateGlobs(parseListParam("globs", p["globs"]))

/**
 * One round trip for every regular file matching any glob. Each pattern travels shq-quoted in a
 * variable and is expanded unquoted with IFS empty: pathname expansion only, no word splitting, no
 * command substitution. Records are NUL-terminated with the path last, so any byte but NUL
 * (spaces, quotes, newlines) survives. sha256sum reads stdin so its output never escapes the name.
 * A match whose physical location is outside the globs (a symlink out of a watched directory) is
 * neither stat'ed nor hashed: its record is `<index> @ <target>` NUL `<path>` NUL.
 */
export const configScanScript = (globs: ReadonlyArray<string>): string =>
  [
    "(",
    "IFS=",
    `command -v sha256sum >/dev/null 2>&1 || { echo ${NO_SHA}; exit 0; }`,
    ...hostGlobCheck(globs),
    "emit() {",
    '  _physical "$2" || return 0',
    '  if ! _inglobs "$r"; then printf \'%s @ %s\\0%s\\0\' "$1" "$r" "$2"; return 0; fi',
    "  st=$(stat -L -c '%s %Y' -- \"$r\" 2>/dev/null) || return 0",
    '  if [ -r "$r" ] && h=$(sha256sum < "$r" 2>/dev/null); then h=${h%% *}; else h=-; fi',
    '  printf \'%s %s %s %s\\0\' "$1" "$st" "$h" "$2"',
    "}",
    ...globs.map((g, i) => `g=${shq(g)}; for f in $g; do if [ -f "$f" ]; then emit ${i} "$f"; fi; done`),
    "exit 0",
    ") 2>/dev/null",
  ].join("\n")

const RECORD = /^(\d+) (\d+) (-?\d+) ([0-9a-f]{64}|-) ([\s\S]+)$/
const OUTSIDE = /^(\d+) @ (\/[\s\S]*)$/

export const parseConfigScan = (
  result: CommandResult,
  globs: ReadonlyArray<string>,
): Result.Result<ConfigScan, ParseError> => {
  if (result.stdout.startsWith(NO_SHA)) {
    return Result.fail(new ParseError({ dataType: "config_scan", message: "sha256sum is not installed on the host" }))
  }
  if (result.truncated) {
    return Result.fail(
      new ParseError({ dataType: "config_scan", message: "scan output was truncated: narrow the globs" }),
    )
  }
  const files: Array<ScannedFile> = []
  const outside: Array<OutsideFile> = []
  const seen = new Set<string>()
  const records = result.stdout.split("\u0000")
  records.pop() // what follows the last NUL is not a record
  for (let r = 0; r < records.length; r++) {
    // A record never starts with a newline; stray ones come from shell framing.
    const raw = (records[r] as string).replace(/^\n+/, "")
    const o = OUTSIDE.exec(raw)
    if (o !== null) {
      const path = records[++r]
      if (path === undefined || path === "") {
        return Result.fail(new ParseError({ dataType: "config_scan", message: "scan record without a path" }))
      }
      const index = Number(o[1])
      if (index >= globs.length || seen.has(path)) continue
      seen.add(path)
      outside.push({ path, glob_index: index, target: o[2] as string })
      continue
    }
    const m = RECORD.exec(raw)
    if (m === null) {
      return Result.fail(
        new ParseError({ dataType: "config_scan", message: "malformed scan record", at: raw.slice(0, 120) }),
      )
    }
    const index = Number(m[1])
    const path = m[5] as string
    if (index >= globs.length || seen.has(path)) continue
    seen.add(path)
    files.push({
      path,
      glob_index: index,
      size: Number(m[2]),
      mtime: new Date(Number(m[3]) * 1000).toISOString(),
      sha256: m[4] === "-" ? null : (m[4] as string),
    })
  }
  return Result.succeed({ globs, files, outside })
}

/** Which config files exist now, with size, mtime and hash: the cheap half of change detection. */
export const configScan: DataTypeSpec<ConfigScan> = {
  name: "config_scan",
  internal: true,
  params: params({ globs: "absolute glob patterns (JSON array, or newline/comma-separated)" }),
  description:
    "Regular files matching absolute glob patterns, with size, mtime and sha256; param: globs (JSON array, or newline/comma-separated). " +
    "A match whose physical path (symlinks resolved) matches no glob is listed under outside, with that path, never hashed.",
  table: "",
  ttlSeconds: 0,
  timeout: "60 seconds",
  retry: transportRetry,
  maxOutputBytes: 8 * 1024 * 1024,
  script: (p) => configScanScript(globsOf(p)),
  parse: (result, p) => {
    try {
      return parseConfigScan(result, globsOf(p))
    } catch (e) {
      if (e instanceof ValidationError) {
        return Result.fail(new ParseError({ dataType: "config_scan", message: e.message }))
      }
      throw e
    }
  },
  toRows: () => [],
}

import { Buffer } from "node:buffer"
import { createHash } from "node:crypto"
import { Result } from "effect"
import { ParseError, ValidationError } from "../../domain/errors.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { shq } from "../../domain/quote.ts"
import type { CommandResult } from "../../domain/command.ts"
import { parseListParam, validateGlobs, validatePaths } from "../../domain/globs.ts"
import { hostGlobCheck } from "./host-globs.ts"
import { type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
const HARD_MAX_FILE_BYTES = 32 * 1024 * 1024

/** "outside": the file's physical location (symlinks resolved) matches none of the allowed globs. */
export type FetchStatus = "ok" | "missing" | "notfile" | "unreadable" | "too_large" | "outside"

export interface FetchedFile {
  readonly path: string
  readonly status: FetchStatus
  readonly size: number | null
  readonly mtime: string | null
  /** sha256 hex of the bytes (computed here for "ok", by the host for "too_large"). */
  readonly sha256: string | null
  /** The exact bytes, base64: binary and invalid UTF-8 survive. Only for "ok". */
  readonly content_base64: string | null
  /** Where the path really is, for "outside" only (its content is never read); null otherwise. */
  readonly target: string | null
}

export interface ConfigFiles {
  readonly max_bytes: number
  readonly files: ReadonlyArray<FetchedFile>
}

export const pathsOf = (p: Params): Array<string> => validatePaths(parseListParam("paths", p["paths"]))

/** The globs a file must physically be in to be read: required, so no caller reads just any path. */
export const globsOf = (p: Params): Array<string> => validateGlobs(parseListParam("globs", p["globs"]))

export const maxBytesOf = (p: Params): number => {
  const raw = p["max_bytes"]
  if (raw === undefined || raw === "") return DEFAULT_MAX_FILE_BYTES
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > HARD_MAX_FILE_BYTES) {
    throw new ValidationError({ message: `max_bytes must be an integer between 0 and ${HARD_MAX_FILE_BYTES}` })
  }
  return n
}

const NO_BASE64 = "@@no-base64"

/**
 * One round trip for several files. Results are keyed by the index of the path in the request, so
 * no file name is ever echoed back. Content is base64 between a header and an end line (base64
 * never starts a line with "@@"); a file over the cap sends only its size and hash. Each path is
 * resolved to its physical location first, and read from there only when that matches `globs`;
 * otherwise only that location is sent back (base64 too, as it may hold any byte but NUL).
 */
export const configFilesScript = (
  paths: ReadonlyArray<string>,
  globs: ReadonlyArray<string>,
  maxBytes: number,
): string =>
  [
    "(",
    `command -v base64 >/dev/null 2>&1 || { echo ${NO_BASE64}; exit 0; }`,
    `max=${maxBytes}`,
    ...hostGlobCheck(globs),
    "f() {",
    '  if [ ! -e "$2" ]; then echo "@@FILE $1 missing"; return 0; fi',
    '  _physical "$2" || { echo "@@FILE $1 unreadable"; return 0; }',
    '  if ! _inglobs "$r"; then echo "@@FILE $1 outside"; printf \'%s\' "$r" | base64; echo "@@END $1 ok"; return 0; fi',
    '  if [ ! -f "$r" ]; then echo "@@FILE $1 notfile"; return 0; fi',
    '  if [ ! -r "$r" ]; then echo "@@FILE $1 unreadable"; return 0; fi',
    '  st=$(stat -L -c \'%s %Y\' -- "$r" 2>/dev/null) || { echo "@@FILE $1 unreadable"; return 0; }',
    '  if [ "${st%% *}" -gt "$max" ]; then',
    '    h=$(sha256sum < "$r" 2>/dev/null) && h=${h%% *} || h=-',
    '    echo "@@FILE $1 too_large $st $h"; return 0',
    "  fi",
    '  echo "@@FILE $1 ok $st"',
    '  if base64 < "$r" 2>/dev/null; then echo "@@END $1 ok"; else echo; echo "@@END $1 fail"; fi',
    "}",
    ...paths.map((p, i) => `f ${i} ${shq(p)}`),
    "exit 0",
    ")",
  ].join("\n")

const HEADER =
  /^@@FILE (\d+) (ok|missing|notfile|unreadable|too_large|outside)(?: (\d+) (-?\d+))?(?: ([0-9a-f]{64}|-))?$/
const END = /^@@END (\d+) (ok|fail)$/

const fail = (message: string, at?: string) => Result.fail(new ParseError({ dataType: "config_files", message, at }))

export const parseConfigFiles = (
  result: CommandResult,
  paths: ReadonlyArray<string>,
  maxBytes: number,
): Result.Result<ConfigFiles, ParseError> => {
  if (result.stdout.startsWith(NO_BASE64)) return fail("base64 is not installed on the host")
  if (result.truncated) return fail("file contents exceeded the output cap: read fewer files at once")
  const byIndex = new Map<number, FetchedFile>()
  const lines = result.stdout.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (line === "") continue
    const h = HEADER.exec(line)
    if (h === null) return fail("unexpected line in file read output", line.slice(0, 120))
    const index = Number(h[1])
    const path = paths[index]
    if (path === undefined) return fail("file index out of range", line)
    const status = h[2] as FetchStatus
    const size = h[3] === undefined ? null : Number(h[3])
    const mtime = h[4] === undefined ? null : new Date(Number(h[4]) * 1000).toISOString()
    if (status !== "ok" && status !== "outside") {
      const sha = h[5] === undefined || h[5] === "-" ? null : h[5]
      byIndex.set(index, { path, status, size, mtime, sha256: sha, content_base64: null, target: null })
      continue
    }
    const chunks: Array<string> = []
    let end: RegExpExecArray | null = null
    for (i++; i < lines.length; i++) {
      end = END.exec(lines[i] as string)
      if (end !== null) break
      chunks.push(lines[i] as string)
    }
    if (end === null || Number(end[1]) !== index) return fail("file content not terminated", path)
    if (status === "outside") {
      // No size, time or hash of a file outside the globs: only where the path leads.
      const target = Buffer.from(chunks.join(""), "base64").toString("utf8")
      if (!target.startsWith("/")) return fail("unresolved target for a file outside the globs", path)
      byIndex.set(index, { path, status, size: null, mtime: null, sha256: null, content_base64: null, target })
      continue
    }
    if (end[2] === "fail") {
      byIndex.set(index, { path, status: "unreadable", size, mtime, sha256: null, content_base64: null, target: null })
      continue
    }
    const bytes = Buffer.from(chunks.join(""), "base64")
    if (bytes.length > maxBytes) {
      // It grew between stat and read: treat it like any other oversized file.
      byIndex.set(index, {
        path,
        status: "too_large",
        size: bytes.length,
        mtime,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        content_base64: null,
        target: null,
      })
      continue
    }
    byIndex.set(index, {
      path,
      status: "ok",
      size: bytes.length,
      mtime,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      content_base64: bytes.toString("base64"),
      target: null,
    })
  }
  const files: Array<FetchedFile> = []
  for (let i = 0; i < paths.length; i++) {
    const f = byIndex.get(i)
    if (f === undefined) return fail("no result for a requested file", paths[i])
    files.push(f)
  }
  return Result.succeed({ max_bytes: maxBytes, files })
}

const asParseError = (e: unknown) =>
  e instanceof ValidationError
    ? Result.fail(new ParseError({ dataType: "config_files", message: e.message }))
    : (() => {
      throw e
    })()

/** Contents of several files in one round trip, byte-exact, with a per-file size cap. */
export const configFiles: DataTypeSpec<ConfigFiles> = {
  name: "config_files",
  internal: true,
  params: params({
    paths: "absolute paths (JSON array, or newline/comma-separated)",
    max_bytes: "per-file cap; larger files come back as too_large",
    globs: "required: the device's watched globs; a file whose physical path matches none comes back as outside",
  }),
  description:
    "Contents (base64) and sha256 of several files in one read; params: paths (JSON array, or newline/comma-separated), " +
    `max_bytes (per file, default ${DEFAULT_MAX_FILE_BYTES}; larger files come back as too_large without content), ` +
    "globs (required: a file whose physical path, symlinks resolved, matches none is reported as outside, with that path and no content).",
  table: "",
  ttlSeconds: 0,
  timeout: "60 seconds",
  retry: transportRetry,
  maxOutputBytes: 96 * 1024 * 1024,
  script: (p) => configFilesScript(pathsOf(p), globsOf(p), maxBytesOf(p)),
  parse: (result, p) => {
    try {
      return parseConfigFiles(result, pathsOf(p), maxBytesOf(p))
    } catch (e) {
      return asParseError(e)
    }
  },
  toRows: () => [],
}

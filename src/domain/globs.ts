import { ValidationError } from "./errors.ts"

/** Bounds on what a caller may ask a host to expand in one scan. */
export const MAX_GLOBS = 200
export const MAX_GLOB_LENGTH = 4096
export const MAX_PATHS = 500

/**
 * A list parameter: a JSON array of strings, or newline/comma-separated text.
 * Internal callers send JSON (paths may contain commas or newlines); people type the short forms.
 */
export const parseListParam = (name: string, raw: unknown): Array<string> => {
  if (raw === undefined || raw === null || raw === "") return []
  if (typeof raw !== "string") throw new ValidationError({ message: `${name} must be a string list` })
  const text = raw.trim()
  if (text.startsWith("[")) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new ValidationError({ message: `${name} is not a valid JSON array` })
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
      throw new ValidationError({ message: `${name} must be a JSON array of strings` })
    }
    return parsed as Array<string>
  }
  return text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== "")
}

/** An absolute path or pattern without NUL or newline (those cannot be scanned reliably). */
const checkAbsolute = (what: string, value: string): void => {
  if (!value.startsWith("/")) throw new ValidationError({ message: `${what} must be absolute, got '${value}'` })
  if (value.includes("\u0000")) throw new ValidationError({ message: `${what} contains a NUL byte` })
  if (value.length > MAX_GLOB_LENGTH) {
    throw new ValidationError({ message: `${what} is longer than ${MAX_GLOB_LENGTH}` })
  }
}

export const validateGlobs = (globs: ReadonlyArray<string>): Array<string> => {
  if (globs.length === 0) throw new ValidationError({ message: "globs must name at least one pattern" })
  if (globs.length > MAX_GLOBS) throw new ValidationError({ message: `at most ${MAX_GLOBS} globs per scan` })
  for (const g of globs) {
    checkAbsolute("glob", g)
    if (g.includes("\n")) throw new ValidationError({ message: "a glob must not contain a newline" })
  }
  return [...new Set(globs)]
}

/** File paths may contain newlines (they travel as JSON and shell-quoted), never NUL. */
export const validatePaths = (paths: ReadonlyArray<string>): Array<string> => {
  if (paths.length === 0) throw new ValidationError({ message: "paths must name at least one file" })
  if (paths.length > MAX_PATHS) throw new ValidationError({ message: `at most ${MAX_PATHS} paths per read` })
  for (const p of paths) checkAbsolute("path", p)
  return paths.slice()
}

const hasMagic = (s: string): boolean => /[*?[]/.test(s)

/** Shell pathname-expansion semantics: `*` and `?` never cross `/`, `[...]` is a class; dotfiles need an explicit dot. */
export const globToRegExp = (glob: string): RegExp => {
  let out = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    const atSegmentStart = i === 0 || glob[i - 1] === "/"
    if (c === "*") {
      out += atSegmentStart ? "(?!\\.)[^/]*" : "[^/]*"
    } else if (c === "?") {
      out += atSegmentStart ? "(?!\\.)[^/]" : "[^/]"
    } else if (c === "[") {
      const close = glob.indexOf("]", i + 2)
      if (close < 0) {
        out += "\\["
        continue
      }
      let body = glob.slice(i + 1, close)
      if (body.startsWith("!")) body = `^${body.slice(1)}`
      out += `[${body.replace(/\\/g, "\\\\")}]`
      i = close
    } else {
      out += c.replace(/[.+^${}()|\\\]]/g, "\\$&")
    }
  }
  return new RegExp(`^${out}$`)
}

export const globMatches = (
  glob: string,
  path: string,
): boolean => (hasMagic(glob) ? globToRegExp(glob).test(path) : glob === path)

/** The directory part of a pattern (may itself contain wildcards): what inotify has to watch. */
export const parentPattern = (glob: string): string => {
  const slash = glob.lastIndexOf("/")
  return slash <= 0 ? "/" : glob.slice(0, slash)
}

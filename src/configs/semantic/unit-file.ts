import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"

/** Section name → key → values in file order (a key may be assigned several times). */
export type UnitFile = Readonly<Record<string, Readonly<Record<string, ReadonlyArray<string>>>>>

const fail = (message: string, line: number): Result.Result<never, ParseError> =>
  Result.fail(new ParseError({ dataType: "systemd_unit", message, at: `line ${line}` }))

const isComment = (line: string): boolean => /^\s*[#;]/.test(line)

/** Prototype-less so keys like `__proto__` are plain data. */
const bag = <V>(): Record<string, V> => Object.create(null) as Record<string, V>

/**
 * A systemd unit file (systemd.syntax(7)):
 * - `[Section]` headers; a repeated header continues the same section;
 * - `Key=Value`, whitespace around both trimmed; a repeated key appends;
 * - `Key=` (empty) resets the list assigned so far;
 * - a trailing backslash joins the next line (the backslash becomes a space), comment lines
 *   inside a continuation are skipped;
 * - lines starting with `#` or `;` are comments (only at line start, not inline).
 */
export const parseUnitFile = (text: string): Result.Result<UnitFile, ParseError> => {
  const sections = bag<Record<string, Array<string>>>()
  let current: Record<string, Array<string>> | null = null
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1
    let line = lines[i] as string
    if (isComment(line)) continue
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      const next = lines[++i] as string
      if (isComment(next)) {
        line = line.replace(/\\\s*$/, "\\")
        continue
      }
      line = `${line.replace(/\\\s*$/, " ")}${next}`
    }
    // A backslash on the very last line has nothing to join: drop it.
    line = line.replace(/\\\s*$/, "").trim()
    if (line === "") continue
    if (line.startsWith("[")) {
      const m = /^\[([^\[\]]+)\]$/.exec(line)
      if (!m) return fail(`malformed section header ${JSON.stringify(line.slice(0, 80))}`, startLine)
      const name = m[1] as string
      current = sections[name] ?? (sections[name] = bag<Array<string>>())
      continue
    }
    const eq = line.indexOf("=")
    if (eq <= 0) return fail(`expected 'Key=Value', got ${JSON.stringify(line.slice(0, 80))}`, startLine)
    if (current === null) return fail("assignment outside of any [Section]", startLine)
    const key = line.slice(0, eq).trim()
    const value = line.slice(eq + 1).trim()
    if (!/^[A-Za-z0-9_.@-]+$/.test(key)) return fail(`invalid key ${JSON.stringify(key.slice(0, 60))}`, startLine)
    if (value === "") current[key] = []
    else (current[key] ??= []).push(value)
  }
  return Result.succeed(sections)
}

/** All values of `key` in `section` (empty when unset). */
export const unitValues = (unit: UnitFile, section: string, key: string): ReadonlyArray<string> =>
  Object.hasOwn(unit, section) && Object.hasOwn(unit[section] as object, key) ? (unit[section]?.[key] ?? []) : []

import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"

/**
 * A `.env` file as docker compose / dotenv read it:
 * - `KEY=VALUE`, optional leading `export `, whitespace around the key and `=` ignored;
 * - `#` lines are comments; in unquoted values ` #…` starts a comment;
 * - single quotes are literal; double quotes allow `\n \t \" \\` escapes and may span lines;
 * - a later assignment of the same key wins.
 * Values are raw here — callers redact.
 */

export interface EnvFile {
  readonly vars: Readonly<Record<string, string>>
  /** Keys in first-appearance order. */
  readonly keys: ReadonlyArray<string>
}

const fail = (message: string, line: number): Result.Result<never, ParseError> =>
  Result.fail(new ParseError({ dataType: "env_file", message, at: `line ${line}` }))

const DOUBLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", $: "$" }

export const parseEnvFile = (text: string): Result.Result<EnvFile, ParseError> => {
  const vars: Record<string, string> = Object.create(null)
  const keys: Array<string> = []
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    const line = lines[i] as string
    if (line.trim() === "" || line.trim().startsWith("#")) continue
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s?(.*)$/.exec(line)
    if (!m) return fail(`expected KEY=VALUE, got ${JSON.stringify(line.slice(0, 80))}`, lineNo)
    const key = m[1] as string
    let rest = (m[2] as string).trimStart()
    let value: string
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1)
      if (end < 0) return fail(`unterminated single-quoted value for ${key}`, lineNo)
      value = rest.slice(1, end)
    } else if (rest.startsWith('"')) {
      // Double-quoted values may continue on the following lines.
      rest = rest.slice(1)
      value = ""
      let closed = false
      while (!closed) {
        for (let k = 0; k < rest.length; k++) {
          const c = rest[k] as string
          if (c === "\\" && k + 1 < rest.length) {
            const n = rest[k + 1] as string
            value += DOUBLE_ESCAPES[n] ?? `\\${n}`
            k++
          } else if (c === '"') {
            closed = true
            break
          } else value += c
        }
        if (!closed) {
          if (i + 1 >= lines.length) return fail(`unterminated double-quoted value for ${key}`, lineNo)
          value += "\n"
          rest = lines[++i] as string
        }
      }
    } else value = rest.replace(/\s+#.*$/, "").trimEnd()
    if (!Object.hasOwn(vars, key)) keys.push(key)
    vars[key] = value
  }
  return Result.succeed({ vars, keys })
}

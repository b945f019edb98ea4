import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"

/**
 * Batched scripts print several reads in one round trip, each behind a marker line.
 * The marker carries the section's exit code so a missing tool is visible per section.
 */
export const MARKER = "@@INFRA@@"

/** Shell fragment: run cmd (stdin closed, stderr kept apart) and print it as section `name`. */
export const section = (name: string, cmd: string): string =>
  `printf '\\n${MARKER} %s\\n' ${name}; { ${cmd} ; } </dev/null 2>/dev/null; printf '\\n${MARKER}-rc %s %s\\n' ${name} "$?"`

export interface Section {
  readonly body: string
  readonly exitCode: number | undefined
}

/** Split script output into named sections (body without the framing newlines). */
export const splitSections = (stdout: string): Map<string, Section> => {
  const out = new Map<string, Section>()
  const re = new RegExp(`\\n${MARKER} (\\S+)\\n([\\s\\S]*?)\\n${MARKER}-rc (\\S+) (-?\\d+)\\n`, "g")
  const text = stdout.startsWith("\n") ? stdout : `\n${stdout}`
  for (const m of text.matchAll(re)) {
    const name = m[1] as string
    if (m[3] !== name) continue
    out.set(name, { body: m[2] as string, exitCode: Number(m[4]) })
  }
  return out
}

/** A required section's body, or a ParseError naming what is missing. */
export const requireSection = (
  sections: Map<string, Section>,
  name: string,
  dataType: string,
): Result.Result<string, ParseError> => {
  const s = sections.get(name)
  if (s === undefined) {
    return Result.fail(new ParseError({ dataType, message: `section '${name}' missing from command output`, at: name }))
  }
  return Result.succeed(s.body)
}

/**
 * A section's ParseError, with the section prefixed to `at`. Fields are copied by name: a spread
 * (`{ ...e }`) drops `message`, which Data.TaggedError does not keep as an own enumerable field.
 */
export const inSection = (name: string) => (e: ParseError): ParseError =>
  new ParseError({ dataType: e.dataType, message: e.message, at: e.at === undefined ? name : `${name}: ${e.at}` })

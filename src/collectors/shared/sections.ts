import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"
import { MARKER, type Section, splitSections } from "../../domain/section-framing.ts"

/**
 * Batched scripts print several reads in one round trip, each behind a marker line.
 * The marker carries the section's exit code so a missing tool is visible per section.
 * The framing itself (marker, splitting) is in src/domain/section-framing.ts: the pipeline reads it too.
 */
export { MARKER, type Section, splitSections }

/**
 * Shell fragment: run cmd (stdin closed) and print it as section `name`. Its stderr goes to the
 * script's stderr, so that a failed section (daemon down, no systemd) reaches the pipeline with
 * the tool's own words (src/pipeline/command-failure.ts).
 */
export const section = (name: string, cmd: string): string =>
  `printf '\\n${MARKER} %s\\n' ${name}; { ${cmd} ; } </dev/null; printf '\\n${MARKER}-rc %s %s\\n' ${name} "$?"`

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

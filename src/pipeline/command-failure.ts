import type { CommandResult } from "../domain/command.ts"
import { CommandFailed, type NotFound, type ParseError, UnsupportedDataType } from "../domain/errors.ts"
import { type Section, splitSections } from "../domain/section-framing.ts"

/** At most this much of a command's stderr is kept in the error (the tail: tools say why last). */
export const STDERR_LIMIT = 2000

/** Exit status of a shell for "command not found". */
const NOT_FOUND = 127

/**
 * stderr as the error shows it: lines without trailing blanks, empty lines and repeats dropped
 * (a batched script's sections often fail with the same words), the last STDERR_LIMIT characters.
 */
export const cleanStderr = (stderr: string): string => {
  const seen = new Set<string>()
  const lines: Array<string> = []
  for (const raw of stderr.split("\n")) {
    const line = raw.trimEnd()
    if (line.trim() === "" || seen.has(line)) continue
    seen.add(line)
    lines.push(line)
  }
  const text = lines.join("\n")
  return text.length <= STDERR_LIMIT ? text : `…${text.slice(text.length - STDERR_LIMIT + 1)}`
}

/** The section a parser's `at` points into: `at` is the section's name, or starts with "name:" or "name ". */
const sectionOf = (
  sections: ReadonlyMap<string, Section>,
  at: string | undefined,
): [string, Section] | undefined => {
  if (at === undefined) return undefined
  let found: [string, Section] | undefined
  for (const [name, s] of sections) {
    const inside = at === name || at.startsWith(`${name}:`) || at.startsWith(`${name} `)
    if (inside && (found === undefined || name.length > found[0].length)) {
      found = [name, s]
    }
  }
  return found
}

const firstLine = (text: string): string => text.split("\n")[0] ?? ""

/**
 * What a parser's failure really was, decided once here for every data type and action from the
 * command result, never per parser:
 * - the command (or the batched script's section the parser names in `at`) exited 127: the tool is
 *   not on the device's PATH → UnsupportedDataType (422), like a probe that found it missing;
 * - it exited non-zero and said why on stderr, or printed nothing → CommandFailed (502) with that
 *   stderr: a stopped Docker daemon, systemctl without systemd, a permission refused;
 * - a command that exited 0 but printed only on stderr → CommandFailed too;
 * - otherwise the tool ran and its output is malformed: the ParseError stands.
 * NotFound (a named container that does not exist) is already the real cause and stands.
 */
export const explainFailure = (
  device: string,
  dataType: string,
  result: CommandResult,
  failure: ParseError | NotFound,
): ParseError | NotFound | CommandFailed | UnsupportedDataType => {
  if (failure._tag !== "ParseError") return failure
  const stderr = cleanStderr(result.stderr)
  const named = sectionOf(splitSections(result.stdout), failure.at)
  if (named !== undefined) {
    const [name, s] = named
    const code = s.exitCode ?? 0
    if (code === NOT_FOUND) {
      const said = firstLine(stderr)
      return new UnsupportedDataType({
        device,
        dataType,
        reason: `'${name}': command not found on the device's PATH (exit 127)${said === "" ? "" : `: ${said}`}`,
      })
    }
    if (code !== 0 && (stderr !== "" || s.body.trim() === "")) {
      return new CommandFailed({ device, dataType, section: name, exitCode: code, stderr })
    }
    return failure
  }
  const printed = result.stdout.trim() !== ""
  if (result.exitCode === NOT_FOUND && !printed) {
    const said = firstLine(stderr)
    return new UnsupportedDataType({
      device,
      dataType,
      reason: `command not found on the device's PATH (exit 127)${said === "" ? "" : `: ${said}`}`,
    })
  }
  if ((result.exitCode !== 0 && (stderr !== "" || !printed)) || (!printed && stderr !== "")) {
    return new CommandFailed({ device, dataType, exitCode: result.exitCode, stderr })
  }
  return failure
}

/**
 * How batched scripts frame their output: each read behind a marker line, ended by a line with its
 * exit code. The scripts are written in src/collectors/shared/sections.ts; the parsers and the
 * pipeline (which tells a failed command from malformed output) read the framing with this one function.
 */
export const MARKER = "@@INFRA@@"

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

import type { Section } from "../../shared/sections.ts"

/**
 * `grep -H '' f1 f2 …` prints every line as `path:line`: several /proc files from one process.
 * Split it back into one body per path (in file order); a file that could not be read has no lines.
 * Paths read this way contain no ':', so the first one ends the path.
 */
export const splitGrepFiles = (text: string): Map<string, string> => {
  const lines = new Map<string, Array<string>>()
  for (const line of text.replace(/\r/g, "").split("\n")) {
    const colon = line.indexOf(":")
    if (colon <= 0 || !line.startsWith("/")) continue
    const path = line.slice(0, colon)
    const list = lines.get(path) ?? []
    list.push(line.slice(colon + 1))
    lines.set(path, list)
  }
  return new Map([...lines].map(([path, list]) => [path, list.join("\n")]))
}

/**
 * Named sections from the files of a grep section. A file grep printed lines of was read (exit 0 for
 * it, whatever grep says about the others); one it has no lines for is left out, as a failed read.
 */
export const sectionsFromFiles = (
  files: Map<string, string>,
  names: Readonly<Record<string, string>>,
): Array<[string, Section]> =>
  Object.entries(names).flatMap(([name, path]) => {
    const body = files.get(path)
    return body === undefined ? [] : [[name, { body, exitCode: 0 }] as [string, Section]]
  })

/** CPUs in a kernel list such as `0-3,8,10-11` (Cpus_allowed_list), or undefined when it is not one. */
export const countCpuList = (text: string): number | undefined => {
  const list = text.trim()
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) return undefined
  let n = 0
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined]
    if (b !== undefined && b < a) return undefined
    n += b === undefined ? 1 : b - a + 1
  }
  return n
}

import { shq } from "../../domain/quote.ts"
import { parentPattern } from "../../domain/globs.ts"

export const NO_INOTIFYWAIT = "no-inotifywait"
export const NO_DIRECTORIES = "no-directories"

const END = " @@E"

const hasMagic = (s: string): boolean => /[*?[]/.test(s)

/**
 * Directories to watch for a set of file globs, as patterns. Not recursive: the parent directory of
 * each glob, plus, for a parent with wildcards, each directory above a wildcard segment
 * (for `/opt/<any>/compose.yml`: `/opt/*` and `/opt`), so a new `/opt/app` shows up as an event.
 */
export const watchDirPatterns = (globs: ReadonlyArray<string>): Array<string> => {
  const out = new Set<string>()
  for (const g of globs) {
    const parent = parentPattern(g)
    const segments = parent.split("/")
    for (let i = 1; i < segments.length; i++) {
      if (hasMagic(segments[i] as string)) out.add(segments.slice(0, i).join("/") || "/")
    }
    out.add(parent)
  }
  return [...out]
}

/** Watched directory patterns with wildcards: a directory appearing that matches one changes the watch set. */
export const wildcardDirPatterns = (globs: ReadonlyArray<string>): Array<string> =>
  watchDirPatterns(globs).filter(hasMagic)

/**
 * The long-running watch command. Directory patterns are expanded on the host (quoted in a variable,
 * expanded with IFS empty: globbing only), directories that do not exist are skipped. stderr is
 * merged into stdout for inotifywait's "Watches established." line, which says when events can no
 * longer be missed. Each event is framed `@@E <time> <EVENTS> <path> @@E` because a path may hold
 * newlines: the parser joins lines until the closing frame. `exec` lets a TERM on channel close
 * reach inotifywait itself. No `-r`: a recursive watch of /opt would cover every app's data tree.
 */
export const inotifyCommand = (globs: ReadonlyArray<string>): string => {
  const script = [
    `command -v inotifywait >/dev/null 2>&1 || { echo '@@WATCH ${NO_INOTIFYWAIT}'; exit 0; }`,
    "IFS=",
    "set --",
    ...watchDirPatterns(globs).map((d) =>
      `g=${shq(d)}; for d in $g; do if [ -d "$d" ]; then set -- "$@" "$d"; fi; done`
    ),
    `[ $# -gt 0 ] || { echo '@@WATCH ${NO_DIRECTORIES}'; exit 0; }`,
    "exec inotifywait -m -e close_write,create,delete,move,moved_to,moved_from " +
    `--format '@@E %T %e %w%f${END}' --timefmt '%s' -- "$@" 2>&1`,
  ].join("\n")
  return `exec /bin/sh -c ${shq(script)}`
}

export interface InotifyEvent {
  readonly kind: "event"
  /** Host time of the event, unix seconds. */
  readonly hostTime: number
  readonly events: ReadonlyArray<string>
  readonly path: string
  readonly isDir: boolean
}

export type WatchLine =
  | InotifyEvent
  | { readonly kind: "ready" }
  | { readonly kind: "marker"; readonly name: string }
  | { readonly kind: "noise"; readonly text: string }

const EVENT = /^@@E (\d+) ([A-Z_,]+) ([\s\S]*) @@E$/
/** A frame that never closes (garbage) is dropped past this size. */
const MAX_FRAME = 64 * 1024

/** Turns stream lines into events; stateful only to rejoin paths split by a newline. */
export class InotifyLineParser {
  #pending: string | null = null

  push(line: string): Array<WatchLine> {
    if (this.#pending !== null) {
      this.#pending += `\n${line}`
      if (this.#pending.length > MAX_FRAME) {
        this.#pending = null
        return [{ kind: "noise", text: "oversized event frame dropped" }]
      }
      return this.#complete()
    }
    if (line.startsWith("@@E ")) {
      this.#pending = line
      return this.#complete()
    }
    if (line.startsWith("@@WATCH ")) return [{ kind: "marker", name: line.slice(8).trim() }]
    if (line.trim() === "Watches established.") return [{ kind: "ready" }]
    return line.trim() === "" ? [] : [{ kind: "noise", text: line }]
  }

  #complete(): Array<WatchLine> {
    const frame = this.#pending as string
    if (!frame.endsWith(END)) return []
    const m = EVENT.exec(frame)
    this.#pending = null
    if (m === null) return [{ kind: "noise", text: frame.slice(0, 200) }]
    const events = (m[2] as string).split(",")
    return [{
      kind: "event",
      hostTime: Number(m[1]),
      events,
      path: m[3] as string,
      isDir: events.includes("ISDIR"),
    }]
  }
}

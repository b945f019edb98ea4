import { Buffer } from "node:buffer"
import { randomBytes } from "node:crypto"
import { shq } from "../domain/quote.ts"

/**
 * Framing protocol for persistent shells (`exec /bin/sh` on an exec channel, no pty).
 *
 * Each command is written to the shell's stdin as:
 *
 *   __infra_s='<script, single-quoted by shq>'
 *   ( eval "$__infra_s" ) </dev/null
 *   __infra_rc=$?
 *   printf '%s %s\n' '<marker>' "$__infra_rc"
 *   printf '%s\n' '<marker>' >&2
 *
 * Single quotes keep every byte of the script literal (quotes, $(), backticks, newlines) and cost
 * no extra process; the subshell isolates cd/exit/set from the next command; </dev/null stops the
 * script from reading the shell's own input. stdout and stderr stay on the channel's two streams and
 * each ends with the marker, so the output before it is exact. The marker is random per command.
 */

export interface FramedCommand {
  readonly text: string
  readonly marker: string
}

/** Frame one script; undefined when the script contains NUL (no shell can carry it). */
export const frameCommand = (script: string): FramedCommand | undefined => {
  if (script.includes("\u0000")) return undefined
  const marker = `__INFRA_END_${randomBytes(16).toString("hex")}__`
  const text = `__infra_s=${shq(script)}\n` +
    `( eval "$__infra_s" ) </dev/null\n` +
    `__infra_rc=$?\n` +
    `printf '%s %s\\n' '${marker}' "$__infra_rc"\n` +
    `printf '%s\\n' '${marker}' >&2\n`
  return { text, marker }
}

/**
 * Collects one stream's bytes until the marker shows up, without re-scanning everything on each chunk
 * (outputs can be megabytes): only the last marker-length bytes are kept aside for a split marker.
 */
export class MarkedStream {
  readonly #marker: Buffer
  readonly #chunks: Array<Buffer> = []
  #received = 0
  #tail: Buffer = Buffer.alloc(0)
  #markerAt = -1
  readonly #after: Array<Buffer> = []

  constructor(marker: string) {
    this.#marker = Buffer.from(marker, "utf8")
  }

  push(chunk: Buffer): void {
    const windowStart = this.#received - this.#tail.length
    if (this.#markerAt >= 0) {
      this.#after.push(chunk)
      return
    }
    this.#chunks.push(chunk)
    this.#received += chunk.length
    const window = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk])
    const index = window.indexOf(this.#marker)
    if (index >= 0) {
      this.#markerAt = windowStart + index
      this.#after.push(window.subarray(index + this.#marker.length))
      this.#tail = Buffer.alloc(0)
    } else {
      this.#tail = window.subarray(Math.max(0, window.length - (this.#marker.length - 1)))
    }
  }

  get markerSeen(): boolean {
    return this.#markerAt >= 0
  }

  /** Bytes known to be command output (a possible partial marker at the end is not counted). */
  get outputBytes(): number {
    return this.#markerAt >= 0 ? this.#markerAt : this.#received - this.#tail.length
  }

  /** Output bytes (before the marker, or everything certain so far), cut to at most `limit`. */
  output(limit: number = Number.POSITIVE_INFINITY): Buffer {
    const all = Buffer.concat(this.#chunks)
    return all.subarray(0, Math.min(this.outputBytes, limit))
  }

  /** What followed the marker (for stdout: " <exit code>\n"). */
  afterMarker(): string {
    return Buffer.concat(this.#after).toString("utf8")
  }
}

/** Parse the stdout trailer " <code>\n"; undefined until the newline has arrived. */
export const parseExitTrailer = (trailer: string): number | undefined => {
  const newline = trailer.indexOf("\n")
  if (newline < 0) return undefined
  const n = Number.parseInt(trailer.slice(0, newline).trim(), 10)
  return Number.isFinite(n) ? n : -1
}

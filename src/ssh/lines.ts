import type { Buffer } from "node:buffer"
import { StringDecoder } from "node:string_decoder"

/** Turns byte chunks into complete lines (UTF-8 safe across chunk edges; "\r\n" and "\n" both end a line). */
export class LineSplitter {
  readonly #decoder = new StringDecoder("utf8")
  #pending = ""

  push(chunk: Buffer): Array<string> {
    this.#pending += this.#decoder.write(chunk)
    const parts = this.#pending.split("\n")
    this.#pending = parts.pop() ?? ""
    return parts.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line))
  }

  /** The last line when the output did not end with a newline. */
  flush(): Array<string> {
    const rest = this.#pending + this.#decoder.end()
    this.#pending = ""
    return rest === "" ? [] : [rest.endsWith("\r") ? rest.slice(0, -1) : rest]
  }
}

import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"

/**
 * nginx configuration syntax → AST, following ngx_conf_read_token (src/core/ngx_conf_file.c):
 * - words are separated by whitespace; `;` ends a directive, `{` opens its block, `}` closes one;
 * - `#` starts a comment only at the start of a word (`a#b` is one word);
 * - quoted strings ('…' or "…") are one word; after the closing quote a separator must follow
 *   (whitespace, `;`, `{`, or `)` as in `if ($a ~ "x")`);
 * - a backslash escapes the next character; `\"`, `\'`, `\\` lose the backslash, `\t \r \n` become
 *   control characters, any other `\x` stays as written (regexes keep `\.`);
 * - `${` inside a word does not open a block (`${var}`), any other `{` ends the word;
 * - the body of `*_by_lua_block { … }` is Lua, kept as one opaque string.
 */

export interface NginxComment {
  readonly type: "comment"
  readonly line: number
  /** Text after the `#`. */
  readonly text: string
}

export interface NginxDirective {
  readonly type: "directive"
  readonly line: number
  readonly name: string
  readonly args: ReadonlyArray<string>
  /** Present for block directives (`server { … }`). */
  readonly block?: ReadonlyArray<NginxNode>
  /** Body of a `*_by_lua_block`, verbatim. */
  readonly opaque?: string
}

export type NginxNode = NginxDirective | NginxComment

const MAX_DEPTH = 100

/** Syntax errors are thrown inside the scanner and turned into a Result at its entry point. */
const fail = (message: string, line: number): never => {
  throw new ParseError({ dataType: "nginx", message, at: `line ${line}` })
}

const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\f"

type Token =
  | { readonly kind: "word"; readonly value: string; readonly line: number; readonly quoted: boolean }
  | { readonly kind: ";" | "{" | "}"; readonly line: number }
  | { readonly kind: "comment"; readonly text: string; readonly line: number }

const unescape = (raw: string): string => {
  if (!raw.includes("\\")) return raw
  let out = ""
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string
    if (c === "\\" && i + 1 < raw.length) {
      const n = raw[i + 1] as string
      if (n === '"' || n === "'" || n === "\\") {
        out += n
        i++
        continue
      }
      if (n === "t" || n === "r" || n === "n") {
        out += n === "t" ? "\t" : n === "r" ? "\r" : "\n"
        i++
        continue
      }
    }
    out += c
  }
  return out
}

/** A cursor over the text that counts lines as it goes. */
class Cursor {
  pos = 0
  line = 1
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
  get done(): boolean {
    return this.pos >= this.text.length
  }
  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? ""
  }
  next(): string {
    const c = this.text[this.pos++] ?? ""
    if (c === "\n") this.line++
    return c
  }
}

/**
 * Reads the Lua body after `{` up to its matching `}`, skipping Lua strings, long brackets
 * and comments so that braces inside them do not count.
 */
const readLuaBody = (cur: Cursor): string => {
  const start = cur.pos
  const startLine = cur.line
  let depth = 1
  while (!cur.done) {
    const c = cur.peek()
    if (c === "-" && cur.peek(1) === "-") {
      cur.next()
      cur.next()
      const long = /^\[(=*)\[/.exec(cur.text.slice(cur.pos, cur.pos + 64))
      if (long) {
        const close = `]${long[1]}]`
        while (!cur.done && !cur.text.startsWith(close, cur.pos)) cur.next()
        for (let k = 0; k < close.length && !cur.done; k++) cur.next()
      } else {
        while (!cur.done && cur.peek() !== "\n") cur.next()
      }
      continue
    }
    if (c === "[") {
      const long = /^\[(=*)\[/.exec(cur.text.slice(cur.pos, cur.pos + 64))
      if (long) {
        const close = `]${long[1]}]`
        while (!cur.done && !cur.text.startsWith(close, cur.pos)) cur.next()
        for (let k = 0; k < close.length && !cur.done; k++) cur.next()
        continue
      }
    }
    if (c === '"' || c === "'") {
      cur.next()
      while (!cur.done && cur.peek() !== c && cur.peek() !== "\n") {
        if (cur.next() === "\\") cur.next()
      }
      cur.next()
      continue
    }
    if (c === "{") depth++
    if (c === "}") {
      depth--
      if (depth === 0) {
        const body = cur.text.slice(start, cur.pos)
        cur.next()
        return body
      }
    }
    cur.next()
  }
  return fail("unterminated lua block", startLine)
}

const readQuoted = (cur: Cursor, quote: string): Token & { kind: "word" } => {
  const line = cur.line
  cur.next()
  const start = cur.pos
  while (!cur.done) {
    const c = cur.next()
    if (c === "\\") {
      cur.next()
      continue
    }
    if (c === quote) {
      const raw = cur.text.slice(start, cur.pos - 1)
      const after = cur.peek()
      if (after !== "" && !isSpace(after) && after !== ";" && after !== "{" && after !== ")") {
        return fail(`unexpected ${JSON.stringify(after)} after quoted string`, cur.line)
      }
      return { kind: "word", value: unescape(raw), line, quoted: true }
    }
  }
  return fail("unterminated quoted string", line)
}

const readWord = (cur: Cursor): Token & { kind: "word" } => {
  const line = cur.line
  const start = cur.pos
  let prevDollar = false
  while (!cur.done) {
    const c = cur.peek()
    if (c === "{" && prevDollar) {
      cur.next()
      prevDollar = false
      continue
    }
    if (isSpace(c) || c === ";" || c === "{") break
    cur.next()
    if (c === "\\") {
      if (!cur.done) cur.next()
      prevDollar = false
      continue
    }
    prevDollar = c === "$"
  }
  return { kind: "word", value: unescape(cur.text.slice(start, cur.pos)), line, quoted: false }
}

/** Tokenizes and builds the tree in one pass (the lua-block rule needs the directive name). */
export const parseNginxSyntax = (text: string): Result.Result<ReadonlyArray<NginxNode>, ParseError> => {
  try {
    return Result.succeed(scan(text))
  } catch (e) {
    if (e instanceof ParseError) return Result.fail(e)
    // A RangeError or similar from pathological input must not escape either.
    return Result.fail(new ParseError({ dataType: "nginx", message: String(e) }))
  }
}

interface Statement {
  readonly name: string
  readonly args: Array<string>
  readonly line: number
}

const scan = (text: string): ReadonlyArray<NginxNode> => {
  const cur = new Cursor(text.replace(/^\uFEFF/, ""))
  const root: Array<NginxNode> = []
  const stack: Array<{ nodes: Array<NginxNode>; line: number }> = [{ nodes: root, line: 1 }]
  let words: Array<Token & { kind: "word" }> = []

  const statement = (terminator: ";" | "{", line: number): Statement => {
    const first = words[0]
    if (first === undefined) return fail(`unexpected "${terminator}"`, line)
    const d = { name: first.value, args: words.slice(1).map((w) => w.value), line: first.line }
    words = []
    return d
  }

  while (!cur.done) {
    const c = cur.peek()
    if (isSpace(c)) {
      cur.next()
      continue
    }
    const top = stack[stack.length - 1] as { nodes: Array<NginxNode>; line: number }
    if (c === "#") {
      const line = cur.line
      const start = cur.pos + 1
      while (!cur.done && cur.peek() !== "\n") cur.next()
      // Comments between a directive's words are dropped, as nginx does; others are kept.
      if (words.length === 0) top.nodes.push({ type: "comment", line, text: cur.text.slice(start, cur.pos) })
      continue
    }
    if (c === ";") {
      const line = cur.line
      cur.next()
      top.nodes.push({ type: "directive", ...statement(";", line) })
      continue
    }
    if (c === "{") {
      const line = cur.line
      cur.next()
      const v = statement("{", line)
      if (v.name.endsWith("_by_lua_block")) {
        top.nodes.push({ type: "directive", ...v, opaque: readLuaBody(cur) })
        continue
      }
      if (stack.length > MAX_DEPTH) fail(`blocks nested deeper than ${MAX_DEPTH}`, line)
      const block: Array<NginxNode> = []
      top.nodes.push({ type: "directive", ...v, block })
      stack.push({ nodes: block, line: v.line })
      continue
    }
    if (c === "}") {
      const line = cur.line
      cur.next()
      if (words.length > 0) fail(`unexpected "}" (directive "${words[0]?.value}" has no ";")`, line)
      if (stack.length === 1) fail(`unexpected "}"`, line)
      stack.pop()
      continue
    }
    words.push(c === '"' || c === "'" ? readQuoted(cur, c) : readWord(cur))
  }
  if (words.length > 0) fail(`unexpected end of file, expecting ";" or "}"`, cur.line)
  if (stack.length > 1) {
    const open = stack[stack.length - 1] as { line: number }
    fail(`unexpected end of file, block opened at line ${open.line} is not closed`, cur.line)
  }
  return root
}

/** Canonical text of the directives only (comments and layout dropped): equal ⇔ same configuration. */
export const canonicalNginx = (nodes: ReadonlyArray<NginxNode>): string => {
  const out: Array<string> = []
  const walk = (list: ReadonlyArray<NginxNode>, depth: number): void => {
    for (const n of list) {
      if (n.type === "comment") continue
      const head = [n.name, ...n.args].map((w) => JSON.stringify(w)).join(" ")
      if (n.opaque !== undefined) out.push(`${depth}:${head} lua ${JSON.stringify(n.opaque)}`)
      else if (n.block) {
        out.push(`${depth}:${head} {`)
        walk(n.block, depth + 1)
        out.push(`${depth}:}`)
      } else out.push(`${depth}:${head};`)
    }
  }
  walk(nodes, 0)
  return out.join("\n")
}

import type { ConfigType } from "./types.ts"

/**
 * Secret redaction for parsed config data and raw config text.
 *
 * A key is secret when one of its words (split on `_ - .` and camelCase) is a secret word
 * (password, pass, token, key, auth, …) or contains a strong one (`DBPASSWORD`, `APIKEY`),
 * unless its last word says the value only points at or describes the secret (`…_FILE`,
 * `…_PATH`, `…_HOST`, `…_ENABLED`). Values that are a bare variable reference (`${DB_PASS}`,
 * `$DB_PASS`) are kept: they show the wiring and hold no secret. Independently of the key,
 * URL credentials (`scheme://user:pass@`) and inline `password=…`/`token=…` pairs are redacted
 * in every value.
 */

export const REDACTED = "[REDACTED]"

const SECRET_WORDS = new Set([
  "password",
  "passwords",
  "passwd",
  "pass",
  "pwd",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "tokens",
  "apikey",
  "key",
  "privkey",
  "private",
  "credential",
  "credentials",
  "creds",
  "auth",
  "authorization",
  "jwt",
  "salt",
  "htpasswd",
])
/** Found inside glued words such as DBPASSWORD or AUTHTOKEN. */
const STRONG_PARTS = [
  "password",
  "passwd",
  "secret",
  "token",
  "apikey",
  "passphrase",
  "credential",
  "privatekey",
  "basicauth",
  "htpasswd",
]
/** A last word that makes the value a pointer to or a property of a secret, not the secret. */
const DESCRIPTIVE_LAST_WORDS = new Set([
  "file",
  "files",
  "path",
  "dir",
  "directory",
  "filename",
  "url",
  "uri",
  "host",
  "hostname",
  "port",
  "enabled",
  "enable",
  "disabled",
  "method",
  "mode",
  "type",
  "ttl",
  "expiry",
  "expiration",
  "timeout",
  "length",
  "size",
  "algorithm",
  "header",
  "realm",
  "provider",
  "backend",
  "id",
  "name",
  "user",
  "username",
])

export const keyWords = (key: string): Array<string> =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "")

export const isSecretKey = (key: string): boolean => {
  const words = keyWords(key)
  const last = words[words.length - 1]
  if (last === undefined || (words.length > 1 && DESCRIPTIVE_LAST_WORDS.has(last))) return false
  return words.some((w) => SECRET_WORDS.has(w) || STRONG_PARTS.some((p) => w.includes(p)))
}

const isDsnKey = (key: string): boolean => keyWords(key).includes("dsn")

/** `${NAME}` or `$NAME` and nothing else (a `${NAME:-default}` may carry a default secret). */
export const isVariableReference = (value: string): boolean =>
  /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(value)

/** Longest authority (`user:pass@host:port`) examined after a `://`. */
const MAX_AUTHORITY = 1024
const AUTHORITY_END = new Set(["/", "?", "#", " ", "\t", "\r", "\n", "'", '"', "`", "<", ">", ";", ","])

/** `scheme://user:pass@host` → `scheme://user:[REDACTED]@host`; linear scan, no regex backtracking. */
export const redactUrlCredentials = (text: string): string => {
  let out = ""
  let from = 0
  for (let at = text.indexOf("://"); at >= 0; at = text.indexOf("://", at + 3)) {
    const start = at + 3
    let end = start
    while (end < text.length && end - start < MAX_AUTHORITY && !AUTHORITY_END.has(text[end] as string)) end++
    const authority = text.slice(start, end)
    const atSign = authority.lastIndexOf("@")
    const colon = atSign > 0 ? authority.indexOf(":") : -1
    if (colon < 0 || colon > atSign || authority.slice(colon + 1, atSign) === REDACTED) continue
    out += `${text.slice(from, start)}${authority.slice(0, colon + 1)}${REDACTED}`
    from = start + atSign
  }
  return from === 0 ? text : out + text.slice(from)
}

/** `key=value` pairs inside free text (`--password=x`, `?token=y`, `"PASSWORD=z"`); keys start at a word boundary. */
const INLINE_PAIR =
  /(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.-]*)=("[^"\n]*"|'[^'\n]*'|(?:\$\{[^}\s]*\}|[^\s;&'",\]}])+)/g

/** Redacts URL passwords and secret `key=value` pairs inside any text, keeping everything else. */
export const redactInline = (text: string): string =>
  redactUrlCredentials(text).replace(INLINE_PAIR, (m, key: string, value: string, offset: number, whole: string) => {
    const q = value[0] === '"' || value[0] === "'" ? value[0] : ""
    const bare = q ? value.slice(1, -1) : value
    if (whole.startsWith(REDACTED, offset + key.length + 1 + q.length)) return m
    if (isVariableReference(bare) || !isSecretKey(key)) return m
    return `${key}=${q}${REDACTED}${q}`
  })

/** The value to keep for `key = value`. */
export const redactValue = (key: string, value: string): string => {
  if (value === "" || isVariableReference(value)) return value
  if (isSecretKey(key)) return REDACTED
  if (isDsnKey(key) && /@|password/i.test(value)) return REDACTED
  return redactInline(value)
}

/** Deeply redacts every string of a JSON-like value (keys judged by `redactValue`). */
export const redactDeep = (value: unknown, key = ""): unknown => {
  if (typeof value === "string") return redactValue(key, value)
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, key))
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = Object.create(null)
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, k)
    return out
  }
  return value
}

// ---- raw text: redact values in place, one output line per input line ----

const QUOTE = /^(["'])/

/** Replaces a value keeping its quoting, so `"abc"` → `"[REDACTED]"`. */
const maskQuoted = (value: string): string => {
  const trimmed = value.trim()
  const q = QUOTE.exec(trimmed)?.[1]
  if (q !== undefined && trimmed.length > 1 && trimmed.endsWith(q)) return `${q}${REDACTED}${q}`
  return REDACTED
}

/** True when a quoted value opens on this line and does not close on it. */
const opensQuote = (value: string): string | undefined => {
  const t = value.trim()
  const q = QUOTE.exec(t)?.[1]
  if (q === undefined) return undefined
  let closed = false
  for (let i = 1; i < t.length; i++) {
    if (t[i] === "\\" && q === '"') {
      i++
      continue
    }
    if (t[i] === q) {
      closed = true
      break
    }
  }
  return closed ? undefined : q
}

/** Masks the lines that continue a quoted value until (and including) the closing quote. */
const maskQuoteContinuation = (lines: Array<string>, from: number, quote: string): number => {
  let i = from
  for (; i < lines.length; i++) {
    const line = lines[i] as string
    const closes = line.includes(quote)
    lines[i] = closes ? `${REDACTED}${quote}` : REDACTED
    if (closes) break
  }
  return i
}

const redactEnvText = (lines: Array<string>): void => {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (redactCommentLine(lines, i, redactEnvText)) continue
    const m = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/.exec(line)
    if (!m) {
      lines[i] = redactInline(line)
      continue
    }
    const [, lead, key, eq, rest] = m as unknown as [string, string, string, string, string]
    const value = rest.slice(0, commentStart(rest))
    if (redactValue(key, unquote(value)) === REDACTED) {
      const open = opensQuote(value)
      lines[i] = `${lead}${key}${eq}${open ? `${open}${REDACTED}` : `${maskQuoted(value)}${rest.slice(value.length)}`}`
      if (open) i = maskQuoteContinuation(lines, i + 1, open)
    } else lines[i] = redactInline(line)
  }
}

/** Index where a ` #…` comment starts (at the whitespace before `#`), or the length. Linear. */
const commentStart = (s: string): number => {
  let i = 1
  const lead = s.length - s.trimStart().length
  const q = s[lead]
  if (q === '"' || q === "'") {
    // Skip the quoted scalar: a ` #` inside it is data.
    for (i = lead + 1; i < s.length && s[i] !== q; i++) if (s[i] === "\\" && q === '"') i++
    i++
  }
  for (; i < s.length; i++) {
    if (s[i] === "#" && /\s/.test(s[i - 1] as string)) {
      let j = i - 1
      while (j > 0 && /\s/.test(s[j - 1] as string)) j--
      return j
    }
  }
  return s.length
}

const unquote = (value: string): string => {
  const t = value.trim()
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.endsWith(t[0] as string)) return t.slice(1, -1)
  return t
}

/** Commented-out settings hold secrets too: redact the text after the comment marker like a live line. */
const redactCommentLine = (lines: Array<string>, i: number, redact: (lines: Array<string>) => void): boolean => {
  const m = /^(\s*[#;]+\s*)(.*)$/.exec(lines[i] as string)
  if (!m) return false
  const inner = [m[2] as string]
  redact(inner)
  lines[i] = `${m[1]}${inner[0]}`
  return true
}

const indentOf = (line: string): number => /^\s*/.exec(line)?.[0].length ?? 0

/** Masks the more-indented lines of a block scalar (`KEY: |`). */
const maskBlockScalar = (lines: Array<string>, from: number, parentIndent: number): number => {
  let i = from
  for (; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() !== "" && indentOf(line) <= parentIndent) break
    if (line.trim() !== "") lines[i] = `${" ".repeat(indentOf(line))}${REDACTED}`
  }
  return i - 1
}

const redactYamlText = (lines: Array<string>): void => {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (redactCommentLine(lines, i, redactYamlText)) continue
    // `KEY: value` (key possibly quoted, possibly a list item `- KEY: value`)
    const map = /^(\s*(?:-\s+)?)(["']?)([^"'\s:#][^"'\s:#]*)\2([ \t]*:[ \t]+)/.exec(line)
    if (map) {
      const [head, lead, q, key, colon] = map as unknown as [string, string, string, string, string]
      const rest = line.slice(head.length)
      const value = rest.slice(0, commentStart(rest))
      if (/^[|>][-+0-9]*$/.test(value.trim())) {
        if (isSecretKey(key)) i = maskBlockScalar(lines, i + 1, indentOf(line))
        continue
      }
      if (value.trim() !== "" && redactValue(key, unquote(value)) === REDACTED) {
        const open = opensQuote(value)
        lines[i] = `${lead}${q}${key}${q}${colon}${
          open ? `${open}${REDACTED}` : `${maskQuoted(value)}${rest.slice(value.length)}`
        }`
        if (open) i = maskQuoteContinuation(lines, i + 1, open)
        continue
      }
    }
    // `- KEY=value` / `- "KEY=value"` (compose environment list)
    const item = /^(\s*-\s+)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)=/.exec(line)
    if (item) {
      const [head, lead, q, key] = item as unknown as [string, string, string, string]
      const rest = line.slice(head.length)
      const cut = q ? rest.lastIndexOf(q) : commentStart(rest)
      const value = cut >= 0 ? rest.slice(0, cut) : rest
      if (redactValue(key, value.trim()) === REDACTED) {
        lines[i] = `${lead}${q}${key}=${REDACTED}${cut >= 0 ? rest.slice(cut) : ""}`
        continue
      }
    }
    // Flow mappings: `environment: { PASSWORD: x, USER: y }`
    if (line.includes("{")) {
      lines[i] = redactInline(line).replace(
        /([{,][ \t]*)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2([ \t]*:[ \t]*)([^,}\n]*)/g,
        (m, pre: string, q: string, key: string, colon: string, value: string) =>
          value.trim() !== "" && redactValue(key, unquote(value)) === REDACTED && unquote(value) !== REDACTED
            ? `${pre}${q}${key}${q}${colon}${maskQuoted(value)}`
            : m,
      )
      continue
    }
    lines[i] = redactInline(line)
  }
}

/** Masks secret values in `A=1 "B=two words"` (systemd Environment= syntax), keeping quotes and spacing. */
export const redactAssignments = (body: string): string => {
  let out = ""
  let i = 0
  while (i < body.length) {
    const c = body[i] as string
    if (/\s/.test(c)) {
      out += c
      i++
      continue
    }
    const q = c === '"' || c === "'" ? c : ""
    const start = q ? i + 1 : i
    let end = start
    if (q) {
      while (end < body.length && body[end] !== q) end += body[end] === "\\" ? 2 : 1
    } else {
      while (end < body.length && !/\s/.test(body[end] as string)) end++
    }
    const word = body.slice(start, Math.min(end, body.length))
    const eq = word.indexOf("=")
    const masked = eq > 0 && redactValue(word.slice(0, eq), word.slice(eq + 1)) === REDACTED
      ? `${word.slice(0, eq)}=${REDACTED}`
      : word
    out += q ? `${q}${masked}${end < body.length ? q : ""}` : masked
    i = q ? end + 1 : end
  }
  return out
}

/** `Environment=A=1 "B=two words"` assignments. */
const redactSystemdText = (lines: Array<string>): void => {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (redactCommentLine(lines, i, redactSystemdText)) continue
    const m = /^(\s*Environment\s*=\s*)(.*)$/.exec(line)
    if (!m) {
      lines[i] = redactInline(line)
      continue
    }
    const [, head, body] = m as unknown as [string, string, string]
    const redacted = redactAssignments(body)
    lines[i] = redactInline(`${head}${redacted}`)
  }
}

const HEADER_DIRECTIVE =
  /^(\s*(?:proxy_set_header|grpc_set_header|add_header|fastcgi_param|uwsgi_param|scgi_param)\s+)(\S+)(\s+)/
const SET_DIRECTIVE = /^(\s*set\s+\$)([A-Za-z0-9_]+)(\s+)/

/** `<head><name><sp><value>;<tail>` with the value masked when `name` is secret. */
const maskDirective = (line: string, m: RegExpExecArray): string | undefined => {
  const [head, lead, name, sp] = m as unknown as [string, string, string, string]
  const rest = line.slice(head.length)
  const semi = rest.indexOf(";")
  const value = (semi >= 0 ? rest.slice(0, semi) : rest).trimEnd()
  if (redactValue(name, unquote(value)) !== REDACTED || unquote(value) === REDACTED) return undefined
  return `${lead}${name}${sp}${maskQuoted(value)}${rest.slice(value.length)}`
}

/** nginx: secret headers / params and `set $secret …`. */
const redactNginxText = (lines: Array<string>): void => {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (redactCommentLine(lines, i, redactNginxText)) continue
    const h = HEADER_DIRECTIVE.exec(line) ?? SET_DIRECTIVE.exec(line)
    const masked = h ? maskDirective(line, h) : undefined
    lines[i] = masked ?? redactInline(line)
  }
}

/**
 * Redacts secret values in raw config text of the given type. The line structure is kept
 * (same number of lines, same line breaks), so diffs of redacted versions still line up.
 */
export const redactContent = (type: ConfigType, content: string): string => {
  const parts = content.split(/(\r?\n)/)
  const lines: Array<string> = []
  const breaks: Array<string> = []
  for (let i = 0; i < parts.length; i += 2) {
    lines.push(parts[i] as string)
    breaks.push(parts[i + 1] ?? "")
  }
  switch (type) {
    case "env_files":
      redactEnvText(lines)
      break
    case "docker_compose":
      redactYamlText(lines)
      break
    case "systemd_services":
      redactSystemdText(lines)
      break
    case "proxy_configs":
      redactNginxText(lines)
      break
  }
  return lines.map((l, i) => `${l}${breaks[i] ?? ""}`).join("")
}

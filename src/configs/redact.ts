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
  "keys",
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
const STRONG_PARTS = ["password", "passwd", "secret", "token", "apikey", "passphrase", "credential", "privatekey"]
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
export const isVariableReference = (value: string): boolean => /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(value)

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:'"]*):([^\s/'"]+)@/gi
const INLINE_SECRET = /([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|apikey|api_key)[A-Za-z0-9_.-]*)=([^\s;&'",]+)/gi

/** Redacts URL passwords and `password=…` style pairs inside any text, keeping everything else. */
export const redactInline = (text: string): string =>
  text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
    .replace(INLINE_SECRET, (m, key: string, value: string) => (isVariableReference(value) ? m : `${key}=${REDACTED}`))

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
    const [, lead, key, eq, value] = m as unknown as [string, string, string, string, string]
    const bare = unquote(stripEnvComment(value))
    if (redactValue(key, bare) === REDACTED) {
      const open = opensQuote(value)
      lines[i] = `${lead}${key}${eq}${open ? `${open}${REDACTED}` : maskQuoted(stripEnvComment(value))}`
      if (open) i = maskQuoteContinuation(lines, i + 1, open)
    } else lines[i] = redactInline(line)
  }
}

const stripEnvComment = (value: string): string => {
  const t = value.trim()
  if (t.startsWith('"') || t.startsWith("'")) return t
  return t.replace(/\s+#.*$/, "")
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
    const map = /^(\s*(?:-\s+)?)(["']?)([^"'\s:#][^"':#]*?)\2(\s*:[ \t]+)(.*)$/.exec(line)
    if (map) {
      const [, lead, q, key, colon, rest] = map as unknown as [string, string, string, string, string, string]
      const value = rest.replace(/\s+#.*$/, "")
      if (/^[|>][-+0-9]*$/.test(value.trim())) {
        if (isSecretKey(key)) i = maskBlockScalar(lines, i + 1, indentOf(line))
        continue
      }
      if (value.trim() !== "" && redactValue(key, unquote(value)) === REDACTED) {
        const open = opensQuote(value)
        lines[i] = `${lead}${q}${key}${q}${colon}${open ? `${open}${REDACTED}` : maskQuoted(value)}`
        if (open) i = maskQuoteContinuation(lines, i + 1, open)
        continue
      }
    }
    // `- KEY=value` / `- "KEY=value"` (compose environment list)
    const item = /^(\s*-\s+)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)=(.*?)(\2\s*(?:#.*)?)$/.exec(line)
    if (item) {
      const [, lead, q, key, value, tail] = item as unknown as [string, string, string, string, string, string]
      if (redactValue(key, value) === REDACTED) {
        lines[i] = `${lead}${q}${key}=${REDACTED}${tail}`
        continue
      }
    }
    lines[i] = redactInline(line)
  }
}

/** Masks secret values in `A=1 "B=two words"` (systemd Environment= syntax), keeping quotes and spacing. */
const redactAssignments = (body: string): string => {
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

const HEADER_DIRECTIVES = /^(\s*(?:proxy_set_header|grpc_set_header|add_header|fastcgi_param|uwsgi_param|scgi_param)\s+)(\S+)(\s+)(.+?)(\s*;.*)?$/

/** nginx: secret headers / params and `set $secret …`. */
const redactNginxText = (lines: Array<string>): void => {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (redactCommentLine(lines, i, redactNginxText)) continue
    const h = HEADER_DIRECTIVES.exec(line)
    if (h) {
      const [, head, name, sp, value, tail] = h as unknown as [string, string, string, string, string, string?]
      if (redactValue(name, unquote(value)) === REDACTED) {
        lines[i] = `${head}${name}${sp}${maskQuoted(value)}${tail ?? ""}`
        continue
      }
    }
    const s = /^(\s*set\s+\$)([A-Za-z0-9_]+)(\s+)(.+?)(\s*;.*)?$/.exec(line)
    if (s) {
      const [, head, name, sp, value, tail] = s as unknown as [string, string, string, string, string, string?]
      if (redactValue(name, unquote(value)) === REDACTED) {
        lines[i] = `${head}${name}${sp}${maskQuoted(value)}${tail ?? ""}`
        continue
      }
    }
    lines[i] = redactInline(line)
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

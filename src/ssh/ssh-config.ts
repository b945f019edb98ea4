/**
 * A small, pure reader for OpenSSH client config (~/.ssh/config).
 * Supports Host blocks (several patterns, * and ? wildcards, !negation), HostName, User, Port,
 * IdentityFile (repeatable; ~ and %d %h %r %u %% expanded). Like OpenSSH, the first value seen for
 * an option wins. Match and Include blocks are not supported: a Match block never applies.
 */

export interface SshConfigBlock {
  /** Host patterns; empty for the options before the first Host line (they apply to every host). */
  readonly patterns: ReadonlyArray<string>
  /** True for a Match block, which this reader never applies. */
  readonly unsupported: boolean
  /** Options in file order, keyword lower-cased. */
  readonly options: ReadonlyArray<{ readonly key: string; readonly args: ReadonlyArray<string>; readonly line: number }>
}

export interface SshConfigEnv {
  readonly home: string
  readonly localUser: string
}

export interface ResolvedSshHost {
  /** The name to connect to (HostName, else the alias itself). */
  readonly hostName: string
  readonly user: string | undefined
  readonly port: number | undefined
  readonly identityFiles: ReadonlyArray<string>
  /** Problems in options that applied to this host (e.g. a non-numeric Port). */
  readonly problems: ReadonlyArray<string>
}

/** Split a line into words: whitespace separated, double quotes group, `key=value` allowed for the keyword. */
const splitWords = (line: string): Array<string> | undefined => {
  const words: Array<string> = []
  let current = ""
  let inWord = false
  let quoted = false
  for (const ch of line) {
    if (quoted) {
      if (ch === '"') quoted = false
      else current += ch
    } else if (ch === '"') {
      quoted = true
      inWord = true
    } else if (ch === " " || ch === "\t") {
      if (inWord) words.push(current)
      current = ""
      inWord = false
    } else {
      current += ch
      inWord = true
    }
  }
  if (quoted) return undefined
  if (inWord) words.push(current)
  return words
}

export const parseSshConfig = (text: string): ReadonlyArray<SshConfigBlock> => {
  type MutableBlock = {
    patterns: Array<string>
    unsupported: boolean
    options: Array<SshConfigBlock["options"][number]>
  }
  const blocks: Array<MutableBlock> = [{ patterns: [], unsupported: false, options: [] }]
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const trimmed = raw.trim()
    if (trimmed === "" || trimmed.startsWith("#")) return
    // "Keyword=value" and "Keyword = value" are both accepted by OpenSSH.
    const eq = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(trimmed)
    const normalized = eq ? `${eq[1]} ${eq[2]}` : trimmed
    const words = splitWords(normalized)
    if (!words || words.length === 0) return
    const [keyword, ...args] = words
    const key = keyword!.toLowerCase()
    if (key === "host") {
      blocks.push({ patterns: args, unsupported: false, options: [] })
    } else if (key === "match") {
      blocks.push({ patterns: [], unsupported: true, options: [] })
    } else {
      blocks[blocks.length - 1]!.options.push({ key, args, line: index + 1 })
    }
  })
  return blocks
}

/** OpenSSH glob: `*` any run, `?` one character; case-insensitive like hostnames. */
export const globMatches = (pattern: string, value: string): boolean => {
  const p = pattern.toLowerCase()
  const v = value.toLowerCase()
  // Iterative wildcard match with backtracking to the last `*`.
  let pi = 0
  let vi = 0
  let starP = -1
  let starV = 0
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === v[vi])) {
      pi++
      vi++
    } else if (pi < p.length && p[pi] === "*") {
      starP = pi++
      starV = vi
    } else if (starP >= 0) {
      pi = starP + 1
      vi = ++starV
    } else {
      return false
    }
  }
  while (pi < p.length && p[pi] === "*") pi++
  return pi === p.length
}

/** A Host line matches when some pattern matches and no negated pattern does. */
export const hostPatternsMatch = (patterns: ReadonlyArray<string>, host: string): boolean => {
  let positive = false
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (globMatches(pattern.slice(1), host)) return false
    } else if (globMatches(pattern, host)) {
      positive = true
    }
  }
  return positive
}

const expandTokens = (value: string, env: SshConfigEnv, host: string, user: string | undefined): string => {
  const tilde = value === "~" || value.startsWith("~/") ? env.home + value.slice(1) : value
  return tilde.replace(/%([%dhru])/g, (_, t: string) => {
    switch (t) {
      case "%":
        return "%"
      case "d":
        return env.home
      case "h":
        return host
      case "r":
        return user ?? env.localUser
      default:
        return env.localUser
    }
  })
}

/** Apply the config to a host alias as `ssh alias` would (first value wins; IdentityFile accumulates). */
export const resolveSshHost = (
  blocks: ReadonlyArray<SshConfigBlock>,
  host: string,
  env: SshConfigEnv,
): ResolvedSshHost => {
  let hostName: string | undefined
  let user: string | undefined
  let port: number | undefined
  let portSeen = false
  const identityFiles: Array<string> = []
  const problems: Array<string> = []
  blocks.forEach((block, index) => {
    if (block.unsupported) return
    // Options before the first Host line apply to every host.
    if (index > 0 && !hostPatternsMatch(block.patterns, host)) return
    for (const { key, args, line } of block.options) {
      const value = args[0]
      if (value === undefined) {
        problems.push(`line ${line}: ${key} has no value`)
        continue
      }
      if (key === "hostname" && hostName === undefined) hostName = value
      else if (key === "user" && user === undefined) user = value
      else if (key === "port" && !portSeen) {
        portSeen = true
        const n = /^\d+$/.test(value) ? Number(value) : NaN
        if (Number.isInteger(n) && n >= 1 && n <= 65535) port = n
        else problems.push(`line ${line}: bad Port ${JSON.stringify(value)}`)
      } else if (key === "identityfile") identityFiles.push(value)
    }
  })
  const resolvedHost = hostName === undefined ? host : expandTokens(hostName, env, host, user)
  return {
    hostName: resolvedHost,
    user,
    port,
    identityFiles: identityFiles.map((f) => expandTokens(f, env, resolvedHost, user)),
    problems,
  }
}

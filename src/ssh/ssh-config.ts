/**
 * A small, pure reader for OpenSSH client config (~/.ssh/config).
 *
 * Supported: Host blocks (several patterns, * and ? wildcards, !negation); Match blocks with the
 * criteria `all`, `host`, `originalhost`, `user` and `localuser` (each may be negated with `!`);
 * `Include` (globs, relative paths from ~/.ssh, nested at most 16 deep, inside a Host/Match block
 * conditional on it, as OpenSSH does); the options HostName, User, Port, IdentityFile (repeatable;
 * ~ and %d %h %r %u %% expanded) and ProxyJump. Like OpenSSH, the first value seen for an option
 * wins.
 *
 * Nothing is ignored silently: an applying option we do not implement, a Match criterion we cannot
 * evaluate (exec, canonical, final, tagged, localnetwork, ...; such a block never applies), and an
 * Include that cannot be followed are returned as warnings for the host they concern.
 *
 * Files are read through an injected `SshConfigIo`, so the parser itself stays pure.
 */

export interface SshConfigOption {
  /** Keyword, lower-cased. */
  readonly key: string
  readonly args: ReadonlyArray<string>
  readonly line: number
  /** The file the line is in ("config" when parsed from text). */
  readonly file: string
  /** Set on an Include that could not be followed: why. */
  readonly problem?: string | undefined
}

export type MatchCriterion =
  | { readonly kind: "all"; readonly negated: boolean }
  | {
    readonly kind: "host" | "originalhost" | "user" | "localuser"
    readonly negated: boolean
    readonly patterns: ReadonlyArray<string>
  }
  | { readonly kind: "unsupported"; readonly negated: boolean; readonly text: string }

/** One Host or Match line: the block applies only when every condition in its chain holds. */
export type SshConfigCondition =
  | { readonly kind: "host"; readonly patterns: ReadonlyArray<string> }
  | { readonly kind: "match"; readonly criteria: ReadonlyArray<MatchCriterion>; readonly text: string }

export interface SshConfigBlock {
  /** Host patterns of a Host block; empty for a Match block and for the options before the first Host line. */
  readonly patterns: ReadonlyArray<string>
  /**
   * What must hold for the block to apply: its own Host/Match line, preceded by the enclosing
   * block's when the block comes from an Include inside a Host/Match block. Empty: always applies.
   */
  readonly conditions: ReadonlyArray<SshConfigCondition>
  /** True when a Match criterion of the block cannot be evaluated here (the block then never applies). */
  readonly unsupported: boolean
  /** Options in file order, keyword lower-cased. */
  readonly options: ReadonlyArray<SshConfigOption>
  readonly file: string
  /** Line of the Host/Match keyword (0 for options before any). */
  readonly line: number
}

export interface SshConfigEnv {
  readonly home: string
  readonly localUser: string
}

/** How Include reads files: absent means Include is reported, not followed. */
export interface SshConfigIo {
  /** A file's text, or undefined when it cannot be read. */
  readonly readFile: (file: string) => string | undefined
  /** The names in a directory, or undefined when it cannot be listed. */
  readonly listDir: (dir: string) => ReadonlyArray<string> | undefined
}

export interface ParseSshConfigOptions {
  /** The file name used in warnings; default "config". */
  readonly file?: string | undefined
  /** Needed to follow Include. */
  readonly io?: SshConfigIo | undefined
  /** Relative Include paths start here (OpenSSH: ~/.ssh for a user config). Default `${home}/.ssh`. */
  readonly baseDir?: string | undefined
  readonly home?: string | undefined
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

export interface ResolvedSshHostDetail extends ResolvedSshHost {
  /** ProxyJump as written (`none` gives undefined): comma-separated hops. */
  readonly proxyJump: string | undefined
  /** What applied to this host but is not supported here (ignored options, Match criteria, Includes). */
  readonly warnings: ReadonlyArray<string>
}

/** OpenSSH's READCONF_MAX_DEPTH. */
export const MAX_INCLUDE_DEPTH = 16

/** Options applied when connecting (the rest are reported as unsupported). */
const SUPPORTED = new Set(["hostname", "user", "port", "identityfile", "proxyjump"])
/** Match criteria we evaluate. */
const MATCH_KINDS = new Set(["all", "host", "originalhost", "user", "localuser"])
/** Criteria that take an argument (for skipping it when unsupported). */
const MATCH_NO_ARG = new Set(["all", "canonical", "final"])

/** Split a line into words: whitespace separated, double quotes group. */
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

/** `Match` arguments → criteria. Unknown or unsupported criteria are kept as such, never dropped. */
export const parseMatch = (args: ReadonlyArray<string>): Array<MatchCriterion> => {
  const criteria: Array<MatchCriterion> = []
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!
    const negated = word.startsWith("!")
    const kind = (negated ? word.slice(1) : word).toLowerCase()
    if (kind === "all") {
      criteria.push({ kind: "all", negated })
    } else if (MATCH_KINDS.has(kind)) {
      const arg = args[i + 1]
      i++
      if (arg === undefined) {
        criteria.push({ kind: "unsupported", negated, text: `${word} (missing argument)` })
      } else {
        criteria.push({
          kind: kind as "host" | "originalhost" | "user" | "localuser",
          negated,
          patterns: arg.split(",").filter((p) => p !== ""),
        })
      }
    } else {
      const arg = MATCH_NO_ARG.has(kind) ? undefined : args[i + 1]
      if (arg !== undefined) i++
      criteria.push({ kind: "unsupported", negated, text: arg === undefined ? word : `${word} ${arg}` })
    }
  }
  if (criteria.length === 0) criteria.push({ kind: "unsupported", negated: false, text: "(no criteria)" })
  return criteria
}

/** Case-sensitive glob for file names (`*`, `?`), like glob(3) without brackets. */
const fileGlobMatches = (pattern: string, value: string): boolean => {
  if (value.startsWith(".") && !pattern.startsWith(".")) return false
  const re = new RegExp(
    "^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$",
  )
  return re.test(value)
}

const joinPath = (dir: string, name: string) => (dir.endsWith("/") ? dir + name : `${dir}/${name}`)

/** Expand a path with wildcards in any component into existing files, sorted like glob(3). */
const expandGlob = (pattern: string, io: SshConfigIo): Array<string> => {
  const parts = pattern.split("/")
  let current: Array<string> = [parts[0] === "" ? "/" : parts[0]!]
  for (const part of parts.slice(1)) {
    if (part === "") continue
    const next: Array<string> = []
    for (const dir of current) {
      if (!/[*?]/.test(part)) {
        next.push(joinPath(dir, part))
        continue
      }
      const names = io.listDir(dir) ?? []
      for (const name of [...names].sort()) if (fileGlobMatches(part, name)) next.push(joinPath(dir, name))
    }
    current = next
  }
  return current
}

type MutableBlock = {
  patterns: Array<string>
  conditions: Array<SshConfigCondition>
  unsupported: boolean
  options: Array<SshConfigOption>
  file: string
  line: number
}

const parseInto = (
  text: string,
  file: string,
  outer: ReadonlyArray<SshConfigCondition>,
  outerUnsupported: boolean,
  depth: number,
  blocks: Array<MutableBlock>,
  options: ParseSshConfigOptions,
): void => {
  const home = options.home ?? ""
  const baseDir = options.baseDir ?? `${home}/.ssh`
  let block: MutableBlock = {
    patterns: [],
    conditions: [...outer],
    unsupported: outerUnsupported,
    options: [],
    file,
    line: 0,
  }
  blocks.push(block)
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
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
      block = {
        patterns: args,
        conditions: [...outer, { kind: "host", patterns: args }],
        unsupported: outerUnsupported,
        options: [],
        file,
        line,
      }
      blocks.push(block)
    } else if (key === "match") {
      const criteria = parseMatch(args)
      block = {
        patterns: [],
        conditions: [...outer, { kind: "match", criteria, text: args.join(" ") }],
        unsupported: outerUnsupported || criteria.some((c) => c.kind === "unsupported"),
        options: [],
        file,
        line,
      }
      blocks.push(block)
    } else if (key === "include") {
      const here = { key, args, line, file }
      if (options.io === undefined) {
        block.options.push({ ...here, problem: "Include is not followed here" })
        return
      }
      if (depth >= MAX_INCLUDE_DEPTH) {
        block.options.push({ ...here, problem: `Include nested deeper than ${MAX_INCLUDE_DEPTH} levels` })
        return
      }
      if (args.length === 0) {
        block.options.push({ ...here, problem: "Include has no file" })
        return
      }
      // The included files' blocks hold only where this block holds; its options resume after them.
      const enclosing = block
      for (const arg of args) {
        const expanded = arg === "~" || arg.startsWith("~/") ? home + arg.slice(1) : arg
        const absolute = expanded.startsWith("/") ? expanded : joinPath(baseDir, expanded)
        const files = /[*?]/.test(absolute) ? expandGlob(absolute, options.io) : [absolute]
        for (const included of files) {
          const content = options.io.readFile(included)
          // OpenSSH ignores a missing Include file; a glob that matches nothing includes nothing.
          if (content === undefined) continue
          parseInto(content, included, enclosing.conditions, enclosing.unsupported, depth + 1, blocks, options)
        }
      }
      block = {
        patterns: enclosing.patterns,
        conditions: enclosing.conditions,
        unsupported: enclosing.unsupported,
        options: [],
        file,
        line,
      }
      blocks.push(block)
    } else {
      block.options.push({ key, args, line, file })
    }
  })
}

/**
 * Parse config text into blocks in file order (Included files spliced in where they are included).
 * Without `io`, Include lines are kept as options with a problem (reported as warnings).
 */
export const parseSshConfig = (
  text: string,
  options: ParseSshConfigOptions = {},
): ReadonlyArray<SshConfigBlock> => {
  const blocks: Array<MutableBlock> = []
  parseInto(text, options.file ?? "config", [], false, 0, blocks, options)
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

interface MatchState {
  readonly alias: string
  readonly hostName: string | undefined
  readonly user: string | undefined
  readonly env: SshConfigEnv
}

const criterionHolds = (c: MatchCriterion, s: MatchState): boolean => {
  let result: boolean
  switch (c.kind) {
    case "all":
      result = true
      break
    case "host":
      // OpenSSH matches the HostName seen so far (with %h expanded), else the alias.
      result = hostPatternsMatch(
        c.patterns,
        s.hostName === undefined ? s.alias : expandTokens(s.hostName, s.env, s.alias, s.user),
      )
      break
    case "originalhost":
      result = hostPatternsMatch(c.patterns, s.alias)
      break
    case "user":
      result = hostPatternsMatch(c.patterns, s.user ?? s.env.localUser)
      break
    case "localuser":
      result = hostPatternsMatch(c.patterns, s.env.localUser)
      break
    case "unsupported":
      return false
  }
  return c.negated ? !result : result
}

const conditionHolds = (c: SshConfigCondition, s: MatchState): boolean =>
  c.kind === "host" ? hostPatternsMatch(c.patterns, s.alias) : c.criteria.every((m) => criterionHolds(m, s))

const where = (o: { readonly file: string; readonly line: number }) => `${o.file}:${o.line}`

/**
 * Apply the config to a host alias as `ssh alias` would: blocks in order, each applying when its
 * Host/Match chain holds for what is known so far (first value wins; IdentityFile accumulates).
 */
export const resolveSshHostDetail = (
  blocks: ReadonlyArray<SshConfigBlock>,
  host: string,
  env: SshConfigEnv,
): ResolvedSshHostDetail => {
  let hostName: string | undefined
  let user: string | undefined
  let port: number | undefined
  let portSeen = false
  let proxyJump: string | undefined
  let proxyJumpSeen = false
  const identityFiles: Array<string> = []
  const problems: Array<string> = []
  const warnings: Array<string> = []
  const ignored = new Map<string, Array<string>>()
  for (const block of blocks) {
    const state: MatchState = { alias: host, hostName, user, env }
    if (block.unsupported) {
      // Report it only when the rest of its conditions would have held: it might have applied.
      const cut = block.conditions.map((c) =>
        c.kind === "match" ? { ...c, criteria: c.criteria.filter((m) => m.kind !== "unsupported") } : c
      )
      if (cut.every((c) => conditionHolds(c, state))) {
        const unsupported = block.conditions.flatMap((c) =>
          c.kind === "match" ? c.criteria.filter((m) => m.kind === "unsupported") : []
        )
        const named = unsupported.map((m) => (m.kind === "unsupported" ? (m.negated ? "!" : "") + m.text : ""))
        warnings.push(
          `${where(block)}: Match ${named.join(", ")} is not supported; the block's options were not applied`,
        )
      }
      continue
    }
    if (!block.conditions.every((c) => conditionHolds(c, state))) continue
    for (const option of block.options) {
      const { key, args, line } = option
      if (option.problem !== undefined) {
        warnings.push(`${where(option)}: Include ${args.join(" ")}: ${option.problem}`)
        continue
      }
      if (!SUPPORTED.has(key)) {
        const at = ignored.get(key) ?? []
        at.push(where(option))
        ignored.set(key, at)
        continue
      }
      const value = args[0]
      if (value === undefined) {
        problems.push(`${option.file === "config" ? "line " + line : where(option)}: ${key} has no value`)
        continue
      }
      if (key === "hostname" && hostName === undefined) hostName = value
      else if (key === "user" && user === undefined) user = value
      else if (key === "port" && !portSeen) {
        portSeen = true
        const n = /^\d+$/.test(value) ? Number(value) : NaN
        if (Number.isInteger(n) && n >= 1 && n <= 65535) port = n
        else {
          problems.push(
            `${option.file === "config" ? "line " + line : where(option)}: bad Port ${JSON.stringify(value)}`,
          )
        }
      } else if (key === "identityfile") identityFiles.push(value)
      else if (key === "proxyjump" && !proxyJumpSeen) {
        proxyJumpSeen = true
        proxyJump = value.toLowerCase() === "none" ? undefined : value
      }
    }
  }
  for (const [key, at] of ignored) warnings.push(`option ${key} (${at.join(", ")}) is not supported and was ignored`)
  const resolvedHost = hostName === undefined ? host : expandTokens(hostName, env, host, user)
  return {
    hostName: resolvedHost,
    user,
    port,
    identityFiles: identityFiles.map((f) => expandTokens(f, env, resolvedHost, user)),
    proxyJump,
    problems,
    warnings,
  }
}

/** The connection fields only (see resolveSshHostDetail for ProxyJump and warnings). */
export const resolveSshHost = (
  blocks: ReadonlyArray<SshConfigBlock>,
  host: string,
  env: SshConfigEnv,
): ResolvedSshHost => {
  const { hostName, user, port, identityFiles, problems } = resolveSshHostDetail(blocks, host, env)
  return { hostName, user, port, identityFiles, problems }
}

/** One ProxyJump hop: `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export interface JumpHop {
  readonly user: string | undefined
  readonly host: string
  readonly port: number | undefined
}

/** Parse a ProxyJump value (comma-separated hops, first hop first); a string says what is wrong. */
export const parseProxyJump = (value: string): Array<JumpHop> | string => {
  const trimmed = value.trim()
  if (trimmed === "") return "ProxyJump is empty"
  const hops: Array<JumpHop> = []
  for (const raw of trimmed.split(",")) {
    let text = raw.trim()
    if (text === "") return `ProxyJump ${JSON.stringify(value)} has an empty hop`
    if (text.toLowerCase().startsWith("ssh://")) text = text.slice(6).replace(/\/$/, "")
    let user: string | undefined
    const at = text.lastIndexOf("@")
    if (at >= 0) {
      user = text.slice(0, at)
      text = text.slice(at + 1)
      if (user === "") return `ProxyJump hop ${JSON.stringify(raw)} has an empty user`
    }
    let host = text
    let portText: string | undefined
    const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text)
    if (bracketed) {
      host = bracketed[1]!
      portText = bracketed[2]
    } else {
      const colon = text.lastIndexOf(":")
      if (colon >= 0 && text.indexOf(":") === colon) {
        host = text.slice(0, colon)
        portText = text.slice(colon + 1)
      }
    }
    if (host === "" || /[\s\u0000-\u001f\u007f/]/.test(host)) {
      return `ProxyJump hop ${JSON.stringify(raw)} has no usable host`
    }
    if (user !== undefined && /[\s\u0000-\u001f\u007f:]/.test(user)) {
      return `ProxyJump hop ${JSON.stringify(raw)} has a bad user`
    }
    let port: number | undefined
    if (portText !== undefined) {
      const n = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
      if (!(n >= 1 && n <= 65535)) return `ProxyJump hop ${JSON.stringify(raw)} has a bad port`
      port = n
    }
    hops.push({ user, host, port })
  }
  if (hops.length > 8) return "ProxyJump has more than 8 hops"
  return hops
}

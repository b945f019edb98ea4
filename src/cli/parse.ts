import { parseArgs } from "node:util"
import { nearestKey } from "../settings/suggest.ts"
import {
  commandHelp,
  commands,
  type CommandSpec,
  generalHelp,
  groupHelp,
  groups,
  optionSpecs,
  subcommandsOf,
  synopsis,
  topWords,
} from "./commands.ts"

/** A command line that cannot mean anything: exit status 2, with the usage of what was meant. */
export class UsageError extends Error {
  readonly usage: string
  constructor(message: string, usage: string) {
    super(message)
    this.usage = usage
  }
}

export interface OptionValues {
  readonly config?: string
  readonly "allow-writes"?: boolean
  readonly host?: string
  readonly port?: string
  readonly user?: string
  readonly key?: string
  readonly transport?: string
  readonly tags?: string
  readonly fresh?: boolean
  readonly json?: boolean
  readonly name?: string
  readonly scope?: string
  readonly url?: string
  readonly timeout?: string
}

/** What bin.ts does with a command line. */
export type Parsed =
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version" }
  | {
    readonly kind: "run"
    readonly command: CommandSpec
    /** The positional arguments, in the order of `command.args`. */
    readonly args: ReadonlyArray<string>
    readonly values: OptionValues
  }

const allOptions = Object.fromEntries(
  Object.entries(optionSpecs).map((
    [name, o],
  ) => [name, "short" in o ? { type: o.type, short: o.short } : { type: o.type }]),
) as Record<string, { type: "string" | "boolean"; short?: string }>

const generalUsage = "usage: infrastructor <command> [options]\nRun 'infrastructor --help' for the list of commands."

const didYouMean = (word: string, known: ReadonlyArray<string>, prefix = ""): string => {
  const near = nearestKey(word, known)
  return near === undefined ? "" : `; did you mean '${prefix}${near}'?`
}

const commandOf = (words: ReadonlyArray<string>): CommandSpec | undefined =>
  commands.find((c) => c.path.length === words.length && c.path.every((w, i) => w === words[i]))

/**
 * The command (or group) the first positional words name: `["device", "add", "web"]` is `device
 * add`. Throws a UsageError for an unknown word, with the nearest known one.
 */
const resolve = (
  words: ReadonlyArray<string>,
  what: "command" | "help topic",
): { readonly command: CommandSpec; readonly rest: ReadonlyArray<string> } | { readonly group: string } => {
  const [first, second] = words
  if (first === undefined) throw new UsageError(`no command given`, generalUsage)
  if (groups.includes(first)) {
    const subs = subcommandsOf(first).map((c) => c.path[1] as string)
    if (second === undefined) return { group: first }
    const command = commandOf([first, second])
    if (command === undefined) {
      throw new UsageError(
        `unknown ${first} command '${second}' (${subs.join(", ")})${didYouMean(second, subs)}`,
        groupHelp(first),
      )
    }
    return { command, rest: words.slice(2) }
  }
  const command = commandOf([first])
  if (command === undefined) {
    throw new UsageError(`unknown ${what} '${first}'${didYouMean(first, topWords)}`, generalUsage)
  }
  return { command, rest: words.slice(1) }
}

const helpFor = (words: ReadonlyArray<string>, version: string): string => {
  if (words.length === 0) return generalHelp(version)
  const target = resolve(words, "help topic")
  if ("group" in target) return groupHelp(target.group)
  if (target.command.path[0] === "help") return generalHelp(version)
  return commandHelp(target.command)
}

/** Checks that need no store: a bad value here is a usage error, not a failure. */
const checkValues = (c: CommandSpec, values: OptionValues): void => {
  const usage = `usage: ${synopsis(c)}`
  if (values.port !== undefined) {
    const n = Number(values.port)
    if (!/^\d+$/.test(values.port) || n < 1 || n > 65535) {
      throw new UsageError(`--port must be a number from 1 to 65535, not '${values.port}'`, usage)
    }
  }
  if (values.transport !== undefined && values.transport !== "ssh" && values.transport !== "local") {
    throw new UsageError(`--transport must be ssh or local, not '${values.transport}'`, usage)
  }
  if (values.scope !== undefined && values.scope !== "read" && values.scope !== "write") {
    throw new UsageError(`--scope must be read or write, not '${values.scope}'`, usage)
  }
  if (values.url !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(values.url)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new UsageError(`--url must be an http:// or https:// URL, not '${values.url}'`, usage)
    }
  }
  if (values.timeout !== undefined) {
    const n = Number(values.timeout)
    if (values.timeout.trim() === "" || !Number.isFinite(n) || n < 0.1 || n > 60) {
      throw new UsageError(`--timeout must be a number of seconds from 0.1 to 60, not '${values.timeout}'`, usage)
    }
  }
  for (const name of ["name", "host", "user", "key", "config"] as const) {
    if (values[name] === "") throw new UsageError(`--${name} must not be empty`, usage)
  }
}

/**
 * Reads a command line. Never touches the store or the network: help, version and every usage
 * error are answered from here (bin.ts loads the rest only for a command that runs).
 */
export const parseCommandLine = (argv: ReadonlyArray<string>, version: string): Parsed => {
  // First pass, lenient: find the command words and --help/--version wherever they are. Options
  // are typed so `--config FILE device list` does not take FILE for a command word.
  const loose = parseArgs({ args: [...argv], options: allOptions, strict: false, allowPositionals: true, tokens: true })
  const words = loose.positionals
  const wants = (name: "help" | "version") => loose.values[name] === true

  if (words.length === 0) {
    if (wants("help")) return { kind: "help", text: generalHelp(version) }
    if (wants("version")) return { kind: "version" }
    throw new UsageError("no command given", generalHelp(version))
  }
  if (words[0] === "help") return { kind: "help", text: helpFor(words.slice(1), version) }

  const target = resolve(words, "command")
  if ("group" in target) {
    if (wants("help")) return { kind: "help", text: groupHelp(target.group) }
    const subs = subcommandsOf(target.group).map((c) => c.path[1])
    throw new UsageError(`${target.group} needs a command: ${subs.join(", ")}`, groupHelp(target.group))
  }
  const { command } = target
  const name = command.path.join(" ")
  if (wants("help")) return { kind: "help", text: commandHelp(command) }
  const usage = `usage: ${synopsis(command)}\nRun 'infrastructor help ${name}' for details.`

  // Options this command does not take: named, with the nearest one it does take.
  const accepted: ReadonlyArray<string> = [...command.options, "help", ...(name === "version" ? ["version"] : [])]
  for (const t of loose.tokens) {
    if (t.kind !== "option" || accepted.includes(t.name)) continue
    const hint = nearestKey(t.name, accepted)
    throw new UsageError(
      `unknown option '${t.rawName}' for '${name}'${hint === undefined ? "" : `; did you mean '--${hint}'?`}`,
      usage,
    )
  }

  // Second pass, strict, with this command's options only: missing values, values given to flags.
  let strict: { values: Record<string, string | boolean | undefined>; positionals: Array<string> }
  try {
    strict = parseArgs({
      args: [...argv],
      options: Object.fromEntries(accepted.map((o) => [o, allOptions[o]])) as typeof allOptions,
      strict: true,
      allowPositionals: true,
    }) as typeof strict
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""), usage)
  }
  if (name === "version") {
    if (strict.positionals.length > 1) {
      throw new UsageError(`unexpected argument '${strict.positionals[1]}'`, usage)
    }
    return { kind: "version" }
  }

  const args = strict.positionals.slice(command.path.length)
  if (args.length < command.args.length) {
    const missing = command.args.slice(args.length)
    throw new UsageError(`${name} needs ${missing.join(" and ")}`, usage)
  }
  if (args.length > command.args.length) {
    throw new UsageError(`unexpected argument '${args[command.args.length]}'`, usage)
  }
  const values = strict.values as OptionValues
  for (const option of command.required ?? []) {
    if (values[option as keyof OptionValues] === undefined) {
      throw new UsageError(
        `${name} needs --${option} ${(optionSpecs[option] as { value?: string }).value ?? ""}`.trim(),
        usage,
      )
    }
  }
  checkValues(command, values)
  return { kind: "run", command, args, values }
}

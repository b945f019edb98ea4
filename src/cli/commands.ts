/**
 * What the command line accepts, as data: the commands, their arguments and options, and the help
 * text made from them. This module and parse.ts are all that `--help` and `--version` load: no
 * Effect, no store, no SSH (bin.ts imports main.ts only for a command that runs).
 */

export interface OptionSpec {
  readonly type: "string" | "boolean"
  readonly short?: string
  /** Placeholder shown after a string option in help: `--host HOST`. */
  readonly value?: string
  readonly help: string
}

export const optionSpecs = {
  config: {
    type: "string",
    value: "FILE",
    help: "config file (default: INFRA_CONFIG, else ./infrastructor.yaml when it exists)",
  },
  "allow-writes": {
    type: "boolean",
    help: "enable MCP tools that change hosts (container start/stop/restart, config restore, device removal); " +
      "also `mcp: { allow_writes: true }` in the config file or INFRA_MCP_ALLOW_WRITES=1",
  },
  host: { type: "string", value: "HOST", help: "address or name to connect to (default: NAME; localhost for local)" },
  port: { type: "string", value: "N", help: "SSH port, 1-65535 (default 22)" },
  user: { type: "string", value: "USER", help: "SSH user" },
  key: { type: "string", value: "PATH", help: "SSH private key file" },
  transport: { type: "string", value: "ssh|local", help: "ssh (default), or local to run commands on this machine" },
  tags: { type: "string", value: "a,b", help: "comma-separated tags" },
  fresh: { type: "boolean", help: "bypass the cache and read from the host (the result is still stored)" },
  json: { type: "boolean", help: "print JSON" },
  name: { type: "string", value: "NAME", help: "a name for the token (who or what uses it)" },
  scope: { type: "string", value: "read|write", help: "read (default): GET routes and read tools; write: everything" },
  url: {
    type: "string",
    value: "URL",
    help: "the /health URL to ask (default: INFRA_HEALTHCHECK_URL, else http://HOST:PORT/health from the config, " +
      "0.0.0.0 and :: asked on 127.0.0.1)",
  },
  timeout: { type: "string", value: "SECONDS", help: "give up after this long, 0.1-60 (default 3)" },
  help: { type: "boolean", short: "h", help: "show help (also: infrastructor help COMMAND)" },
  version: { type: "boolean", short: "V", help: "print the version" },
} as const satisfies Record<string, OptionSpec>

export type OptionName = keyof typeof optionSpecs

export interface CommandSpec {
  /** Words that name it: ["device", "add"]. */
  readonly path: ReadonlyArray<string>
  /** Positional arguments, all required. */
  readonly args: ReadonlyArray<string>
  /** Options besides --help; every command that opens the store also takes --config. */
  readonly options: ReadonlyArray<OptionName>
  /** Options that must be given, e.g. `token create --name`. */
  readonly required?: ReadonlyArray<OptionName>
  readonly summary: string
  readonly details?: string
}

export const commands: ReadonlyArray<CommandSpec> = [
  {
    path: ["serve"],
    args: [],
    options: ["config", "allow-writes"],
    summary: "serve the REST API, and MCP (Streamable HTTP) on /mcp, and run the scheduler",
    details: "Listens on host:port from the config file or INFRA_HOST / INFRA_PORT (default 127.0.0.1:8080).\n" +
      "Once a token exists, every route but /health needs `Authorization: Bearer <token>`; serve refuses a\n" +
      "non-loopback address until one exists (see `infrastructor token create`). SIGINT/SIGTERM drain and stop.",
  },
  {
    path: ["mcp"],
    args: [],
    options: ["config", "allow-writes"],
    summary: "serve MCP over stdio (for Claude Desktop / Claude Code)",
    details: "stdout carries the protocol; logs go to stderr.",
  },
  {
    path: ["device", "add"],
    args: ["NAME"],
    options: ["host", "port", "user", "key", "transport", "tags", "config"],
    summary: "add a device: an SSH host, or this machine with --transport local",
    details: "Prints the device as JSON. Host keys are trusted on first use (ssh.host_key_policy: tofu).",
  },
  { path: ["device", "list"], args: [], options: ["json", "config"], summary: "list devices" },
  {
    path: ["device", "rm"],
    args: ["NAME"],
    options: ["config"],
    summary: "remove a device (by name or id) and its collected data",
  },
  {
    path: ["collect"],
    args: ["DEVICE", "DATA_TYPE"],
    options: ["fresh", "json", "config"],
    summary: "collect one data type from a device through the pipeline and print the answer",
    details: "DATA_TYPE is one of: system_metrics, containers, docker_networks, drive_health, network_interfaces,\n" +
      "zfs, systemd_services, vm_status, system_logs, capabilities.\n" +
      "The answer is cached for the type's freshness threshold; --fresh reads the host again.",
  },
  {
    path: ["token", "create"],
    args: [],
    options: ["name", "scope", "json", "config"],
    required: ["name"],
    summary: "create an API token; prints it once (only its hash is stored)",
  },
  {
    path: ["token", "list"],
    args: [],
    options: ["json", "config"],
    summary: "list API tokens (ids, names, scopes, last use; never the secrets)",
  },
  { path: ["token", "revoke"], args: ["ID"], options: ["json", "config"], summary: "revoke an API token" },
  {
    path: ["health"],
    args: [],
    options: ["url", "timeout", "json", "config"],
    summary: "ask a running server's /health: exit 0 healthy, 1 unhealthy or unreachable",
    details: 'A GET of /health (public, no token needed) within --timeout. Healthy is HTTP 200 with status "ok";\n' +
      "anything else (degraded store, another status, no answer, refused) exits 1 with the reason on stderr.\n" +
      "Opens no store: safe beside a running server, and what the container image's HEALTHCHECK runs.",
  },
  { path: ["help"], args: [], options: [], summary: "show help for a command: infrastructor help [COMMAND]" },
  { path: ["version"], args: [], options: [], summary: "print the version (also --version, -V)" },
]

/** Words that take a sub-command: `device`, `token`. */
export const groups: ReadonlyArray<string> = [
  ...new Set(commands.filter((c) => c.path.length > 1).map((c) => c.path[0] as string)),
]

export const subcommandsOf = (group: string): ReadonlyArray<CommandSpec> =>
  commands.filter((c) => c.path.length > 1 && c.path[0] === group)

/** The words a user may type first. */
export const topWords: ReadonlyArray<string> = [...new Set(commands.map((c) => c.path[0] as string))]

const optionUsage = (name: OptionName): string => {
  const o: OptionSpec = optionSpecs[name]
  return `--${name}${o.value === undefined ? "" : ` ${o.value}`}`
}

/** `infrastructor device add NAME [--host HOST] ...` */
export const synopsis = (c: CommandSpec): string => {
  if (c.path[0] === "help") return "infrastructor help [COMMAND]"
  const options = c.options.map((o) => c.required?.includes(o) ? optionUsage(o) : `[${optionUsage(o)}]`)
  return ["infrastructor", ...c.path, ...c.args, ...options].join(" ")
}

const optionLines = (names: ReadonlyArray<OptionName>): string => {
  const rows = names.map((n) => {
    const o: OptionSpec = optionSpecs[n]
    return [`${o.short === undefined ? "    " : `-${o.short}, `}${optionUsage(n)}`, o.help] as const
  })
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`).join("\n")
}

const exitCodes = "exit status: 0 ok, 1 failure, 2 usage error (unknown command or option, missing argument)"

export const commandHelp = (c: CommandSpec): string =>
  [
    `usage: ${synopsis(c)}`,
    "",
    c.summary,
    ...(c.details === undefined ? [] : ["", c.details]),
    "",
    "options:",
    optionLines([...c.options, "help"]),
    "",
    exitCodes,
  ].join("\n")

export const groupHelp = (group: string): string => {
  const subs = subcommandsOf(group)
  const width = Math.max(...subs.map((c) => [...c.path, ...c.args].join(" ").length))
  return [
    `usage: infrastructor ${group} <${subs.map((c) => c.path[1]).join("|")}> [options]`,
    "",
    ...subs.map((c) => `  ${[...c.path, ...c.args].join(" ").padEnd(width)}  ${c.summary}`),
    "",
    `Run 'infrastructor help ${group} COMMAND' (or '${group} COMMAND --help') for a command's options.`,
  ].join("\n")
}

export const generalHelp = (version: string): string => {
  const rows = commands.map((c) => [[...c.path, ...c.args].join(" "), c.summary] as const)
  const width = Math.max(...rows.map(([left]) => left.length))
  return [
    `infrastructor ${version}: agentless infrastructure manager (SSH only)`,
    "",
    "usage: infrastructor <command> [options]",
    "",
    "commands:",
    ...rows.map(([left, summary]) => `  ${left.padEnd(width)}  ${summary}`),
    "",
    "options:",
    optionLines(["config", "help", "version"]),
    "",
    "Run 'infrastructor help COMMAND' (or 'infrastructor COMMAND --help') for a command's options.",
    "",
    "environment: INFRA_HOST INFRA_PORT INFRA_DATA_DIR DATABASE_URL INFRA_LOG_LEVEL INFRA_CONFIG INFRA_MCP_ALLOW_WRITES",
    "             INFRA_SECRET_KEY (base64 of 32 bytes: encrypts device passwords at rest)",
    "",
    exitCodes,
  ].join("\n")
}

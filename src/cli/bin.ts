/**
 * Process entry. Exit status: 0 ok, 1 failure, 2 usage error.
 *
 * Kept light on purpose: help, version and usage errors are answered from parse.ts and
 * commands.ts alone. The runtime (Effect layers, PGlite, Hono, the MCP SDK, ssh2) is imported
 * only when a command runs, and not at all for `health` (an HTTP request to a running server).
 */
import { parseCommandLine, type Parsed, UsageError } from "./parse.ts"
import { packageVersion } from "./version.ts"

const run = async (argv: ReadonlyArray<string>): Promise<number> => {
  let parsed: Parsed
  try {
    parsed = parseCommandLine(argv, packageVersion())
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    process.stderr.write(`infrastructor: ${e.message}\n${e.usage}\n`)
    return 2
  }
  switch (parsed.kind) {
    case "help":
      process.stdout.write(`${parsed.text}\n`)
      return 0
    case "version":
      process.stdout.write(`infrastructor ${packageVersion()}\n`)
      return 0
    case "run": {
      if (parsed.command.path[0] === "health") {
        // Asks a server over HTTP: needs none of the runtime (and must answer fast, as a HEALTHCHECK).
        const { healthCommand } = await import("./health.ts")
        return await healthCommand(parsed.values)
      }
      const { runCommand, describeFailure } = await import("./main.ts")
      try {
        return await runCommand(parsed)
      } catch (e) {
        process.stderr.write(`infrastructor: ${describeFailure(e)}\n`)
        return 1
      }
    }
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`infrastructor: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  },
)

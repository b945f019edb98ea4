import { errorMessage } from "../pipeline/error-info.ts"
import { main, usage, UsageError } from "./main.ts"

/** Process entry: exit codes 0 ok, 1 failure, 2 usage. */
const describe = (e: unknown): string => {
  if (e instanceof UsageError) return `${e.message}\n\n${usage}`
  if (typeof e === "object" && e !== null && "_tag" in e) return errorMessage(e as { _tag: string })
  return e instanceof Error ? e.message : String(e)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`infrastructor: ${describe(e)}\n`)
    process.exit(e instanceof UsageError || (e as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? 2 : 1)
  },
)

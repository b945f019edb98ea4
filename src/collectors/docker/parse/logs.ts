import { Result, Schema } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export const LogLineSchema = Schema.Struct({
  timestamp: Schema.NullOr(Schema.String).annotate({ description: "RFC 3339 with nanoseconds, as docker printed it" }),
  stream: Schema.Literals(["stdout", "stderr"]),
  message: Schema.String,
})
export type LogLine = typeof LogLineSchema.Type

/** `docker logs --timestamps` prefixes each line with an RFC 3339 (nano) time and one space. */
const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$/

export const parseLogLine = (line: string, stream: "stdout" | "stderr"): LogLine => {
  const m = TS.exec(line)
  return m === null
    ? { timestamp: null, stream, message: line }
    : { timestamp: m[1] as string, stream, message: m[2] as string }
}

/** Sort key: epoch ms plus the sub-millisecond digits Date cannot hold. */
const sortKey = (ts: string | null): readonly [number, number] => {
  if (ts === null) return [Number.NaN, 0]
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? ""
  const ms = Date.parse(ts.replace(/\.\d+/, ""))
  const nanos = Number(frac.padEnd(9, "0").slice(0, 9))
  return [ms, nanos]
}

const before = (a: LogLine, b: LogLine): boolean => {
  const [am, an] = sortKey(a.timestamp)
  const [bm, bn] = sortKey(b.timestamp)
  if (Number.isNaN(am) || Number.isNaN(bm)) return true
  return am < bm || (am === bm && an <= bn)
}

const toLines = (text: string, stream: "stdout" | "stderr"): Array<LogLine> => {
  const lines = text.split("\n")
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop()
  return lines.map((l) => parseLogLine(l.replace(/\r$/, ""), stream))
}

/**
 * The container's stdout and stderr arrive on our command's stdout and stderr; each is already
 * in time order, so a timestamp merge restores the interleaving.
 */
export const mergeLogStreams = (stdout: string, stderr: string): Array<LogLine> => {
  const a = toLines(stdout, "stdout")
  const b = toLines(stderr, "stderr")
  const out: Array<LogLine> = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (before(a[i] as LogLine, b[j] as LogLine)) out.push(a[i++] as LogLine)
    else out.push(b[j++] as LogLine)
  }
  while (i < a.length) out.push(a[i++] as LogLine)
  while (j < b.length) out.push(b[j++] as LogLine)
  return out
}

/** Result of containerLogsScript: a non-zero exit (no such container, no engine) is an error naming stderr. */
export const parseLogsOutput = (
  result: { readonly stdout: string; readonly stderr: string; readonly exitCode: number },
): Result.Result<Array<LogLine>, ParseError> => {
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split("\n").pop() ?? ""
    return Result.fail(
      new ParseError({
        dataType: "container_logs",
        message: `logs command exited ${result.exitCode}: ${why.slice(0, 300)}`,
        at: "logs",
      }),
    )
  }
  return Result.succeed(mergeLogStreams(result.stdout, result.stderr))
}

import { Result, Schema } from "effect"
import { NotFound, type ParseError, type ValidationError } from "../../domain/errors.ts"
import { noRetry } from "../../domain/schedules.ts"
import {
  type Container,
  type ContainerActionOutcome,
  type LogLine,
  parseContainerActionOutput,
  parseInspectOutput,
  parseLogsOutput,
} from "./parse-containers.ts"
import type { CommandResult } from "../../domain/command.ts"
import { LogLineSchema } from "./parse/logs.ts"
import { ContainerSchema } from "./parse/model.ts"
import { containerActionScript, containerInspectScript, containerLogsScript } from "./containers.ts"
import { type ActionSpec, type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"

type ContainerAction = "start" | "stop" | "restart"

const orThrow = (r: Result.Result<string, ValidationError>): string => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

/** docker says "No such container"/"No such object" for a name it does not know: that is a 404. */
const notFoundOr = <T>(
  result: CommandResult,
  parsed: Result.Result<T, ParseError>,
): Result.Result<T, ParseError | NotFound> => {
  if (result.exitCode !== 0 && /no such (container|object)/i.test(result.stderr)) {
    return Result.fail(
      new NotFound({ message: result.stderr.trim().split("\n").pop()?.slice(0, 300) ?? "no such container" }),
    )
  }
  return parsed
}

const nameOf = (p: Params): string => String(p["name"] ?? "")

/** `GET /api/devices/:device/containers/:name`: docker inspect, cached by name. */
export const containerInspect: DataTypeSpec<Container, ParseError | NotFound> = {
  name: "container_inspect",
  params: params({ name: "container name or id" }),
  description: "One container's inspect (config, mounts, networks, health, restart count); param: name.",
  output: ContainerSchema,
  table: "",
  ttlSeconds: 30,
  timeout: "20 seconds",
  retry: noRetry,
  requires: ["docker"],
  script: (p) => orThrow(containerInspectScript(nameOf(p))),
  parse: (r) => notFoundOr(r, parseInspectOutput(r)),
  toRows: () => [],
}

/** `GET .../containers/:name/logs?tail=&since=`: never cached (ttl 0), always audited. */
export const containerLogs: DataTypeSpec<Array<LogLine>, ParseError | NotFound> = {
  name: "container_logs",
  params: params({
    name: "container name or id",
    tail: "last N lines, 1-10000 (default 200)",
    since: "RFC 3339 time or relative like 10m, 2h",
  }),
  description: "A container's recent log lines with timestamps; params: name, tail (1-10000), since.",
  output: Schema.Array(LogLineSchema),
  table: "",
  ttlSeconds: 0,
  timeout: "30 seconds",
  retry: noRetry,
  requires: ["docker"],
  maxOutputBytes: 16 * 1024 * 1024,
  script: (p) =>
    orThrow(
      containerLogsScript(nameOf(p), {
        tail: p["tail"] === undefined ? undefined : String(p["tail"]),
        since: p["since"] === undefined ? undefined : String(p["since"]),
      }),
    ),
  parse: (r) => notFoundOr(r, parseLogsOutput(r)),
  toRows: () => [],
}

const action = (verb: ContainerAction): ActionSpec<ContainerActionOutcome> => ({
  name: `container_${verb}`,
  params: params({ name: "container name or id" }),
  timeout: "60 seconds",
  requires: ["docker"],
  script: (p) => orThrow(containerActionScript(nameOf(p), verb)),
  parse: (r, p) => notFoundOr(r, parseContainerActionOutput(r, nameOf(p), verb)),
  invalidates: ["containers", "container_inspect"],
})

export const containerActions: Readonly<Record<ContainerAction, ActionSpec<ContainerActionOutcome>>> = {
  start: action("start"),
  stop: action("stop"),
  restart: action("restart"),
}

import { Result } from "effect"
import { ValidationError } from "../../domain/errors.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { byEngine, ENGINE_PRELUDE, engineSection } from "./parse/engine.ts"
import { type ContainersData, parseContainers } from "./parse-containers.ts"
import { section } from "../shared/sections.ts"
import { shq } from "../../domain/quote.ts"
import { type DataTypeSpec, noParams } from "../../pipeline/DataType.ts"
import { ContainersDataSchema } from "./parse/model.ts"

const JSON_LINES = shq("{{json .}}")

/**
 * One round trip for every container: ps, stats (all running containers in one sample, never one
 * call per container) and one inspect of all ids for labels, mounts, networks, health and restarts.
 * podman is used when docker is absent; its JSON dialect is handled by the parser.
 */
export const containersScript = (): string =>
  [
    ENGINE_PRELUDE,
    engineSection(),
    section("ps", byEngine(`docker ps -a --no-trunc --format ${JSON_LINES}`, "podman ps -a --no-trunc --format json")),
    section(
      "stats",
      byEngine(`docker stats --no-stream --no-trunc --format ${JSON_LINES}`, "podman stats --no-stream --format json"),
    ),
    section(
      "inspect",
      byEngine(
        `ids=$(docker ps -aq --no-trunc); if [ -n "$ids" ]; then docker inspect $ids; fi`,
        `ids=$(podman ps -aq --no-trunc); if [ -n "$ids" ]; then podman inspect $ids; fi`,
      ),
    ),
  ].join("\n")

export const containers: DataTypeSpec<ContainersData> = {
  name: "containers",
  pollable: true,
  mcpTool: {
    name: "list_containers",
    title: "List containers",
    description:
      "Docker/Podman containers on a device: name, image, state, health, ports, restart count and live CPU/memory stats. Use get_container for one container's full inspect.",
  },
  params: noParams,
  description:
    "Docker (or podman) containers: state, status, health, restarts, exit code, ports, labels, compose project/service, " +
    "mounts, networks, and a one-shot resource sample (CPU %, memory use/limit, network and block IO, pids).",
  output: ContainersDataSchema,
  table: "container_snapshots",
  ttlSeconds: 30,
  // `docker stats --no-stream` alone samples for about two seconds; inspect of many containers adds more.
  timeout: "60 seconds",
  retry: transportRetry,
  maxOutputBytes: 32 * 1024 * 1024,
  requires: ["docker"],
  script: () => containersScript(),
  parse: parseContainers,
  toRows: (d) =>
    d.containers.map((c) => ({
      container_id: c.id,
      name: c.name,
      image: c.image,
      state: c.state,
      status: c.status,
      health: c.health,
      restart_count: c.restart_count,
      exit_code: c.exit_code,
      compose_project: c.compose?.project ?? null,
      compose_service: c.compose?.service ?? null,
      cpu_percent: c.stats?.cpu_percent ?? null,
      mem_usage_bytes: c.stats?.mem_usage_bytes ?? null,
      mem_limit_bytes: c.stats?.mem_limit_bytes ?? null,
      data: { engine: d.engine, ...c },
    })),
}

// ---- Script builders for single-container reads and actions (used by the API) ----

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const HEX_ID = /^[0-9a-f]{12,64}$/

/** A container name or id safe to pass to docker; it is still quoted with shq when used. */
export const validateContainerName = (name: string): Result.Result<string, ValidationError> => {
  if (typeof name !== "string" || name.length === 0 || name.length > 255) {
    return Result.fail(
      new ValidationError({ message: "container name must be 1 to 255 characters", details: { name } }),
    )
  }
  if (!NAME.test(name) && !HEX_ID.test(name)) {
    return Result.fail(
      new ValidationError({
        message: "container name must match [A-Za-z0-9][A-Za-z0-9_.-]* or be a 12-64 digit hex id",
        details: { name },
      }),
    )
  }
  return Result.succeed(name)
}

/** `docker inspect` of one container (never an image or network of the same name). */
export const containerInspectScript = (name: string): Result.Result<string, ValidationError> =>
  Result.map(validateContainerName(name), (n) =>
    [
      ENGINE_PRELUDE,
      byEngine(`docker inspect --type container -- ${shq(n)}`, `podman inspect --type container -- ${shq(n)}`),
    ].join("\n"))

export interface LogsOptions {
  /** Number of last lines, 1..10000 (default 200). Query strings arrive as text. */
  readonly tail?: number | string | undefined
  /** RFC 3339 time or a relative duration like 10m, 2h, 1h30m. */
  readonly since?: string | undefined
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/
const RELATIVE = /^(\d+(ns|us|ms|s|m|h))+$/

export const validateLogsOptions = (
  options: LogsOptions,
): Result.Result<{ tail: number; since: string | undefined }, ValidationError> => {
  const rawTail = options.tail
  const tail = rawTail === undefined || rawTail === ""
    ? 200
    : typeof rawTail === "number"
    ? rawTail
    : /^\d+$/.test(rawTail)
    ? Number(rawTail)
    : Number.NaN
  if (!Number.isInteger(tail) || tail < 1 || tail > 10000) {
    return Result.fail(
      new ValidationError({ message: "tail must be an integer from 1 to 10000", details: { tail: rawTail } }),
    )
  }
  const since = options.since === "" ? undefined : options.since
  if (since !== undefined && !(RFC3339.test(since) && !Number.isNaN(Date.parse(since))) && !RELATIVE.test(since)) {
    return Result.fail(
      new ValidationError({
        message: "since must be an RFC 3339 time or a duration like 10m or 2h",
        details: { since },
      }),
    )
  }
  return Result.succeed({ tail, since })
}

/** `docker logs --timestamps`: the container's stdout/stderr arrive on ours, unframed, for parseLogsOutput. */
export const containerLogsScript = (name: string, options: LogsOptions = {}): Result.Result<string, ValidationError> =>
  Result.gen(function* () {
    const n = yield* validateContainerName(name)
    const { tail, since } = yield* validateLogsOptions(options)
    const args = `logs --timestamps --tail ${shq(tail)}${since === undefined ? "" : ` --since ${shq(since)}`} -- ${
      shq(n)
    }`
    return [ENGINE_PRELUDE, byEngine(`docker ${args}`, `podman ${args}`)].join("\n")
  })

export type ContainerAction = "start" | "stop" | "restart"

/** start/stop/restart one container; the engine echoes the name on success (parseContainerActionOutput). */
export const containerActionScript = (
  name: string,
  action: ContainerAction,
): Result.Result<string, ValidationError> => {
  if (action !== "start" && action !== "stop" && action !== "restart") {
    return Result.fail(new ValidationError({ message: "action must be start, stop or restart", details: { action } }))
  }
  return Result.map(
    validateContainerName(name),
    (n) => [ENGINE_PRELUDE, byEngine(`docker ${action} -- ${shq(n)}`, `podman ${action} -- ${shq(n)}`)].join("\n"),
  )
}

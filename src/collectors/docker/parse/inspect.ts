import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { arr, bool, isRecord, type Json, num, obj, parseJsonObjects, str, stringMap } from "./json.ts"
import { composeFromLabels } from "./labels.ts"
import type { Container } from "./model.ts"
import { portsFromInspect } from "./ports.ts"
import { attachmentsFromMap, emptyContainer, mountFromObject } from "./ps.ts"
import { exitCodeFor } from "./status.ts"

const DT = "containers"

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s.trim() === "" ? null : s)

/** Go's zero time means "never happened". */
const time = (s: string | undefined): string | null =>
  s === undefined || s === "" || s.startsWith("0001-01-01") ? null : s

/** One `docker inspect` (= Engine API GET /containers/{id}/json) or `podman inspect` object. */
export const containerFromInspect = (o: Json, at: string): Result.Result<Container, ParseError> => {
  const id = str(o, "Id", "ID")
  if (id === undefined || id === "") {
    return Result.fail(new ParseError({ dataType: DT, message: "inspect object has no Id", at }))
  }
  const state = obj(o, "State")
  const config = obj(o, "Config")
  const host = obj(o, "HostConfig")
  const labels = stringMap(obj(config, "Labels"))
  const args = (arr(o, "Args") ?? []).filter((a): a is string => typeof a === "string")
  const path = str(o, "Path")
  const stateName = (nonEmpty(str(state, "Status")) ?? "unknown").toLowerCase()
  const health = obj(state, "Health", "Healthcheck")
  const networks = obj(obj(o, "NetworkSettings"), "Networks")
  return Result.succeed({
    ...emptyContainer(id, (str(o, "Name") ?? id).replace(/^\//, "")),
    image: nonEmpty(str(config, "Image")) ?? nonEmpty(str(o, "ImageName")),
    image_id: nonEmpty(str(o, "Image")),
    command: path === undefined || path === "" ? null : [path, ...args].join(" "),
    created: time(str(o, "Created")),
    state: stateName,
    health: nonEmpty(str(health, "Status")),
    restart_count: num(o, "RestartCount") ?? null,
    exit_code: exitCodeFor(stateName, num(state, "ExitCode") ?? null),
    oom_killed: bool(state, "OOMKilled") ?? null,
    started_at: time(str(state, "StartedAt")),
    finished_at: time(str(state, "FinishedAt")),
    restart_policy: nonEmpty(str(obj(host, "RestartPolicy"), "Name")),
    ports: portsFromInspect(o),
    labels,
    compose: composeFromLabels(labels),
    mounts: (arr(o, "Mounts") ?? []).filter(isRecord).map(mountFromObject).filter((m) => m !== null),
    networks: networks === undefined ? [] : attachmentsFromMap(networks),
  })
}

/** `docker inspect` prints an array; the Engine API returns one object. Both are accepted. */
export const parseContainerInspect = (text: string): Result.Result<Array<Container>, ParseError> =>
  Result.flatMap(
    parseJsonObjects(text, DT, "inspect"),
    (objs) => Result.all(objs.map((o, i) => containerFromInspect(o, `inspect index ${i}`))),
  )

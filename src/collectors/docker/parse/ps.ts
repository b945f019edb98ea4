import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import {
  arr,
  isRecord,
  type Json,
  num,
  obj,
  parseJsonLines,
  parseJsonObjects,
  str,
  stringMap,
  unixToIso,
} from "./json.ts"
import { composeFromLabels, parseLabelString } from "./labels.ts"
import type { Container, Mount, NetworkAttachment } from "./model.ts"
import { parsePortsString, type Port, portsFromObjects } from "./ports.ts"
import { exitCodeFor, factsFromStatus } from "./status.ts"
import { parseFixedWidthTable } from "./table.ts"

const DT = "containers"

/** A container record with only id and name known; every parser fills in what its tool reports. */
export const emptyContainer = (id: string, name: string): Container => ({
  id,
  name,
  image: null,
  image_id: null,
  command: null,
  created: null,
  state: "unknown",
  status: null,
  health: null,
  restart_count: null,
  exit_code: null,
  oom_killed: null,
  started_at: null,
  finished_at: null,
  restart_policy: null,
  ports: [],
  labels: {},
  compose: null,
  mounts: [],
  networks: [],
  stats: null,
})

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s.trim() === "" ? null : s)
const unquote = (s: string): string => s.replace(/^"/, "").replace(/"$/, "")
const commaList = (s: string | undefined): Array<string> =>
  (s ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "")
const stripSlash = (s: string): string => s.replace(/^\//, "")

const missingId = (at: string) => new ParseError({ dataType: DT, message: "container entry has no ID", at })

/** Fill state/exit/health from the human status, preferring an explicit State when the tool gives one. */
const withStatus = (c: Container, state: string | undefined, status: string | null): Container => {
  const facts = status === null ? null : factsFromStatus(status)
  const finalState = nonEmpty(state)?.toLowerCase() ?? facts?.state ?? "unknown"
  return {
    ...c,
    state: finalState,
    status,
    health: facts?.health ?? null,
    exit_code: exitCodeFor(finalState, facts?.exit_code ?? null),
  }
}

const mountsFromNames = (names: Array<string>): Array<Mount> =>
  names.map((n) => ({
    type: null,
    name: n.startsWith("/") ? null : n,
    source: null,
    destination: n,
    mode: null,
    rw: null,
  }))

const networksFromNames = (names: Array<string>): Array<NetworkAttachment> =>
  names.map((n) => ({ name: n, network_id: null, ip_address: null, gateway: null, mac_address: null }))

/** One `docker ps --format '{{json .}}'` object. */
export const containerFromDockerPs = (o: Json, at: string): Result.Result<Container, ParseError> => {
  const id = str(o, "ID")
  if (id === undefined || id === "") return Result.fail(missingId(at))
  const names = commaList(str(o, "Names"))
  const labels = parseLabelString(str(o, "Labels") ?? "")
  const base: Container = {
    ...emptyContainer(id, names[0] ?? id),
    image: nonEmpty(str(o, "Image")),
    command: nonEmpty(unquote(str(o, "Command") ?? "")),
    created: nonEmpty(str(o, "CreatedAt")),
    ports: parsePortsString(str(o, "Ports") ?? ""),
    labels,
    compose: composeFromLabels(labels),
    mounts: mountsFromNames(commaList(str(o, "Mounts"))),
    networks: networksFromNames(commaList(str(o, "Networks"))),
  }
  return Result.succeed(withStatus(base, str(o, "State"), nonEmpty(str(o, "Status"))))
}

export const parseDockerPsJsonLines = (text: string): Result.Result<Array<Container>, ParseError> =>
  Result.flatMap(
    parseJsonLines(text, DT, "ps"),
    (objs) => Result.all(objs.map((o, i) => containerFromDockerPs(o, `ps line ${i + 1}`))),
  )

/** One element of podman's `ps --format json` array (Names/Command/Networks are arrays, Labels an object). */
export const containerFromPodmanPs = (o: Json, at: string): Result.Result<Container, ParseError> => {
  const id = str(o, "Id", "ID")
  if (id === undefined || id === "") return Result.fail(missingId(at))
  const names = (arr(o, "Names") ?? []).filter((n): n is string => typeof n === "string")
  const labels = stringMap(obj(o, "Labels"))
  const command = arr(o, "Command")
  const state = str(o, "State")
  const base: Container = {
    ...emptyContainer(id, names[0] ?? id),
    image: nonEmpty(str(o, "Image")),
    image_id: nonEmpty(str(o, "ImageID")),
    command: command === undefined
      ? nonEmpty(str(o, "Command"))
      : command.filter((c) => typeof c === "string").join(" "),
    created: unixToIso(num(o, "Created")) ?? nonEmpty(str(o, "CreatedAt")),
    restart_count: num(o, "Restarts") ?? null,
    started_at: unixToIso(num(o, "StartedAt")),
    ports: portsFromObjects(arr(o, "Ports")),
    labels,
    compose: composeFromLabels(labels),
    // podman 4 lists mount destinations; later versions may give mount objects.
    mounts: [
      ...mountsFromNames((arr(o, "Mounts") ?? []).filter((m): m is string => typeof m === "string")),
      ...(arr(o, "Mounts") ?? []).filter(isRecord).map(mountFromObject).filter((m) => m !== null),
    ],
    networks: networksFromNames((arr(o, "Networks") ?? []).filter((n): n is string => typeof n === "string")),
  }
  const c = withStatus(base, state, nonEmpty(str(o, "Status")))
  const code = num(o, "ExitCode")
  return Result.succeed({ ...c, exit_code: exitCodeFor(c.state, c.exit_code ?? code ?? null) })
}

export const parsePodmanPsJson = (text: string): Result.Result<Array<Container>, ParseError> =>
  Result.flatMap(
    parseJsonObjects(text, DT, "ps"),
    (objs) => Result.all(objs.map((o, i) => containerFromPodmanPs(o, `ps index ${i}`))),
  )

/** Engine API `GET /containers/json` (what `docker ps` is built from). */
export const containerFromEngineList = (o: Json, at: string): Result.Result<Container, ParseError> => {
  const id = str(o, "Id")
  if (id === undefined || id === "") return Result.fail(missingId(at))
  const names = (arr(o, "Names") ?? []).filter((n): n is string => typeof n === "string").map(stripSlash)
  const labels = stringMap(obj(o, "Labels"))
  const networks = obj(obj(o, "NetworkSettings"), "Networks")
  const mounts = (arr(o, "Mounts") ?? []).filter(isRecord).map(mountFromObject).filter((m) => m !== null)
  const base: Container = {
    ...emptyContainer(id, names[0] ?? id),
    image: nonEmpty(str(o, "Image")),
    image_id: nonEmpty(str(o, "ImageID")),
    command: nonEmpty(str(o, "Command")),
    created: unixToIso(num(o, "Created")),
    ports: portsFromObjects(arr(o, "Ports")),
    labels,
    compose: composeFromLabels(labels),
    mounts,
    networks: networks === undefined ? [] : attachmentsFromMap(networks),
  }
  return Result.succeed(withStatus(base, str(o, "State"), nonEmpty(str(o, "Status"))))
}

export const parseEngineContainerList = (text: string): Result.Result<Array<Container>, ParseError> =>
  Result.flatMap(
    parseJsonObjects(text, DT, "containers/json"),
    (objs) => Result.all(objs.map((o, i) => containerFromEngineList(o, `containers/json index ${i}`))),
  )

/** Inspect/engine mount object. */
export const mountFromObject = (m: Json): Mount | null => {
  const destination = str(m, "Destination")
  if (destination === undefined) return null
  const rw = m["RW"]
  return {
    type: nonEmpty(str(m, "Type")),
    name: nonEmpty(str(m, "Name")),
    source: nonEmpty(str(m, "Source")),
    destination,
    mode: nonEmpty(str(m, "Mode")),
    rw: typeof rw === "boolean" ? rw : null,
  }
}

/** `NetworkSettings.Networks` map: network name → endpoint settings. */
export const attachmentsFromMap = (networks: Json): Array<NetworkAttachment> =>
  Object.entries(networks).map(([name, v]) => {
    const e = isRecord(v) ? v : undefined
    return {
      name,
      network_id: nonEmpty(str(e, "NetworkID")),
      ip_address: nonEmpty(str(e, "IPAddress")),
      gateway: nonEmpty(str(e, "Gateway")),
      mac_address: nonEmpty(str(e, "MacAddress")),
    }
  })

const PS_TABLE = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]

/** `docker ps` default table (no --format). Commands are quoted and usually truncated. */
export const parseDockerPsTable = (text: string): Result.Result<Array<Container>, ParseError> =>
  Result.map(parseFixedWidthTable(text, PS_TABLE, DT, "ps"), (t) =>
    t.rows.map((r) => {
      const id = r["CONTAINER ID"] ?? ""
      const names = commaList(r["NAMES"])
      const base: Container = {
        ...emptyContainer(id, names[0] ?? id),
        image: nonEmpty(r["IMAGE"]),
        command: nonEmpty(unquote(r["COMMAND"] ?? "")),
        created: nonEmpty(r["CREATED"]),
        ports: parsePortsString(r["PORTS"] ?? ""),
      }
      return withStatus(base, undefined, nonEmpty(r["STATUS"]))
    }))

/** One service container as `docker compose ps` reports it (it has no ID in table form). */
export interface ComposePsEntry {
  readonly id: string | null
  readonly name: string
  readonly image: string | null
  readonly command: string | null
  readonly project: string | null
  readonly service: string | null
  readonly created: string | null
  readonly state: string
  readonly status: string | null
  readonly health: string | null
  readonly exit_code: number | null
  readonly ports: ReadonlyArray<Port>
}

export const parseComposePsJsonLines = (text: string): Result.Result<Array<ComposePsEntry>, ParseError> => {
  // Older compose versions print one JSON array instead of JSON lines.
  const parsed = text.trim().startsWith("[")
    ? parseJsonObjects(text, DT, "compose ps")
    : parseJsonLines(text, DT, "compose ps")
  return Result.flatMap(parsed, (objs) =>
    Result.all(objs.map((o, i) => {
      const name = str(o, "Name")
      if (name === undefined || name === "") {
        return Result.fail(
          new ParseError({ dataType: DT, message: "compose ps entry has no Name", at: `compose ps entry ${i + 1}` }),
        )
      }
      const state = (nonEmpty(str(o, "State")) ?? "unknown").toLowerCase()
      const status = nonEmpty(str(o, "Status"))
      const facts = status === null ? null : factsFromStatus(status)
      return Result.succeed<ComposePsEntry>({
        id: nonEmpty(str(o, "ID")),
        name,
        image: nonEmpty(str(o, "Image")),
        command: nonEmpty(str(o, "Command")),
        project: nonEmpty(str(o, "Project")),
        service: nonEmpty(str(o, "Service")),
        created: unixToIso(num(o, "Created")) ?? nonEmpty(str(o, "CreatedAt")),
        state,
        status,
        health: nonEmpty(str(o, "Health")) ?? facts?.health ?? null,
        exit_code: exitCodeFor(state, num(o, "ExitCode") ?? facts?.exit_code ?? null),
        ports: portsFromObjects(arr(o, "Publishers")),
      })
    })))
}

const COMPOSE_TABLE = ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]

export const parseComposePsTable = (text: string): Result.Result<Array<ComposePsEntry>, ParseError> =>
  Result.map(parseFixedWidthTable(text, COMPOSE_TABLE, DT, "compose ps"), (t) =>
    t.rows.map((r) => {
      const status = nonEmpty(r["STATUS"])
      const facts = status === null ? null : factsFromStatus(status)
      const state = facts?.state ?? "unknown"
      return {
        id: null,
        name: r["NAME"] ?? "",
        image: nonEmpty(r["IMAGE"]),
        command: nonEmpty(unquote(r["COMMAND"] ?? "")),
        project: null,
        service: nonEmpty(r["SERVICE"]),
        created: nonEmpty(r["CREATED"]),
        state,
        status,
        health: facts?.health ?? null,
        exit_code: exitCodeFor(state, facts?.exit_code ?? null),
        ports: parsePortsString(r["PORTS"] ?? ""),
      }
    }))

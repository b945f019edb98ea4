import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { arr, bool, isRecord, type Json, obj, parseJsonLines, parseJsonObjects, str, stringMap } from "./json.ts"
import type { DockerNetwork } from "./model.ts"
import { parseLabelString } from "./labels.ts"
import { parseFixedWidthTable } from "./table.ts"

const DT = "docker_networks"

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s.trim() === "" ? null : s)

const emptyNetwork = (id: string, name: string): DockerNetwork => ({
  id,
  name,
  driver: null,
  scope: null,
  created: null,
  internal: null,
  attachable: null,
  ipv6: null,
  subnets: [],
  containers: [],
  labels: {},
  options: {},
})

const missing = (what: string, at: string) =>
  new ParseError({ dataType: DT, message: `network entry has no ${what}`, at })

/** One `docker network ls --format '{{json .}}'` line (booleans and labels are strings there). */
export const networkFromDockerLs = (o: Json, at: string): Result.Result<DockerNetwork, ParseError> => {
  const id = str(o, "ID")
  const name = str(o, "Name")
  if (id === undefined || id === "") return Result.fail(missing("ID", at))
  return Result.succeed({
    ...emptyNetwork(id, name ?? id),
    driver: nonEmpty(str(o, "Driver")),
    scope: nonEmpty(str(o, "Scope")),
    created: nonEmpty(str(o, "CreatedAt")),
    internal: bool(o, "Internal") ?? null,
    ipv6: bool(o, "IPv6") ?? null,
    labels: parseLabelString(str(o, "Labels") ?? ""),
  })
}

export const parseDockerNetworkLsJsonLines = (text: string): Result.Result<Array<DockerNetwork>, ParseError> =>
  Result.flatMap(
    parseJsonLines(text, DT, "ls"),
    (objs) => Result.all(objs.map((o, i) => networkFromDockerLs(o, `ls line ${i + 1}`))),
  )

const LS_TABLE = ["NETWORK ID", "NAME", "DRIVER", "SCOPE"]

/** `docker network ls` default table. */
export const parseDockerNetworkLsTable = (text: string): Result.Result<Array<DockerNetwork>, ParseError> =>
  Result.map(parseFixedWidthTable(text, LS_TABLE, DT, "ls"), (t) =>
    t.rows.map((r) => ({
      ...emptyNetwork(r["NETWORK ID"] ?? "", r["NAME"] ?? ""),
      driver: nonEmpty(r["DRIVER"]),
      scope: nonEmpty(r["SCOPE"]),
    })))

/** Docker `Containers` map: id → {Name, MacAddress, IPv4Address, IPv6Address}. */
const dockerAttachments = (containers: Json): DockerNetwork["containers"] =>
  Object.entries(containers).map(([id, v]) => {
    const e = isRecord(v) ? v : undefined
    return {
      id,
      name: nonEmpty(str(e, "Name")),
      ipv4: nonEmpty(str(e, "IPv4Address")),
      ipv6: nonEmpty(str(e, "IPv6Address")),
      mac: nonEmpty(str(e, "MacAddress")),
    }
  })

/** Podman (netavark) `containers` map: id → {name, interfaces: {eth0: {subnets: [{ipnet}], mac_address}}}. */
const podmanAttachments = (containers: Json): DockerNetwork["containers"] =>
  Object.entries(containers).map(([id, v]) => {
    const e = isRecord(v) ? v : undefined
    const ifaces = Object.values(obj(e, "interfaces") ?? {}).filter(isRecord)
    const nets = ifaces.flatMap((i) => (arr(i, "subnets") ?? []).filter(isRecord).map((s) => str(s, "ipnet") ?? ""))
    return {
      id,
      name: nonEmpty(str(e, "name")),
      ipv4: nets.find((n) => n.includes(".")) ?? null,
      ipv6: nets.find((n) => n.includes(":")) ?? null,
      mac: nonEmpty(str(ifaces[0], "mac_address")),
    }
  })

const subnetsOf = (o: Json): DockerNetwork["subnets"] => {
  const docker = arr(obj(o, "IPAM"), "Config")
  const podman = arr(o, "subnets")
  return [...(docker ?? []), ...(podman ?? [])]
    .filter(isRecord)
    .map((c) => ({ subnet: str(c, "Subnet", "subnet") ?? "", gateway: nonEmpty(str(c, "Gateway", "gateway")) }))
    .filter((s) => s.subnet !== "")
}

/** One `docker network inspect` object, or a podman (netavark) network object from ls/inspect. */
export const networkFromObject = (o: Json, at: string): Result.Result<DockerNetwork, ParseError> => {
  const id = str(o, "Id", "ID", "id")
  const name = str(o, "Name", "name")
  if (id === undefined || id === "") return Result.fail(missing("Id", at))
  if (name === undefined || name === "") return Result.fail(missing("Name", at))
  const dockerContainers = obj(o, "Containers")
  const podmanContainers = obj(o, "containers")
  return Result.succeed({
    ...emptyNetwork(id, name),
    driver: nonEmpty(str(o, "Driver", "driver")),
    scope: nonEmpty(str(o, "Scope")) ?? (str(o, "driver") !== undefined ? "local" : null),
    created: nonEmpty(str(o, "Created", "created")),
    internal: bool(o, "Internal", "internal") ?? null,
    attachable: bool(o, "Attachable") ?? null,
    ipv6: bool(o, "EnableIPv6", "ipv6_enabled") ?? null,
    subnets: subnetsOf(o),
    containers: [
      ...(dockerContainers === undefined ? [] : dockerAttachments(dockerContainers)),
      ...(podmanContainers === undefined ? [] : podmanAttachments(podmanContainers)),
    ],
    labels: stringMap(obj(o, "Labels", "labels")),
    options: stringMap(obj(o, "Options", "options")),
  })
}

/** `docker network inspect` / `podman network inspect` / `podman network ls --format json`: a JSON array. */
export const parseNetworkInspect = (text: string): Result.Result<Array<DockerNetwork>, ParseError> =>
  Result.flatMap(
    parseJsonObjects(text, DT, "inspect"),
    (objs) => Result.all(objs.map((o, i) => networkFromObject(o, `inspect index ${i}`))),
  )

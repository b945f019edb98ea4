import { transportRetry } from "../../domain/schedules.ts"
import { byEngine, ENGINE_PRELUDE, engineSection } from "./parse/engine.ts"
import { type DockerNetworksData, parseDockerNetworks } from "./parse-docker-networks.ts"
import { section } from "../shared/sections.ts"
import { shq } from "../../domain/quote.ts"
import { type DataTypeSpec, noParams } from "../../pipeline/DataType.ts"
import { DockerNetworksDataSchema } from "./parse/model.ts"

/** One round trip: the network list plus one inspect of every network (IPAM, attached containers). */
export const dockerNetworksScript = (): string =>
  [
    ENGINE_PRELUDE,
    engineSection(),
    section(
      "ls",
      byEngine(`docker network ls --no-trunc --format ${shq("{{json .}}")}`, "podman network ls --format json"),
    ),
    section(
      "inspect",
      byEngine(
        `ids=$(docker network ls -q --no-trunc); if [ -n "$ids" ]; then docker network inspect $ids; fi`,
        `ids=$(podman network ls -q); if [ -n "$ids" ]; then podman network inspect $ids; fi`,
      ),
    ),
  ].join("\n")

export const dockerNetworks: DataTypeSpec<DockerNetworksData> = {
  name: "docker_networks",
  pollable: true,
  params: noParams,
  description:
    "Docker (or podman) networks: driver, scope, internal/attachable, IPAM subnets and gateways, attached containers with addresses.",
  output: DockerNetworksDataSchema,
  table: "docker_networks",
  ttlSeconds: 300,
  timeout: "30 seconds",
  retry: transportRetry,
  maxOutputBytes: 8 * 1024 * 1024,
  requires: ["docker"],
  script: () => dockerNetworksScript(),
  parse: parseDockerNetworks,
  toRows: (d) =>
    d.networks.map((n) => ({
      network_id: n.id,
      name: n.name,
      driver: n.driver,
      scope: n.scope,
      // Unknown (not 0) when inspect could not run: ls alone does not list members.
      container_count: d.inspect_available ? n.containers.length : null,
      data: { engine: d.engine, ...n },
    })),
}

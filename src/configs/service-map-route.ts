/** The service map of a device: stored proxy-config versions joined with the live container list. */
import { Effect } from "effect"
import { Collector, type Method } from "../pipeline/Collector.ts"
import { errorCode, errorMessage } from "../pipeline/error-info.ts"
import type { Device } from "../domain/device.ts"
import type { CollectError } from "../domain/errors.ts"
import type { ContainersData } from "../collectors/docker/parse-containers.ts"
import { Store } from "../store/Store.ts"
import { buildServiceMap, type ContainerRef } from "./service-map.ts"

/** Latest parsed proxy confs joined with the containers the pipeline sees (a fresh read if the cache is stale). */
export const buildDeviceServiceMap = (
  device: Device,
  asker: { readonly method: Method; readonly source: string } = { method: "api", source: "service map" },
) =>
  Effect.gen(function* () {
    const store = yield* Store
    const confs = yield* store.proxyConfigs(device.id)
    const collector = yield* Collector
    const containers = yield* collector.collect(device.id, "containers", asker).pipe(
      Effect.map((c) => ({
        collected_at: c.collected_at as string | null,
        error: null as { code: string; message: string } | null,
        list: (c.data as ContainersData).containers.map((x): ContainerRef => ({
          name: x.name,
          state: x.state,
          ports: x.ports,
          ...(x.compose?.service ? { compose_service: x.compose.service } : {}),
          ...(x.compose?.project ? { compose_project: x.compose.project } : {}),
        })),
      })),
      // No docker or an unreachable host still gives the map, without container matches.
      Effect.catch((e: CollectError) =>
        Effect.succeed({
          collected_at: null,
          error: { code: errorCode(e), message: errorMessage(e) },
          list: [] as Array<ContainerRef>,
        })
      ),
    )
    const entries = buildServiceMap(
      confs.map((r) => ({ path: r.path, parsed: (r.parsed ?? null) as never })),
      containers.list,
    )
    return {
      device: device.name,
      proxy_configs: confs.length,
      containers: { count: containers.list.length, collected_at: containers.collected_at, error: containers.error },
      count: entries.length,
      entries,
    }
  })

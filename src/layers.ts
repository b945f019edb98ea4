import { Layer, Logger, References } from "effect"
import type { Cache } from "./cache/Cache.ts"
import { makeCacheLayer } from "./cache/CacheLive.ts"
import { Collector } from "./collect/Collector.ts"
import type { InfraConfig } from "./config/config.ts"
import type { StoreError } from "./domain/errors.ts"
import { Events } from "./events/Events.ts"
import { allActions, allDataTypes } from "./registry/index.ts"
import { Registry } from "./registry/Registry.ts"
import type { HostKeys } from "./ssh/HostKeys.ts"
import type { Ssh } from "./ssh/Ssh.ts"
import { makeSshLayer } from "./ssh/SshLive.ts"
import { makeStoreLayer } from "./store/layer.ts"
import type { Store } from "./store/Store.ts"

const levelNames = { debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const

/** Structured JSON logs on stderr (stdout stays clean for `--json` output and MCP stdio). */
export const loggingLayer = (level: InfraConfig["logLevel"]) =>
  Layer.mergeAll(
    Logger.layer([Logger.withConsoleError(Logger.formatJson)]),
    Layer.succeed(References.MinimumLogLevel, levelNames[level]),
  )

export interface ServiceParts {
  readonly store: Layer.Layer<Store | HostKeys, StoreError>
  readonly ssh: Layer.Layer<Ssh, never, HostKeys>
  readonly cache: Layer.Layer<Cache>
  readonly registry: Layer.Layer<Registry>
}

/** How the services fit together; tests pass their own parts (a test schema, short timeouts). */
export const composeServices = (parts: ServiceParts) =>
  Collector.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(parts.ssh.pipe(Layer.provideMerge(parts.store)), parts.cache, parts.registry, Events.layer),
    ),
  )

/** The whole service graph for a config, composed in one place. */
export const makeInfraLayer = (config: InfraConfig) =>
  composeServices({
    store: makeStoreLayer({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl === undefined ? config.dataDir : undefined,
    }),
    ssh: makeSshLayer({
      connectTimeoutMs: config.ssh.connectTimeoutMs,
      commandTimeoutMs: config.ssh.commandTimeoutMs,
      idleTimeoutMs: config.ssh.idleTimeoutMs,
      shellsPerConnection: config.ssh.shellsPerConnection,
      hostKeyPolicy: config.ssh.hostKeyPolicy,
    }),
    cache: makeCacheLayer(config.cache),
    registry: Registry.make(allDataTypes, config.ttl, allActions),
  }).pipe(Layer.provideMerge(loggingLayer(config.logLevel)))

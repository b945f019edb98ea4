import { Layer, Logger, References } from "effect"
import path from "node:path"
import type { Cache } from "./cache/Cache.ts"
import { makeCacheLayer } from "./cache/CacheLive.ts"
import { applicationLayer } from "./app/layer.ts"
import { AlertSettings, defaultAlertSettings } from "./alerts/settings.ts"
import { Collector } from "./pipeline/Collector.ts"
import type { InfraConfig } from "./settings/load.ts"
import type { StoreError } from "./domain/errors.ts"
import { Events } from "./events/Events.ts"
import { makeObserveLayer, type ObserveOptions } from "./observe/Observability.ts"
import { allActions, allDataTypes } from "./collectors/index.ts"
import { Registry } from "./pipeline/Registry.ts"
import type { HostKeys } from "./ssh/HostKeys.ts"
import type { Ssh } from "./ssh/Ssh.ts"
import { makeSshLayer } from "./ssh/SshLive.ts"
import { schedulerLayers } from "./scheduler/layer.ts"
import type { SchedulerSettings } from "./scheduler/settings.ts"
import { withWriteBuffer } from "./store/buffered.ts"
import { makeStoreLayer } from "./store/layer.ts"
import type { Store } from "./store/Store.ts"
import type { WatchSettings } from "./configs/watch/settings.ts"
import { Watcher } from "./configs/watch/Watcher.ts"

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
  /** Self-observability: SSE replay buffer, rollups, retention (defaults when absent). */
  readonly observe?: ObserveOptions | undefined
  /** Config file watching (globs, intervals); not started until Watcher.start(). */
  readonly watch?: WatchSettings | undefined
  /** Polling, device health, instance leases and event fan-out; idle until Scheduler.start(). */
  readonly scheduler?: SchedulerSettings | undefined
}

/** How the services fit together; tests pass their own parts (a test schema, short timeouts). */
export const composeServices = (parts: ServiceParts) => {
  const scheduling = schedulerLayers(parts.scheduler)
  return applicationLayer.pipe(
    Layer.provideMerge(Layer.mergeAll(Watcher.layer(parts.watch), scheduling.scheduler)),
    Layer.provideMerge(scheduling.instances),
    Layer.provideMerge(Layer.mergeAll(Collector.layer, makeObserveLayer(parts.observe))),
    Layer.provideMerge(scheduling.health),
    Layer.provideMerge(
      Layer.mergeAll(parts.ssh.pipe(Layer.provideMerge(parts.store)), parts.cache, parts.registry, Events.layer),
    ),
  )
}

/** The whole service graph for a config, composed in one place. */
export interface InfraLayerOptions {
  /**
   * Keep writes through an outage in <data dir>/write-buffer.jsonl (default true). One-shot CLI
   * commands turn it off: on PostgreSQL they would otherwise share the running server's file.
   */
  readonly spill?: boolean | undefined
}

export const makeInfraLayer = (config: InfraConfig, options: InfraLayerOptions = {}) =>
  composeServices({
    // Writes survive a database outage: memory, then <data dir>/write-buffer.jsonl (src/store/buffered.ts).
    store: withWriteBuffer(
      makeStoreLayer({
        databaseUrl: config.databaseUrl,
        dataDir: config.databaseUrl === undefined ? config.dataDir : undefined,
      }),
      {
        spillPath: config.dataDir.startsWith("memory://") || options.spill === false
          ? undefined
          : path.join(config.dataDir, "write-buffer.jsonl"),
      },
    ),
    ssh: makeSshLayer({
      connectTimeoutMs: config.ssh.connectTimeoutMs,
      commandTimeoutMs: config.ssh.commandTimeoutMs,
      idleTimeoutMs: config.ssh.idleTimeoutMs,
      shellsPerConnection: config.ssh.shellsPerConnection,
      hostKeyPolicy: config.ssh.hostKeyPolicy,
      knownHostsPath: config.ssh.knownHostsPath,
      globalKnownHostsPath: config.ssh.globalKnownHostsPath,
    }),
    cache: makeCacheLayer(config.cache),
    registry: Registry.make(allDataTypes, config.ttl, allActions),
    observe: { retention: config.retention },
    scheduler: config.scheduler,
    watch: config.watch,
  }).pipe(
    Layer.provide(Layer.succeed(AlertSettings, config.alerts ?? defaultAlertSettings)),
    Layer.provideMerge(loggingLayer(config.logLevel)),
  )

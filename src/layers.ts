import { Layer, Logger, References } from "effect"
import { makeCacheLayer } from "./cache/CacheLive.ts"
import { Collector } from "./collect/Collector.ts"
import type { InfraConfig } from "./config/config.ts"
import { Events } from "./events/Events.ts"
import { allDataTypes } from "./registry/index.ts"
import { Registry } from "./registry/Registry.ts"
import { makeSshLayer } from "./ssh/SshLive.ts"
import { makeStoreLayer } from "./store/layer.ts"

const levelNames = { debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const

/** Structured JSON logs on stderr (stdout stays clean for `--json` output and MCP stdio). */
export const loggingLayer = (level: InfraConfig["logLevel"]) =>
  Layer.mergeAll(
    Logger.layer([Logger.withConsoleError(Logger.formatJson)]),
    Layer.succeed(References.MinimumLogLevel, levelNames[level]),
  )

/** The whole service graph, composed in one place. Tests swap single layers instead. */
export const makeInfraLayer = (config: InfraConfig) => {
  const store = makeStoreLayer({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl === undefined ? config.dataDir : undefined,
  })
  const ssh = makeSshLayer({
    connectTimeoutMs: config.ssh.connectTimeoutMs,
    commandTimeoutMs: config.ssh.commandTimeoutMs,
    idleTimeoutMs: config.ssh.idleTimeoutMs,
    shellsPerConnection: config.ssh.shellsPerConnection,
    hostKeyPolicy: config.ssh.hostKeyPolicy,
  })
  const base = Layer.mergeAll(
    ssh.pipe(Layer.provideMerge(store)),
    makeCacheLayer(config.cache),
    Registry.make(allDataTypes, config.ttl),
    Events.layer,
  )
  return Collector.layer.pipe(Layer.provideMerge(base), Layer.provideMerge(loggingLayer(config.logLevel)))
}

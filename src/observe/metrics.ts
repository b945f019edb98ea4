import type { OperationEvent } from "./events.ts"
import { type Family, makeHistogram, makeLabeledCounter } from "./prometheus.ts"

/** Collection duration buckets, seconds: from a cache hit to a slow host. */
export const durationBuckets: ReadonlyArray<number> = [
  0.001,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
]

/** Counters since process start, fed by OperationCompleted events. */
export interface OperationMetrics {
  readonly record: (e: OperationEvent) => void
  readonly families: () => Array<Family>
}

export const makeOperationMetrics = (): OperationMetrics => {
  const collections = makeLabeledCounter()
  const cacheResults = makeLabeledCounter()
  const errors = makeLabeledCounter()
  const commands = makeLabeledCounter()
  const bytes = makeLabeledCounter()
  const duration = makeHistogram(durationBuckets)
  return {
    record: (e) => {
      collections.inc({ data_type: e.dataType, method: e.method, status: e.status })
      if (e.kind === "collect") cacheResults.inc({ method: e.method, result: e.cache })
      if (e.errorCode !== null) errors.inc({ code: e.errorCode })
      if (e.commands > 0) commands.inc({ method: e.method }, e.commands)
      if (e.bytes > 0) bytes.inc({ data_type: e.dataType }, e.bytes)
      duration.observe({ data_type: e.dataType }, e.durationMs / 1000)
    },
    families: () => [
      {
        name: "infrastructor_collections_total",
        help: "Pipeline calls (collections and actions), by data type, method and outcome.",
        type: "counter",
        samples: collections.samples(),
      },
      {
        name: "infrastructor_collection_cache_total",
        help: "Collections by how the cache answered: hit, miss or refresh.",
        type: "counter",
        samples: cacheResults.samples(),
      },
      {
        name: "infrastructor_collection_errors_total",
        help: "Failed pipeline calls by error code.",
        type: "counter",
        samples: errors.samples(),
      },
      {
        name: "infrastructor_collection_commands_total",
        help: "Commands run on hosts by pipeline calls (retries included), by method.",
        type: "counter",
        samples: commands.samples(),
      },
      {
        name: "infrastructor_collected_bytes_total",
        help: "Command output bytes received by collections, by data type.",
        type: "counter",
        samples: bytes.samples(),
      },
      {
        name: "infrastructor_collection_duration_seconds",
        help: "Pipeline call duration in seconds, cache hits included.",
        type: "histogram",
        samples: duration.samples(),
      },
    ],
  }
}

/**
 * PostgreSQL behind an in-process TCP proxy, with the production write buffer over it: what an
 * instance of `serve` sees during a database outage. The proxy is cut and restored by the test;
 * the shared server itself is never touched.
 */
import { Effect, Layer, Schedule } from "effect"
import type { StoreError } from "../../src/domain/errors.ts"
import type { HostKeys } from "../../src/ssh/HostKeys.ts"
import { withWriteBuffer, type WriteBufferOptions } from "../../src/store/buffered.ts"
import { makeStoreLayer } from "../../src/store/layer.ts"
import { Store, type WriteBufferStatus } from "../../src/store/Store.ts"
import type { TestBackend } from "./db.ts"
import type { Instance } from "./scheduler.ts"
import { type OutageProxy, startOutageProxy } from "./outage-proxy.ts"

export interface ProxiedPostgres {
  readonly proxy: OutageProxy
  /**
   * A buffered store reached through the proxy. With `owner`, the schema is also created and at
   * the end dropped over a direct connection (give it to the instance that is disposed last).
   */
  readonly store: (schema: string, options?: { readonly owner?: boolean }) => Layer.Layer<Store | HostKeys, StoreError>
  readonly close: () => Promise<void>
}

/**
 * Retry every 100 ms: the instance notices the database's return at once, so what a test measures
 * after the return is the lease logic, not the buffer's reconnect backoff (up to 5 s in production).
 */
export const outageBufferOptions: WriteBufferOptions = { retry: Schedule.spaced("100 millis") }

export const proxiedPostgres = async (
  backend: TestBackend,
  buffer: WriteBufferOptions = outageBufferOptions,
): Promise<ProxiedPostgres> => {
  const direct = new URL(backend.options("x").databaseUrl!)
  const proxy = await startOutageProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  const url = new URL(direct.toString())
  url.hostname = proxy.host
  url.port = String(proxy.port)
  const proxied = (schema: string) => withWriteBuffer(makeStoreLayer({ databaseUrl: url.toString(), schema }), buffer)
  return {
    proxy,
    store: (schema, options) =>
      options?.owner === true
        ? Layer.effectContext(
          Effect.gen(function* () {
            yield* Layer.build(backend.layer(schema))
            return yield* Layer.build(proxied(schema))
          }),
        )
        : proxied(schema),
    close: () => proxy.close(),
  }
}

export const writeBufferOf = (i: Instance): Promise<WriteBufferStatus | undefined> =>
  i.run(Store.use((s) => Effect.sync(() => s.writeBuffer?.())))

/** The database is reachable again for this instance and every buffered write has landed. */
export const flushed = async (i: Instance): Promise<boolean> => {
  const status = await writeBufferOf(i)
  return status !== undefined && status.available && status.pending === 0
}

/** Call `sample` every `everyMs` for `ms` (real time); the samples in order. */
export const sampleFor = async <A>(ms: number, sample: () => Promise<A>, everyMs = 100): Promise<Array<A>> => {
  const out: Array<A> = []
  const end = Date.now() + ms
  while (Date.now() < end) {
    out.push(await sample())
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  out.push(await sample())
  return out
}

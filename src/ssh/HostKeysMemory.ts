import { Effect, Layer } from "effect"
import { HostKeys, type HostKeysShape, type KnownHostKey } from "./HostKeys.ts"

/** Host keys kept in a Map: for tests and for one-off runs without a store. */
export const makeHostKeysMemory = (initial: ReadonlyArray<KnownHostKey> = []): HostKeysShape => {
  const keys = new Map<string, KnownHostKey>(initial.map((k) => [k.hostPort, k]))
  return {
    get: (hostPort) => Effect.sync(() => keys.get(hostPort)),
    trust: (hostPort, algorithm, fingerprint) =>
      Effect.sync(() => {
        keys.set(hostPort, { hostPort, algorithm, fingerprint, firstSeen: new Date() })
      }),
    forget: (hostPort) =>
      Effect.sync(() => {
        keys.delete(hostPort)
      }),
  }
}

export const HostKeysMemory: Layer.Layer<HostKeys> = Layer.sync(HostKeys, () => makeHostKeysMemory())

import { Context, type Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"

export interface KnownHostKey {
  /** "host:port" as connected to (after ~/.ssh/config resolution). */
  readonly hostPort: string
  readonly algorithm: string
  /** "SHA256:<base64>" like OpenSSH prints. */
  readonly fingerprint: string
  readonly firstSeen: Date
}

/** Where trusted host keys live (the store in production, memory in tests). */
export interface HostKeysShape {
  readonly get: (hostPort: string) => Effect.Effect<KnownHostKey | undefined, StoreError>
  readonly trust: (hostPort: string, algorithm: string, fingerprint: string) => Effect.Effect<void, StoreError>
  readonly forget: (hostPort: string) => Effect.Effect<void, StoreError>
}

export class HostKeys extends Context.Service<HostKeys, HostKeysShape>()("infrastructor/HostKeys") {}

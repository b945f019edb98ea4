import { execFileSync } from "node:child_process"
import { Effect, Layer } from "effect"
import type { Device } from "../../src/domain/device.ts"
import { HostKeys, type HostKeysShape } from "../../src/ssh/HostKeys.ts"
import { makeHostKeysMemory } from "../../src/ssh/HostKeysMemory.ts"
import type { SshOptions } from "../../src/ssh/options.ts"
import { Ssh, type SshShape } from "../../src/ssh/Ssh.ts"
import { makeSshLayer } from "../../src/ssh/SshLive.ts"
import type { SshdHandle } from "./sshd.ts"

/** A device pointing at a harness sshd (or anything else through overrides). */
export const sshDevice = (sshd: SshdHandle, name: string, overrides: Partial<Device> = {}): Device => ({
  id: 1,
  name,
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  privateKeyPath: sshd.privateKeyPath,
  password: null,
  transport: "ssh",
  tags: [],
  enabled: true,
  status: "unknown",
  lastSeen: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
})

export const localDevice = (name: string): Device => ({
  id: 2,
  name,
  host: "localhost",
  port: null,
  username: null,
  privateKeyPath: null,
  password: null,
  transport: "local",
  tags: [],
  enabled: true,
  status: "unknown",
  lastSeen: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
})

/**
 * Run `body` with a fresh Ssh service (own connections and counters) over the given host keys.
 * The service's connections are closed when the body ends. sshDir points nowhere so the machine's
 * own ~/.ssh keys and config never leak into a test.
 */
export const withSsh = <A, E>(
  options: SshOptions,
  body: (ssh: SshShape, hostKeys: HostKeysShape) => Effect.Effect<A, E>,
  hostKeys: HostKeysShape = makeHostKeysMemory(),
): Promise<A> => {
  const layer = makeSshLayer({ sshDir: "/nonexistent", ...options }).pipe(
    Layer.provide(Layer.succeed(HostKeys, hostKeys)),
  )
  return Effect.runPromise(
    Effect.gen(function* () {
      const ssh = yield* Ssh
      return yield* body(ssh, hostKeys)
    }).pipe(Effect.provide(layer)),
  )
}

/** The fingerprint OpenSSH itself prints for a public key file. */
export const opensshFingerprint = (publicKeyFile: string): string => {
  const out = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", publicKeyFile], { encoding: "utf8" })
  const fingerprint = out.split(" ")[1]
  if (fingerprint === undefined) throw new Error(`unexpected ssh-keygen output: ${out}`)
  return fingerprint
}

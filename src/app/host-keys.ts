import { readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect, Schema } from "effect"
import type { Device } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { HostKeys } from "../ssh/HostKeys.ts"
import { parseSshConfig, resolveSshHost } from "../ssh/ssh-config.ts"

const Fingerprint = Schema.String.check(Schema.isPattern(/^SHA256:[A-Za-z0-9+/]{43}$/)).annotate({
  description: "the key to pin, as `ssh-keygen -lf` prints it",
})
const Algorithm = Schema.String.check(Schema.isPattern(/^[a-z0-9@.-]{1,64}$/)).annotate({
  description: "key type, e.g. ssh-ed25519",
})

/** Without a body the host's next key is trusted; with a fingerprint only that key is. */
export const TrustHostKeyBody = Schema.Struct({
  fingerprint: Schema.optional(Fingerprint),
  algorithm: Schema.optional(Algorithm),
}).annotate({ identifier: "TrustHostKeyBody" })

const isFingerprint = Schema.is(Fingerprint)
const isAlgorithm = Schema.is(Algorithm)

export interface TrustRequest {
  /** Pin this key (as `ssh-keygen -lf` prints it) instead of trusting whatever the host shows next. */
  readonly fingerprint?: string | undefined
  readonly algorithm?: string | undefined
}

/** Optional `{ fingerprint?, algorithm? }`; anything else is a 400. */
export const trustRequestFrom = (body: unknown): TrustRequest => {
  if (body === undefined || body === null) return {}
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError({ message: "body must be a JSON object" })
  }
  const { fingerprint, algorithm, ...rest } = body as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) {
    throw new ValidationError({
      message: `unknown field '${unknown[0]}'`,
      details: { allowed: ["fingerprint", "algorithm"] },
    })
  }
  if (fingerprint !== undefined && !isFingerprint(fingerprint)) {
    throw new ValidationError({ message: "fingerprint must look like SHA256:<43 base64 characters> (ssh-keygen -lf)" })
  }
  if (algorithm !== undefined && !isAlgorithm(algorithm)) {
    throw new ValidationError({ message: "algorithm must be a key type such as ssh-ed25519" })
  }
  return { fingerprint: fingerprint as string | undefined, algorithm: algorithm as string | undefined }
}

/**
 * The host:port keys a device's host key may be recorded under: as written on the device, and as
 * ~/.ssh/config resolves it (the SSH layer records the resolved one).
 */
export const hostPortsOf = (device: Pick<Device, "host" | "port">): Array<string> => {
  const raw = `${device.host}:${device.port ?? 22}`
  let text = ""
  try {
    text = readFileSync(path.join(os.homedir(), ".ssh", "config"), "utf8")
  } catch {
    // no config: the raw host is what was connected to
  }
  const resolved = resolveSshHost(parseSshConfig(text), device.host, { home: os.homedir(), localUser: "" })
  const viaConfig = `${resolved.hostName}:${device.port ?? resolved.port ?? 22}`
  return viaConfig === raw ? [raw] : [raw, viaConfig]
}

/** Forget what is recorded for the device (or pin the given key instead); returns what was forgotten. */
export const resetHostKey = (device: Device, request: TrustRequest) =>
  Effect.gen(function* () {
    const hostKeys = yield* HostKeys
    const hostPorts = hostPortsOf(device)
    const previous: Array<string> = []
    for (const hostPort of hostPorts) {
      const known = yield* hostKeys.get(hostPort)
      if (known !== undefined) previous.push(known.fingerprint)
      yield* hostKeys.forget(hostPort)
    }
    const pinned = request.fingerprint
    if (pinned !== undefined) {
      for (const hostPort of hostPorts) yield* hostKeys.trust(hostPort, request.algorithm ?? "pinned", pinned)
    }
    return { hostPorts, previous, pinned: pinned ?? null }
  })

/**
 * A device pointed at another address keeps its trusted key: the new address must present the same
 * key, or the connection is refused until an operator re-trusts it. Without this, a new spelling
 * of the host (127.1 for 127.0.0.1) or a new port would start from trust-on-first-use, and a
 * stored password would go to whatever answered there.
 */
export const carryHostKey = (before: Device, after: Device) =>
  Effect.gen(function* () {
    if (before.transport !== "ssh" || after.transport !== "ssh") return
    const old = hostPortsOf(before)
    const next = hostPortsOf(after).filter((hp) => !old.includes(hp))
    if (next.length === 0) return
    const hostKeys = yield* HostKeys
    let known: { readonly algorithm: string; readonly fingerprint: string } | undefined
    for (const hostPort of old) known ??= yield* hostKeys.get(hostPort)
    if (known === undefined) return
    for (const hostPort of next) {
      if ((yield* hostKeys.get(hostPort)) === undefined) {
        yield* hostKeys.trust(hostPort, known.algorithm, known.fingerprint)
      }
    }
  })

/** What the SSH layer's refusal says the host showed: "the host presented ALG SHA256:..." (src/ssh/SshLive.ts). */
const PRESENTED = /the host presented (\S+) (SHA256:[A-Za-z0-9+/]{43})/

/** The key a host-key refusal names, when its message names one. */
export const presentedKeyIn = (message: string): { algorithm: string; fingerprint: string } | undefined => {
  const m = PRESENTED.exec(message)
  return m === null ? undefined : { algorithm: m[1]!, fingerprint: m[2]! }
}

/** The keys trusted for a device's addresses (the store's, not known_hosts'). */
export const trustedKeysOf = (device: Device) =>
  Effect.gen(function* () {
    const hostKeys = yield* HostKeys
    const hostPorts = hostPortsOf(device)
    const trusted: Array<{ host_port: string; algorithm: string; fingerprint: string; first_seen: string }> = []
    for (const hostPort of hostPorts) {
      const known = yield* hostKeys.get(hostPort)
      if (known !== undefined) {
        trusted.push({
          host_port: hostPort,
          algorithm: known.algorithm,
          fingerprint: known.fingerprint,
          first_seen: known.firstSeen.toISOString(),
        })
      }
    }
    return { hostPorts, trusted }
  })

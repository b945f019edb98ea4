import { randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect } from "effect"
import type { Device } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { HostKeys } from "../ssh/HostKeys.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { parseSshConfig, resolveSshHost } from "../ssh/ssh-config.ts"
import { Store } from "../store/Store.ts"
import { CurrentTokenId } from "./context.ts"

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/
const ALGORITHM = /^[a-z0-9@.-]{1,64}$/

export interface TrustRequest {
  /** Pin this key (as `ssh-keygen -lf` prints it) instead of trusting whatever the host shows next. */
  readonly fingerprint?: string | undefined
  readonly algorithm?: string | undefined
}

/** Optional JSON body `{ fingerprint?, algorithm? }`; anything else is a 400. */
export const trustRequestFromBody = (body: unknown): TrustRequest | ValidationError => {
  if (body === undefined || body === null) return {}
  if (typeof body !== "object" || Array.isArray(body)) {
    return new ValidationError({ message: "body must be a JSON object" })
  }
  const { fingerprint, algorithm, ...rest } = body as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) {
    return new ValidationError({
      message: `unknown field '${unknown[0]}'`,
      details: { allowed: ["fingerprint", "algorithm"] },
    })
  }
  if (fingerprint !== undefined && (typeof fingerprint !== "string" || !FINGERPRINT.test(fingerprint))) {
    return new ValidationError({ message: "fingerprint must look like SHA256:<43 base64 characters> (ssh-keygen -lf)" })
  }
  if (algorithm !== undefined && (typeof algorithm !== "string" || !ALGORITHM.test(algorithm))) {
    return new ValidationError({ message: "algorithm must be a key type such as ssh-ed25519" })
  }
  return { fingerprint: fingerprint as string | undefined, algorithm: algorithm as string | undefined }
}

/**
 * The host:port keys a device's host key may be recorded under: as written on the device, and as
 * ~/.ssh/config resolves it (the SSH layer records the resolved one).
 */
const hostPortsOf = (device: Device): Array<string> => {
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

/**
 * The only way to re-trust a host whose key changed (`POST /api/devices/:device/trust-host-key`):
 * forget the recorded key (or pin the given one), close the connection, audit who did it.
 */
export const trustHostKey = (deviceRef: string, request: TrustRequest, source: string) =>
  Effect.gen(function* () {
    const store = yield* Store
    const hostKeys = yield* HostKeys
    const ssh = yield* Ssh
    const started = performance.now()
    const device = yield* store.getDevice(deviceRef)
    if (device.transport !== "ssh") {
      return yield* Effect.fail(
        new ValidationError({ message: `${device.name} uses the local transport: it has no host key` }),
      )
    }
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
    yield* ssh.close(device.name)
    if (device.status === "host_key_mismatch") yield* Effect.ignore(store.setDeviceStatus(device.id, "unknown", null))
    const tokenId = yield* Effect.service(CurrentTokenId)
    yield* store.insertAudit({
      time: new Date(),
      deviceId: device.id,
      deviceName: device.name,
      operationId: randomUUID(),
      dataType: "trust_host_key",
      method: "api",
      source,
      forceRefresh: false,
      cacheHit: false,
      durationMs: performance.now() - started,
      sshCommandCount: 0,
      dataSizeBytes: 0,
      status: "success",
      errorMessage: null,
      recordsCreated: 0,
      freshnessThreshold: 0,
      tokenId,
    }).pipe(Effect.catch((e) => Effect.logWarning("audit write failed", e.message)))
    return {
      device: device.name,
      host_ports: hostPorts,
      forgotten: previous,
      pinned: pinned ?? null,
      next: pinned !== undefined
        ? "the next connection must present the pinned key"
        : "the next connection trusts the key the host presents (with host_key_policy strict, pass a fingerprint instead)",
    }
  })

import type { HostKeys } from "../ssh/HostKeys.ts"
import { Context, Effect, Layer } from "effect"
import { Cache, keyPrefix } from "../cache/Cache.ts"
import { Collector } from "../pipeline/Collector.ts"
import { errorCode, errorMessage } from "../pipeline/error-info.ts"
import { type Device, type DeviceInput, publicDevice } from "../domain/device.ts"
import { isProbed } from "../domain/capabilities.ts"
import { type CollectError, ValidationError } from "../domain/errors.ts"
import { Ssh } from "../ssh/Ssh.ts"
import { Store } from "../store/Store.ts"
import { auditedChange, type Subject } from "./audit.ts"
import { Caller } from "./caller.ts"
import { deviceInputFromBody, devicePatchFromBody } from "./device-input.ts"
import { carryHostKey, presentedKeyIn, resetHostKey, trustedKeysOf, trustRequestFrom } from "./host-keys.ts"
import { operationsIn, readOp, writeOp } from "./operation.ts"
import { devicesFromSshConfig, readOwnSshConfig } from "./ssh-config-import.ts"

export const deviceOperations = {
  list: readOp("Devices.list", "list devices (no secrets)"),
  get: readOp("Devices.get", "one device with its capability probe"),
  add: writeOp("Devices.add", "add a device (and probe it)"),
  update: writeOp("Devices.update", "change a device; a new address must present the device's trusted host key"),
  remove: writeOp("Devices.remove", "remove a device and its collected history", { destroysData: true }),
  hostKey: readOp("Devices.hostKey", "a device's trusted host key, and the one it last presented if refused"),
  trustHostKey: writeOp("Devices.trustHostKey", "forget or pin a device's host key"),
  importSshConfig: writeOp("Devices.importSshConfig", "add devices from an OpenSSH client config"),
} as const

export type PublicDevice = ReturnType<typeof publicDevice>

const validated = <A>(f: () => A) => Effect.try({ try: f, catch: (e) => e as ValidationError })

const subjectOf = (d: { readonly id: number; readonly name: string }): Subject => ({ id: d.id, name: d.name })

/** The device now leads to another machine, or another login on it: what the probe found may no longer hold. */
const repointed = (before: Device, after: Device): boolean =>
  before.host !== after.host || before.port !== after.port || before.transport !== after.transport ||
  before.username !== after.username || (before.proxyJump ?? null) !== (after.proxyJump ?? null)

/** Adding, changing and removing devices, with what each change implies (probe, connection, cache). */
export const makeDevices = Effect.gen(function* () {
  const operation = operationsIn(yield* Effect.context<Store | Collector | Ssh | Cache | HostKeys>())
  const store = yield* Store
  const collector = yield* Collector
  const ssh = yield* Ssh
  const cache = yield* Cache

  /**
   * Capability probe after an add: an unreachable host is still added, with the reason. A device
   * added without it (probe=false, the CLI, the YAML list, the default localhost) is probed by the
   * pipeline on its first read that needs tools (src/pipeline/Collector.ts, first contact).
   */
  const probe = (device: Device) =>
    Effect.gen(function* () {
      const caller = yield* Caller
      return yield* collector.collect(device.id, "capabilities", {
        method: caller.method,
        source: `${caller.source} (probe)`,
        tokenId: caller.tokenId,
      }).pipe(
        Effect.as({ ok: true as const }),
        Effect.catch((e: CollectError) =>
          Effect.succeed({ ok: false as const, error: { code: errorCode(e), message: errorMessage(e) } })
        ),
      )
    })

  /** Connection details may have changed: drop the connection and everything cached for the device. */
  const forget = (name: string) =>
    Effect.gen(function* () {
      yield* ssh.close(name)
      cache.invalidate(keyPrefix(name))
    })

  const create = (input: DeviceInput, withProbe: boolean) =>
    auditedChange(
      "device_add",
      subjectOf,
      Effect.gen(function* () {
        const created = yield* store.createDevice(input)
        if (!withProbe) return publicDevice(created)
        const probed = yield* probe(created)
        return { ...publicDevice(yield* store.getDevice(created.id)), probe: probed }
      }),
      { id: null, name: input.name },
    )

  const list = operation(
    deviceOperations.list,
    (filter: { readonly tag?: string | undefined; readonly status?: string | undefined } = {}) =>
      Effect.map(store.listDevices(), (devices) =>
        devices
          .filter((d) => filter.tag === undefined || d.tags.includes(filter.tag))
          .filter((d) => filter.status === undefined || d.status === filter.status)
          .map(publicDevice)),
  )

  const get = operation(deviceOperations.get, (ref: string | number) => Effect.map(store.getDevice(ref), publicDevice))

  const add = operation(
    deviceOperations.add,
    (body: unknown, options: { readonly probe?: boolean } = {}) =>
      Effect.flatMap(validated(() => deviceInputFromBody(body)), (input) => create(input, options.probe !== false)),
  )

  const update = operation(deviceOperations.update, (ref: string | number, body: unknown) =>
    Effect.gen(function* () {
      const patch = yield* validated(() => devicePatchFromBody(body))
      if (Object.keys(patch).length === 0) {
        return yield* Effect.fail(new ValidationError({ message: "nothing to update: give at least one field" }))
      }
      const before = yield* store.getDevice(ref)
      return yield* auditedChange(
        "device_update",
        subjectOf(before),
        Effect.gen(function* () {
          const updated = yield* store.updateDevice(before.id, patch)
          yield* carryHostKey(before, updated)
          // A repointed device is a first contact again: the pipeline probes it before its next tool read.
          const after = repointed(before, updated) && isProbed(updated.capabilities)
            ? yield* Effect.as(store.setDeviceCapabilities(updated.id, null), { ...updated, capabilities: null })
            : updated
          yield* forget(before.name)
          return publicDevice(after)
        }),
        subjectOf(before),
      )
    }))

  const remove = operation(deviceOperations.remove, (ref: string | number) =>
    Effect.gen(function* () {
      const device = yield* store.getDevice(ref)
      return yield* auditedChange(
        "device_remove",
        { id: null, name: device.name },
        Effect.gen(function* () {
          yield* store.removeDevice(device.id)
          yield* forget(device.name)
          return { deleted: device.name }
        }),
        subjectOf(device),
      )
    }))

  /**
   * The key to compare before re-trusting: while the device is refused for a changed key, the key
   * its newest refusal (an audit row) names.
   */
  const hostKey = operation(deviceOperations.hostKey, (ref: string | number) =>
    Effect.gen(function* () {
      const device = yield* store.getDevice(ref)
      if (device.transport !== "ssh") {
        return { device: device.name, host_ports: [], trusted: [], presented: null }
      }
      const { hostPorts, trusted } = yield* trustedKeysOf(device)
      let presented: { algorithm: string; fingerprint: string; seen_at: string; message: string } | null = null
      if (device.status === "host_key_mismatch") {
        const rows = yield* store.queryAudit({ device: device.name, status: "error", limit: 50 })
        for (const row of rows) {
          const message = String(row["error_message"] ?? "")
          const key = presentedKeyIn(message)
          if (key === undefined) continue
          const time = row["time"]
          presented = { ...key, seen_at: new Date(time as string | Date).toISOString(), message }
          break
        }
      }
      return { device: device.name, host_ports: hostPorts, trusted, presented }
    }))

  const trustHostKey = operation(
    deviceOperations.trustHostKey,
    (ref: string | number, body: unknown) =>
      Effect.gen(function* () {
        const request = yield* validated(() => trustRequestFrom(body))
        const device = yield* store.getDevice(ref)
        if (device.transport !== "ssh") {
          return yield* Effect.fail(
            new ValidationError({ message: `${device.name} uses the local transport: it has no host key` }),
          )
        }
        return yield* auditedChange(
          "trust_host_key",
          subjectOf(device),
          Effect.gen(function* () {
            const reset = yield* resetHostKey(device, request)
            yield* ssh.close(device.name)
            if (device.status === "host_key_mismatch") {
              yield* Effect.ignore(store.setDeviceStatus(device.id, "unknown", null))
            }
            return {
              device: device.name,
              host_ports: reset.hostPorts,
              forgotten: reset.previous,
              pinned: reset.pinned,
              next: reset.pinned !== null
                ? "the next connection must present the pinned key"
                : "the next connection trusts the key the host presents (with host_key_policy strict, pass a fingerprint instead)",
            }
          }),
          subjectOf(device),
        )
      }),
  )

  const importSshConfig = operation(
    deviceOperations.importSshConfig,
    (request: {
      readonly configText?: string | undefined
      readonly hosts?: ReadonlyArray<string> | undefined
      readonly dryRun?: boolean | undefined
      readonly probe?: boolean | undefined
    }) =>
      Effect.gen(function* () {
        // Text sent by a caller is parsed as it is: its Includes would read the server's files.
        const { text, source } = request.configText !== undefined
          ? { text: request.configText, source: {} }
          : yield* readOwnSshConfig
        const { inputs, skipped } = devicesFromSshConfig(text, request.hosts, source)
        const existing = new Set((yield* store.listDevices()).map((d) => d.name))
        const added: Array<unknown> = []
        const failed: Array<{ host: string; error: string; warnings: ReadonlyArray<string> }> = []
        // Every host carries `warnings`: what applied to it in the config but is not supported here.
        for (const { input, problems, warnings } of inputs) {
          if (existing.has(input.name)) {
            skipped.push({ host: input.name, reason: "a device of that name exists" })
            continue
          }
          if (request.dryRun === true) {
            added.push({ ...input, problems, warnings })
            continue
          }
          const outcome = yield* Effect.result(create(input, request.probe === true))
          if (outcome._tag === "Success") {
            added.push(
              problems.length > 0 ? { ...outcome.success, problems, warnings } : { ...outcome.success, warnings },
            )
          } else failed.push({ host: input.name, error: errorMessage(outcome.failure), warnings })
        }
        return { dry_run: request.dryRun === true, added, skipped, failed }
      }),
  )

  return { list, get, add, update, remove, hostKey, trustHostKey, importSshConfig }
})

export type DevicesShape = Effect.Success<typeof makeDevices>

export class Devices extends Context.Service<Devices, DevicesShape>()("infrastructor/app/Devices") {
  static readonly layer = Layer.effect(Devices, makeDevices)
}

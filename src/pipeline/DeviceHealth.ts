import { Clock, Context, Effect, Layer } from "effect"
import type { Device } from "../domain/device.ts"
import type { CollectError } from "../domain/errors.ts"
import { errorCode, errorMessage } from "./error-info.ts"
import { Events } from "../events/Events.ts"
import { Registry } from "./Registry.ts"
import { Store } from "../store/Store.ts"
import {
  defaultHealthSettings,
  type Gate,
  gate as gateOf,
  type HealthSettings,
  type HealthState,
  initialHealth,
  type Observation,
  observe,
} from "./health-state.ts"

export type CollectOutcome = { readonly ok: true } | { readonly ok: false; readonly error: CollectError }

export interface DeviceHealthView {
  readonly device_id: number
  readonly device: string
  readonly status: string
  readonly consecutive_failures: number
  readonly failing_types: Readonly<Record<string, string>>
  readonly last_seen: string | null
  readonly last_error: { readonly code: string; readonly message: string; readonly at: string } | null
  readonly retry_at: string | null
  readonly breaker: "closed" | "open" | "half-open"
}

export interface DeviceHealthShape {
  /**
   * Called by the Collector after every collection that reached for the host (not cache hits).
   * Owns the device's status: writes it (and last_seen) and publishes DeviceStatusChanged.
   */
  readonly record: (device: Device, dataType: string, outcome: CollectOutcome) => Effect.Effect<void>
  /** May a scheduled poll of this device run now (backoff, circuit breaker)? A granted probe must be ended with probeDone. */
  readonly gate: (deviceId: number) => Effect.Effect<Gate>
  readonly probeDone: (deviceId: number) => void
  readonly get: (deviceId: number) => DeviceHealthView | undefined
  readonly snapshot: () => Array<DeviceHealthView>
  /** Drop the state of a removed device. */
  readonly forget: (deviceId: number) => void
}

/**
 * What an outcome says about the host. Errors about the request or about us (bad params,
 * unknown or unsupported type, store down) say nothing and are ignored.
 */
export const classify = (
  dataType: string,
  outcome: CollectOutcome,
  pollable: ReadonlySet<string>,
): Observation | undefined => {
  if (outcome.ok) return { kind: "success", dataType }
  const e = outcome.error
  const code = errorCode(e)
  const message = errorMessage(e)
  switch (e._tag) {
    case "SshError":
      return e.reason === "output_too_large"
        ? pollable.has(dataType) ? { kind: "type-failed", dataType, code, message } : undefined
        : {
          kind: "unreachable",
          dataType,
          code,
          message,
          // A changed host key is not "offline": it needs an operator (POST .../trust-host-key).
          ...(e.reason === "host_key_mismatch" ? { status: "host_key_mismatch" } : {}),
        }
    case "ParseError":
    case "CommandFailed":
      // The tool ran (or the host at least answered): the type fails, the host is not down.
      // Only types the scheduler keeps polling can recover, so only they may hold a device "degraded".
      return pollable.has(dataType) ? { kind: "type-failed", dataType, code, message } : undefined
    case "UnsupportedDataType":
      // A type found missing (probe, or exit 127) stops counting as failing: the scheduler drops it.
      return pollable.has(dataType) ? { kind: "type-unsupported", dataType } : undefined
    default:
      return undefined
  }
}

interface Entry {
  readonly name: string
  readonly state: HealthState
}

const iso = (ms: number | null): string | null => (ms === null || ms === 0 ? null : new Date(ms).toISOString())

/** Online / degraded / offline per device from collection results, with backoff and a circuit breaker. */
export class DeviceHealth extends Context.Service<DeviceHealth, DeviceHealthShape>()("infrastructor/DeviceHealth") {
  static readonly make = (settings: HealthSettings = defaultHealthSettings) =>
    Layer.effect(
      DeviceHealth,
      Effect.gen(function* () {
        const store = yield* Store
        const events = yield* Events
        const pollable = new Set((yield* Registry).list().filter((s) => s.pollable === true).map((s) => s.name))
        const entries = new Map<number, Entry>()
        const probing = new Set<number>()

        const view = (id: number, e: Entry): DeviceHealthView => ({
          device_id: id,
          device: e.name,
          status: e.state.status,
          consecutive_failures: e.state.consecutiveFailures,
          failing_types: e.state.failingTypes,
          last_seen: iso(e.state.lastSeenAt),
          last_error: e.state.lastError === null
            ? null
            : { ...e.state.lastError, at: new Date(e.state.lastError.at).toISOString() },
          retry_at: e.state.retryAt === 0 ? null : iso(e.state.retryAt),
          breaker: e.state.breaker === "open" && probing.has(id) ? "half-open" : e.state.breaker,
        })

        const record = Effect.fn("DeviceHealth.record")(function* (
          device: Device,
          dataType: string,
          outcome: CollectOutcome,
        ) {
          const observation = classify(dataType, outcome, pollable)
          if (observation === undefined) return
          const now = yield* Clock.currentTimeMillis
          const before = entries.get(device.id)?.state ??
            initialHealth(device.status, device.lastSeen?.getTime() ?? null)
          const after = observe(settings, before, observation, now)
          entries.set(device.id, { name: device.name, state: after })
          const changed = after.status !== before.status
          if (observation.kind === "success" || changed) {
            yield* store.setDeviceStatus(device.id, after.status, observation.kind === "success" ? new Date() : null)
              .pipe(
                // In a database outage polling goes on: one warning per poll would drown the log.
                Effect.catch((e) =>
                  e.unavailable
                    ? Effect.logDebug("device status not written: database unavailable", e.message)
                    : Effect.logWarning("device status write failed", e.message)
                ),
              )
          }
          if (changed) {
            yield* events.publish({
              _tag: "DeviceStatusChanged",
              device: device.name,
              from: before.status,
              to: after.status,
            })
            yield* Effect.logInfo("device status changed", {
              device: device.name,
              from: before.status,
              to: after.status,
              ...(after.lastError === null ? {} : { error: after.lastError.code }),
            })
          }
        })

        return DeviceHealth.of({
          record,
          gate: (deviceId) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              const entry = entries.get(deviceId)
              if (entry === undefined) return { allowed: true, probe: false } as const
              const g = gateOf(entry.state, now, probing.has(deviceId))
              if (g.allowed && g.probe) probing.add(deviceId)
              return g
            }),
          probeDone: (deviceId) => void probing.delete(deviceId),
          get: (deviceId) => {
            const e = entries.get(deviceId)
            return e === undefined ? undefined : view(deviceId, e)
          },
          snapshot: () => [...entries].map(([id, e]) => view(id, e)),
          forget: (deviceId) => {
            entries.delete(deviceId)
            probing.delete(deviceId)
          },
        })
      }),
    )
}

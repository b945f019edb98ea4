export interface HealthSettings {
  /** Consecutive failed collections that hit a transport error before a device is "offline". */
  readonly offlineAfter: number
  /** First wait after a transport failure; doubles per further failure up to backoffMaxMs. */
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** Consecutive transport failures that open the circuit: then only one probe at a time is let through. */
  readonly breakerThreshold: number
}

export const defaultHealthSettings: HealthSettings = {
  offlineAfter: 1,
  backoffBaseMs: 15_000,
  backoffMaxMs: 15 * 60_000,
  breakerThreshold: 3,
}

export type HealthStatus = "unknown" | "online" | "degraded" | "offline"
export type Breaker = "closed" | "open" | "half-open"

/** What one collection told us about a host. */
export type Observation =
  | { readonly kind: "success"; readonly dataType: string }
  /** The host could not be reached or did not answer (connect, auth, lost connection, timeout). */
  | {
    readonly kind: "unreachable"
    readonly dataType: string
    readonly code: string
    readonly message: string
    /** A status that says more than "offline" (e.g. host_key_mismatch: an operator must act). */
    readonly status?: string | undefined
  }
  /** The host answered but this data type failed (bad output, command failed, output too large). */
  | { readonly kind: "type-failed"; readonly dataType: string; readonly code: string; readonly message: string }
  /** The device lacks what this data type needs: it is not failing, it is not polled (any more). */
  | { readonly kind: "type-unsupported"; readonly dataType: string }

export interface HealthState {
  readonly status: string
  readonly consecutiveFailures: number
  /** data type → error code, for types failing while the host itself answers. */
  readonly failingTypes: Readonly<Record<string, string>>
  /** Epoch ms of the last successful collection. */
  readonly lastSeenAt: number | null
  readonly lastError: { readonly code: string; readonly message: string; readonly at: number } | null
  /** Polls wait until then (0 = no wait). */
  readonly retryAt: number
  readonly breaker: Breaker
}

export const initialHealth = (status: string, lastSeenAt: number | null): HealthState => ({
  status,
  consecutiveFailures: 0,
  failingTypes: {},
  lastSeenAt,
  lastError: null,
  retryAt: 0,
  breaker: "closed",
})

/** Exponential: base, 2·base, 4·base, ... capped. */
export const backoffMs = (settings: HealthSettings, failures: number): number =>
  failures <= 0 ? 0 : Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.min(failures - 1, 30))

const without = (types: Readonly<Record<string, string>>, type: string): Readonly<Record<string, string>> => {
  if (!(type in types)) return types
  const { [type]: _, ...rest } = types
  return rest
}

/** The next state after an observation at `now`. Pure. */
export const observe = (settings: HealthSettings, state: HealthState, o: Observation, now: number): HealthState => {
  switch (o.kind) {
    case "success": {
      const failingTypes = without(state.failingTypes, o.dataType)
      return {
        ...state,
        status: Object.keys(failingTypes).length > 0 ? "degraded" : "online",
        consecutiveFailures: 0,
        failingTypes,
        lastSeenAt: now,
        retryAt: 0,
        breaker: "closed",
      }
    }
    case "type-failed": {
      // The host answered: the transport is fine, only this type is broken.
      const failingTypes = { ...state.failingTypes, [o.dataType]: o.code }
      return {
        ...state,
        status: "degraded",
        consecutiveFailures: 0,
        failingTypes,
        lastError: { code: o.code, message: o.message, at: now },
        retryAt: 0,
        breaker: "closed",
      }
    }
    case "type-unsupported": {
      const failingTypes = without(state.failingTypes, o.dataType)
      if (failingTypes === state.failingTypes) return state
      const recovered = state.status === "degraded" && state.consecutiveFailures === 0 &&
        Object.keys(failingTypes).length === 0
      return { ...state, failingTypes, status: recovered ? "online" : state.status }
    }
    case "unreachable": {
      const failures = state.consecutiveFailures + 1
      return {
        ...state,
        status: o.status ?? (failures >= settings.offlineAfter ? "offline" : "degraded"),
        consecutiveFailures: failures,
        lastError: { code: o.code, message: o.message, at: now },
        retryAt: now + backoffMs(settings, failures),
        breaker: failures >= settings.breakerThreshold ? "open" : "closed",
      }
    }
  }
}

export type Gate =
  | { readonly allowed: true; readonly probe: boolean }
  | { readonly allowed: false; readonly reason: "backoff" | "probe-in-flight"; readonly until: number }

/**
 * May a poll run now? Inside the backoff window: no. After it, with the breaker open, exactly
 * one poll (the half-open probe) goes; the caller reports `probe` so others wait for its result.
 */
export const gate = (state: HealthState, now: number, probeInFlight: boolean): Gate => {
  if (state.consecutiveFailures === 0) return { allowed: true, probe: false }
  if (now < state.retryAt) return { allowed: false, reason: "backoff", until: state.retryAt }
  if (state.breaker === "closed") return { allowed: true, probe: false }
  if (probeInFlight) return { allowed: false, reason: "probe-in-flight", until: now }
  return { allowed: true, probe: true }
}

import type { InfraEvent, InfraEventWithMeta } from "../events/Events.ts"

/** NOTIFY payloads must be under 8000 bytes; keep a margin. */
export const MAX_PAYLOAD_BYTES = 7900
const LONG_STRING = 256

const encoder = new TextEncoder()
const byteLength = (s: string) => encoder.encode(s).length

const shorten = (value: unknown): unknown => {
  if (typeof value === "string") return value.length > LONG_STRING ? `${value.slice(0, LONG_STRING)}…` : value
  if (Array.isArray(value)) return value.map(shorten)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]))
  }
  return value
}

const head = (instanceId: string) => `{"v":1,"i":${JSON.stringify(instanceId)},"es":[`
const tail = "]}"

/** One event as JSON without its local id/time/origin; long strings cut if it would not fit. */
const encodeOne = (event: InfraEventWithMeta, room: number): string | undefined => {
  const { id: _id, time: _time, origin: _origin, ...rest } = event as InfraEventWithMeta & { origin?: unknown }
  const full = JSON.stringify(rest)
  if (byteLength(full) <= room) return full
  const cut = JSON.stringify(shorten(rest))
  return byteLength(cut) <= room ? cut : undefined
}

/**
 * Pack events into as few NOTIFY payloads as fit (`{"v":1,"i":sender,"es":[...]}`, each under
 * MAX_PAYLOAD_BYTES), in order. Events too big even with long strings cut are counted as dropped.
 */
export const encodeEvents = (
  instanceId: string,
  events: ReadonlyArray<InfraEventWithMeta>,
): { readonly payloads: Array<string>; readonly dropped: number } => {
  const prefix = head(instanceId)
  const room = MAX_PAYLOAD_BYTES - byteLength(prefix) - tail.length
  const payloads: Array<string> = []
  let dropped = 0
  let batch: Array<string> = []
  let size = 0
  for (const event of events) {
    const json = encodeOne(event, room)
    if (json === undefined) {
      dropped++
      continue
    }
    const bytes = byteLength(json) + (batch.length > 0 ? 1 : 0)
    if (batch.length > 0 && size + bytes > room) {
      payloads.push(prefix + batch.join(",") + tail)
      batch = []
      size = 0
    }
    size += byteLength(json) + (batch.length > 0 ? 1 : 0)
    batch.push(json)
  }
  if (batch.length > 0) payloads.push(prefix + batch.join(",") + tail)
  return { payloads, dropped }
}

export interface Received {
  readonly from: string
  /** Events as to publish locally: `origin` names the instance they happened on. */
  readonly events: ReadonlyArray<InfraEvent & { readonly origin: string }>
}

/** Parse a payload; undefined for anything malformed (another version, garbage on the channel). */
export const decodeEvents = (payload: string): Received | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== "object") return undefined
  const env = parsed as { v?: unknown; i?: unknown; es?: unknown }
  if (env.v !== 1 || typeof env.i !== "string" || env.i === "" || !Array.isArray(env.es)) return undefined
  const from = env.i
  const events = env.es.flatMap((e: unknown) =>
    e !== null && typeof e === "object" && !Array.isArray(e) && typeof (e as { _tag?: unknown })._tag === "string"
      ? [{ ...(e as object), origin: from } as unknown as InfraEvent & { readonly origin: string }]
      : []
  )
  return { from, events }
}

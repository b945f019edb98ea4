import type { Collected } from "../pipeline/Collector.ts"

/**
 * JSON of each data payload, kept per payload object. Cache hits hand out the same object until
 * the entry is refreshed, so a hot entry is serialized once instead of on every read (a containers
 * answer is tens of KB); the string goes with the object when the cache lets go of it.
 */
const dataJson = new WeakMap<object, string>()

const payloadJson = (data: unknown): string => {
  if (typeof data !== "object" || data === null) return JSON.stringify(data ?? null)
  let json = dataJson.get(data)
  if (json === undefined) {
    json = JSON.stringify(data)
    dataJson.set(data, json)
  }
  return json
}

/** The response body of a data read: the same JSON as JSON.stringify(collected), data last. */
export const collectedJson = (collected: Collected): string => {
  const { data, ...meta } = collected
  const head = JSON.stringify(meta)
  return `${head.slice(0, -1)}${head === "{}" ? "" : ","}"data":${payloadJson(data)}}`
}

import { fnv1a } from "../domain/hash.ts"

/** murmur3 fmix32: FNV alone keeps the last byte's influence too regular for a fair split. */
const mix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Rendezvous (highest random weight) hashing: each device goes to the live instance with the
 * highest hash of (instance, device). Every instance computes the same answer from the same
 * live list, and when one leaves only its own devices move.
 */
export const preferredOwner = (instances: ReadonlyArray<string>, deviceId: number): string | undefined => {
  let best: string | undefined
  let bestScore = -1
  for (const instance of instances) {
    const score = mix(fnv1a(`${instance}\u0000${deviceId}`))
    if (score > bestScore || (score === bestScore && best !== undefined && instance < best)) {
      best = instance
      bestScore = score
    }
  }
  return best
}

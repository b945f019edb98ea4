/** Used when a value cannot be measured (cycles, BigInt, a throwing sizeOf): counted, never fatal. */
export const FALLBACK_SIZE_BYTES = 1024

/**
 * Approximate bytes of a cached value: sizeOf when given, else the JSON length.
 * JSON length counts UTF-16 units, close enough for bounding memory.
 */
export const estimateSize = <A>(value: A, sizeOf?: (a: A) => number): number => {
  let n: number | undefined
  try {
    n = sizeOf !== undefined ? sizeOf(value) : JSON.stringify(value)?.length
  } catch {
    return FALLBACK_SIZE_BYTES
  }
  return n !== undefined && Number.isFinite(n) && n >= 0 ? n : FALLBACK_SIZE_BYTES
}

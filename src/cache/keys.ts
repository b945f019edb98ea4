/** The parts of a cache key built by cacheKey(): device \0 data type \0 params. */
export interface CacheKeyParts {
  readonly device: string
  readonly dataType: string
  readonly params: string
}

export const splitCacheKey = (key: string): CacheKeyParts => {
  const [device = "", dataType = "", ...rest] = key.split("\u0000")
  return { device, dataType, params: rest.join("\u0000") }
}

/** Does the key belong to this device / data type (undefined matches any)? */
export const keyMatches = (key: string, device: string | undefined, dataType: string | undefined): boolean => {
  const parts = splitCacheKey(key)
  return (device === undefined || parts.device === device) && (dataType === undefined || parts.dataType === dataType)
}

/**
 * The key as stored in cache_metadata: PostgreSQL text cannot hold NUL. "/" is unambiguous here
 * (device names and data types never contain it, and params are URL-encoded).
 */
export const storedCacheKey = (key: string): string => key.split("\u0000").join("/")

/**
 * Sizes as the docker CLI prints them: memory in binary units (go-units BytesSize: "1.5GiB"),
 * network/block IO in decimal units (HumanSize: "539kB"). Podman prints "--" when unknown.
 */
const UNITS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  pib: 1024 ** 5,
}

/** "55.69MiB" → 58395... bytes (rounded); "", "--", junk → null. */
export const parseByteSize = (text: string): number | null => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text)
  if (m === null) return null
  const unit = (m[2] as string).toLowerCase()
  const factor = unit === "" ? 1 : UNITS[unit]
  if (factor === undefined) return null
  return Math.round(Number(m[1]) * factor)
}

/** "1.5GiB / 7.6GiB" → [used, limit]; either side may be null. */
export const parseSizePair = (text: string | undefined): readonly [number | null, number | null] => {
  if (text === undefined) return [null, null]
  const parts = text.split("/")
  if (parts.length !== 2) return [null, null]
  return [parseByteSize(parts[0] as string), parseByteSize(parts[1] as string)]
}

/** "0.06%" → 0.06; "--" → null. */
export const parsePercent = (text: string | undefined): number | null => {
  if (text === undefined) return null
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(text)
  return m === null ? null : Number(m[1])
}

export const parseIntOrNull = (text: string | undefined): number | null => {
  if (text === undefined) return null
  const t = text.trim()
  return /^\d+$/.test(t) ? Number(t) : null
}

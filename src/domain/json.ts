/** A jsonb column's value: parsed by one driver, text from another; unparseable text is null. */
export const jsonColumn = (v: unknown): unknown => {
  if (typeof v !== "string") return v
  try {
    return JSON.parse(v) as unknown
  } catch {
    return null
  }
}

/** Reading a page's filters from its query string: bounded text, and values from fixed lists. */

export type Query = (name: string) => string | undefined

/** A parameter trimmed and cut to `max` characters ("" when absent). */
export const queryText = (q: Query, name: string, max = 200): string => (q(name) ?? "").trim().slice(0, max)

/** A value from a fixed list, or "" (any): an unknown value is dropped, not an error page. */
export const oneOf = <T extends string>(list: ReadonlyArray<T>, raw: string): T | "" =>
  (list as ReadonlyArray<string>).includes(raw) ? raw as T : ""

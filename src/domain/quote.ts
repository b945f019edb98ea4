/**
 * The one quoting helper for everything sent to a remote POSIX shell.
 * Single quotes make every byte literal; an embedded ' becomes '\''.
 * NUL cannot be passed through a shell at all, so it is refused instead of silently cut.
 */
export class UnquotableError extends Error {
  override readonly name = "UnquotableError"
}

export const shq = (value: string | number): string => {
  const s = String(value)
  if (s.includes("\u0000")) throw new UnquotableError("argument contains a NUL byte")
  if (s === "") return "''"
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** Quote each argument and join into one command line. */
export const shCommand = (...args: ReadonlyArray<string | number>): string => args.map(shq).join(" ")

/** The little each backend must offer; everything else is shared SQL on top. Promises throw raw driver errors. */
export interface SqlResult {
  readonly rows: Array<Record<string, unknown>>
  /** Rows affected (INSERT/UPDATE/DELETE) or returned (SELECT). */
  readonly count: number
}

export interface SqlClient {
  readonly backend: "pglite" | "postgres"
  /** One parameterised statement ($1, $2, ...). */
  readonly query: (text: string, params?: ReadonlyArray<unknown>) => Promise<SqlResult>
  /** A script of several statements, no parameters (migrations). */
  readonly exec: (text: string) => Promise<void>
  /** Runs fn on a client bound to one transaction; commits on resolve, rolls back on throw. */
  readonly transaction: <A>(fn: (tx: SqlClient) => Promise<A>) => Promise<A>
  /** Idempotent. */
  readonly close: () => Promise<void>
  /** LISTEN on a channel (PostgreSQL only); resolves to an unlisten function. */
  readonly listen?:
    | ((channel: string, onMessage: (payload: string) => void) => Promise<() => Promise<void>>)
    | undefined
  /** NOTIFY (PostgreSQL only). */
  readonly notify?: ((channel: string, payload: string) => Promise<void>) | undefined
}

/** Schema names end up quoted in SQL text, so keep them to plain identifiers. */
export const isPlainIdentifier = (name: string): boolean => /^[a-z_][a-z0-9_]{0,62}$/.test(name)

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`

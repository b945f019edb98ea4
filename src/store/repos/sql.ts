import { Effect } from "effect"
import { StoreError } from "../../domain/errors.ts"
import { toStoreError } from "../errors.ts"
import { pgSafeText } from "../rows.ts"
import type { SqlClient, SqlResult } from "../SqlClient.ts"

/** A row as the drivers return it: column name → value. */
export type Row = Record<string, unknown>

/** Table and column names are spliced into SQL text, so they must be plain identifiers. */
export const identifier = /^[a-z_][a-z0-9_]*$/
export const maxParams = 65535
const defaultLimit = 100
const maxLimit = 10000

export const clampLimit = (limit: number | undefined): number =>
  limit === undefined || !Number.isFinite(limit) ? defaultLimit : Math.min(maxLimit, Math.max(1, Math.floor(limit)))

export const badName = (op: string, what: string, name: string) =>
  new StoreError({ op, message: `invalid ${what} name ${JSON.stringify(name)}`, unavailable: false })

/** Parameterised statements over one client, shared by the repositories. */
export interface Sql {
  readonly client: SqlClient
  /** One statement; `op` names it in a StoreError. */
  readonly run: (op: string, text: string, params?: ReadonlyArray<unknown>) => Effect.Effect<SqlResult, StoreError>
  /** One statement, its rows. */
  readonly rows: <T = Row>(
    op: string,
    text: string,
    params?: ReadonlyArray<unknown>,
  ) => Effect.Effect<Array<T>, StoreError>
}

// Lookup values come from URLs and query strings: a NUL byte there must be "not found", not a 500.
export const safeParams = (params: ReadonlyArray<unknown>): Array<unknown> =>
  params.map((p) => (typeof p === "string" ? pgSafeText(p) : p))

export const makeSql = (client: SqlClient): Sql => {
  const run = (op: string, text: string, params: ReadonlyArray<unknown> = []) =>
    Effect.tryPromise({ try: () => client.query(text, safeParams(params)), catch: (e) => toStoreError(op, e) })
  return {
    client,
    run,
    rows: <T = Row>(op: string, text: string, params?: ReadonlyArray<unknown>) =>
      Effect.map(run(op, text, params), (r) => r.rows as Array<T>),
  }
}

/** Multi-row VALUES tuples ($n placeholders, with an optional cast per column), params appended to `params`. */
export const valuesTuples = (
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  params: Array<unknown>,
  castOf: (column: number) => string | undefined = () => undefined,
): string =>
  rows.map((row) =>
    `(${
      row.map((v, j) => {
        const n = params.push(v)
        const cast = castOf(j)
        return cast === undefined ? `$${n}` : `$${n}::${cast}`
      }).join(", ")
    })`
  ).join(", ")

/** Rows per statement for upserts: keeps each write short and well under the parameter limit. */
export const writeBatch = 500

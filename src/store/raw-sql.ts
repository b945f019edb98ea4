import { Effect } from "effect"
import { StoreError } from "../domain/errors.ts"
import type { Row } from "./repos/sql.ts"
import type { StoreShape } from "./Store.ts"

type RawQuery = (text: string, params: ReadonlyArray<unknown>) => Effect.Effect<Array<Row>, StoreError>

/** Kept off the Store interface: application code goes through the repositories. */
const rawQueries = new WeakMap<StoreShape, RawQuery>()

export const registerRawQuery = (store: StoreShape, query: RawQuery): void => void rawQueries.set(store, query)

/**
 * TESTS ONLY: any SQL against a store made by makeStore (or wrapped by the write buffer), to
 * inspect or arrange tables directly. Application code must use a repository method instead.
 */
export const testQuery = <T = Row>(
  store: StoreShape,
  text: string,
  params: ReadonlyArray<unknown> = [],
): Effect.Effect<Array<T>, StoreError> => {
  const query = rawQueries.get(store)
  return query === undefined
    ? Effect.fail(new StoreError({ op: "testQuery", message: "not a store made by makeStore", unavailable: false }))
    : (query(text, params) as Effect.Effect<Array<T>, StoreError>)
}

/** The raw query registered for a store, for a wrapper to register its own. */
export const rawQueryOf = (store: StoreShape): RawQuery | undefined => rawQueries.get(store)

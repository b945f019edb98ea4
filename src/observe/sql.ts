import { Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"
import type { StoreShape } from "../store/Store.ts"

/** Rows per statement: keeps each write short and well under the 65535 parameter limit. */
export const writeBatch = 500

/**
 * Multi-row INSERT ... ON CONFLICT (conflict) DO UPDATE; `casts` gives a column's SQL type
 * where the driver cannot infer it (jsonb from a JSON string). Returns rows written.
 */
export const upsert = (
  store: StoreShape,
  table: string,
  columns: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  conflict: string,
  update: ReadonlyArray<string>,
  casts: Readonly<Record<string, string>> = {},
): Effect.Effect<number, StoreError> =>
  Effect.gen(function* () {
    let written = 0
    for (let i = 0; i < rows.length; i += writeBatch) {
      const batch = rows.slice(i, i + writeBatch)
      const params: Array<unknown> = []
      const tuples = batch.map((row) =>
        `(${
          columns.map((c, j) => {
            const n = params.push(row[j])
            const cast = casts[c]
            return cast === undefined ? `$${n}` : `$${n}::${cast}`
          }).join(", ")
        })`
      )
      const sets = update.map((c) => `${c} = EXCLUDED.${c}`).join(", ")
      yield* store.query(
        `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}
         ON CONFLICT (${conflict}) DO UPDATE SET ${sets}`,
        params,
      )
      written += batch.length
    }
    return written
  })

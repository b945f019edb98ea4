import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import { badName, identifier, type Sql } from "./sql.ts"

/** Whole-table work: retention deletes and schema facts. */
export interface MaintenanceRepo {
  /** Whether a table of that name is visible on the search path. */
  readonly tableExists: (table: string) => Effect.Effect<boolean, StoreError>
  /**
   * Delete at most `limit` rows whose `column` is before `cutoff` (one short statement); returns
   * rows deleted. Table and column must be plain identifiers.
   */
  readonly deleteOlderThan: (
    table: string,
    column: string,
    cutoff: Date,
    limit: number,
  ) => Effect.Effect<number, StoreError>
  /** The schema this store works in (tests isolate with one schema each). */
  readonly currentSchema: () => Effect.Effect<string, StoreError>
}

export const makeMaintenanceRepo = (sql: Sql): MaintenanceRepo => ({
  tableExists: (table) =>
    Effect.map(
      sql.rows<{ t: string | null }>("tableExists", "SELECT to_regclass($1)::text AS t", [table]),
      (rows) => rows[0]?.t != null,
    ),
  deleteOlderThan: Effect.fn("Store.deleteOlderThan")((table: string, column: string, cutoff: Date, limit: number) => {
    if (!identifier.test(table)) return Effect.fail(badName("deleteOlderThan", "table", table))
    if (!identifier.test(column)) return Effect.fail(badName("deleteOlderThan", "column", column))
    // ctid picks a bounded set of rows without needing an id column.
    return Effect.map(
      sql.rows<{ n: number }>(
        "deleteOlderThan",
        `WITH gone AS (
           DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2))
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [cutoff, limit],
      ),
      (rows) => Number(rows[0]?.n ?? 0),
    )
  }),
  currentSchema: () =>
    Effect.map(
      sql.rows<{ schema: string | null }>("currentSchema", "SELECT current_schema() AS schema"),
      (rows) => rows[0]?.schema ?? "public",
    ),
})

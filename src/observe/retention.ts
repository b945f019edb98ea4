import { Effect, Result } from "effect"
import type { StoreShape } from "../store/Store.ts"
import { protectedTables, type RetentionRule } from "./retention-policy.ts"

export interface RetentionResult {
  readonly started_at: string
  readonly duration_ms: number
  /** Rows deleted per table. */
  readonly deleted: Record<string, number>
  /** Tables skipped (missing) or failed, with the reason; other tables still ran. */
  readonly errors: Record<string, string>
}

export interface RetentionRunOptions {
  /** Rows per DELETE statement: each statement holds its locks only briefly. */
  readonly batchSize?: number
  readonly now?: Date
}

export const defaultRetentionBatch = 5000

// Names are spliced into SQL text (the store checks them too).
const identifier = /^[a-z_][a-z0-9_]*$/

/**
 * Delete rows older than each rule's cutoff, in bounded batches (a short statement each, other work
 * runs in between). Configuration history tables are refused here too, whatever the rules say.
 */
export const runRetention = (
  store: StoreShape,
  rules: ReadonlyArray<RetentionRule>,
  options: RetentionRunOptions = {},
): Effect.Effect<RetentionResult> =>
  Effect.gen(function* () {
    const now = options.now ?? new Date()
    const started = performance.now()
    const batch = Math.max(1, Math.floor(options.batchSize ?? defaultRetentionBatch))
    const deleted: Record<string, number> = {}
    const errors: Record<string, string> = {}
    for (const rule of rules) {
      if (protectedTables.has(rule.table)) {
        errors[rule.table] = "configuration history is never deleted"
        continue
      }
      if (!identifier.test(rule.table) || !identifier.test(rule.column)) {
        errors[rule.table] = "not a plain table/column name"
        continue
      }
      const cutoff = new Date(now.getTime() - rule.days * 86_400_000)
      const exists = yield* store.tableExists(rule.table).pipe(Effect.orElseSucceed(() => false))
      if (!exists) {
        errors[rule.table] = "table does not exist"
        continue
      }
      let total = 0
      for (;;) {
        const result = yield* store.deleteOlderThan(rule.table, rule.column, cutoff, batch).pipe(Effect.result)
        if (Result.isFailure(result)) {
          errors[rule.table] = result.failure.message
          break
        }
        const n = result.success
        total += n
        if (n < batch) break
        yield* Effect.yieldNow
      }
      deleted[rule.table] = total
    }
    return {
      started_at: now.toISOString(),
      duration_ms: Math.round(performance.now() - started),
      deleted,
      errors,
    }
  })

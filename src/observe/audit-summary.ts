import type { Effect } from "effect"
import type { StoreError } from "../domain/errors.ts"
import { type AuditSummaryRow, Store } from "../store/Store.ts"

export type { AuditSummaryRow }

/** The audit log since `from`, summarised per data type. */
export const auditSummary = (from: Date): Effect.Effect<Array<AuditSummaryRow>, StoreError, Store> =>
  Store.use((s) => s.auditSummary(from))

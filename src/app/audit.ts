import { randomUUID } from "node:crypto"
import { Cause, Effect, Exit } from "effect"
import { errorMessage } from "../pipeline/error-info.ts"
import { Store } from "../store/Store.ts"
import { Caller } from "./caller.ts"

/** Who/what a change was about, for its audit row. */
export interface Subject {
  readonly id: number | null
  readonly name: string
}

const describe = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  if (
    failure._tag === "Some" && typeof failure.value === "object" && failure.value !== null && "_tag" in failure.value
  ) {
    return errorMessage(failure.value as { _tag: string })
  }
  return "internal error"
}

/**
 * One audit row for a change the pipeline does not audit itself (device edits, host-key trust,
 * tokens): who (method, source, token id), what, on which device, and whether it worked. A failed
 * audit write never turns a done change into an error.
 */
export const auditedChange = <A, E, R>(
  kind: string,
  subject: Subject | ((a: A) => Subject),
  effect: Effect.Effect<A, E, R>,
  fallback: Subject,
): Effect.Effect<A, E, R | Store | Caller> =>
  Effect.gen(function* () {
    const store = yield* Store
    const caller = yield* Caller
    const started = performance.now()
    const exit = yield* Effect.exit(effect)
    const about = Exit.isSuccess(exit) ? (typeof subject === "function" ? subject(exit.value) : subject) : fallback
    yield* store.insertAudit({
      time: new Date(),
      deviceId: about.id,
      deviceName: about.name,
      operationId: randomUUID(),
      dataType: kind,
      method: caller.method,
      source: caller.source,
      forceRefresh: false,
      cacheHit: false,
      durationMs: performance.now() - started,
      sshCommandCount: 0,
      dataSizeBytes: 0,
      status: Exit.isSuccess(exit) ? "success" : "error",
      errorMessage: Exit.isSuccess(exit) ? null : describe(exit.cause),
      recordsCreated: 0,
      freshnessThreshold: 0,
      tokenId: caller.tokenId,
    }).pipe(Effect.catch((e) => Effect.logWarning("audit write failed", e.message)))
    return yield* exit
  })

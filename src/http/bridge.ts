import { Cause, type Context, Effect, Exit, Option } from "effect"
import type { Context as HonoContext } from "hono"
import { Caller, type CallerShape } from "../app/caller.ts"
import { toHttpError } from "./errors.ts"

/** The caller of an HTTP request: its token (set by the auth middleware) and its route. */
export const httpCaller = (c: HonoContext): CallerShape => ({
  method: "api",
  scope: c.get("tokenScope") ?? "read",
  tokenId: c.get("tokenId") ?? null,
  source: `${c.req.method} ${c.req.routePath}`,
  hostWrites: true,
})

export interface Bridge<R> {
  /** Run an operation for this request (as its Caller) and answer JSON, typed errors mapped to statuses. */
  readonly respond: <A>(
    c: HonoContext,
    effect: Effect.Effect<A, unknown, R | Caller>,
    options?: { readonly status?: 200 | 201; readonly serialize?: (value: A) => string },
  ) => Promise<Response>
  /** Run for this request and hand back the exit, for answers that are not JSON (metrics, streams). */
  readonly exit: <A, E>(c: HonoContext, effect: Effect.Effect<A, E, R | Caller>) => Promise<Exit.Exit<A, E>>
  /** Run outside a request (logging). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, R>) => Promise<Exit.Exit<A, E>>
}

/** The one place where HTTP meets the Effect runtime. */
export const makeBridge = <R>(context: Context.Context<R>): Bridge<R> => {
  const run = Effect.runPromiseExitWith(context)
  const exit: Bridge<R>["exit"] = (c, effect) =>
    run(Effect.suspend(() => effect).pipe(Effect.provideService(Caller, httpCaller(c))))
  const respond: Bridge<R>["respond"] = async (c, effect, options = {}) => {
    const outcome = await exit(c, effect)
    if (Exit.isSuccess(outcome)) {
      const status = options.status ?? 200
      if (options.serialize === undefined) return c.json(outcome.value as object, status)
      return c.body(options.serialize(outcome.value), status, { "content-type": "application/json" })
    }
    const failure = Cause.findErrorOption(outcome.cause)
    const error = Option.isSome(failure) ? failure.value : Cause.squash(outcome.cause)
    const http = toHttpError(error)
    if (http.status === 500) await run(Effect.logError("request failed", Cause.pretty(outcome.cause)))
    return c.json(http.body, http.status)
  }
  return { respond, exit, run }
}

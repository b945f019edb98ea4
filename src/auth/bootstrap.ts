import { Effect } from "effect"
import { ValidationError } from "../domain/errors.ts"
import { Store } from "../store/Store.ts"
import { parseToken } from "./tokens.ts"
import { makeTokenRepo } from "./TokenRepo.ts"

/** The environment variable that carries a first token (a container's first start on 0.0.0.0). */
export const BOOTSTRAP_TOKEN_ENV = "INFRA_BOOTSTRAP_TOKEN"
export const BOOTSTRAP_TOKEN_NAME = "bootstrap"

/**
 * Reads INFRA_BOOTSTRAP_TOKEN and removes it from the process environment, so that no child
 * process (the local transport's shell, a validator) inherits the secret.
 */
export const takeBootstrapToken = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[BOOTSTRAP_TOKEN_ENV]
  delete env[BOOTSTRAP_TOKEN_ENV]
  return value === undefined || value.trim() === "" ? undefined : value.trim()
}

export type BootstrapOutcome = "unset" | "stored" | "tokens-exist"

/**
 * INFRA_BOOTSTRAP_TOKEN: if set while no token exists at all, a hash of it is stored as the write
 * token "bootstrap" (the secret itself is neither stored nor logged). Once any token exists, even a
 * revoked one, it is ignored, so it can stay in a container's environment without bringing back a
 * token someone revoked. The value must be in our format, infra_<12 hex>_<64 hex>, e.g.
 * `echo "infra_$(openssl rand -hex 6)_$(openssl rand -hex 32)"`.
 */
export const storeBootstrapToken = Effect.fn("Auth.storeBootstrapToken")(
  function* (token: string | undefined) {
    if (token === undefined) return "unset" as BootstrapOutcome
    const parsed = parseToken(token)
    if (parsed === undefined) {
      // Never echo the value: it is meant to be a secret, even when malformed.
      return yield* Effect.fail(
        new ValidationError({
          message: `${BOOTSTRAP_TOKEN_ENV} must have the form infra_<12 hex digits>_<64 hex digits>; make one with: ` +
            `echo "infra_$(openssl rand -hex 6)_$(openssl rand -hex 32)"`,
        }),
      )
    }
    const tokens = makeTokenRepo(yield* Store)
    if ((yield* tokens.list()).length > 0) return "tokens-exist" as BootstrapOutcome
    const stored = yield* tokens.adopt(BOOTSTRAP_TOKEN_NAME, "write", parsed).pipe(
      // Two instances starting at once on one database: the other one stored it first.
      Effect.catchTag(
        "StoreError",
        (e) =>
          Effect.flatMap(tokens.find(parsed.id), (row) => row === undefined ? Effect.fail(e) : Effect.succeed(row)),
      ),
    )
    yield* Effect.logInfo(`stored ${BOOTSTRAP_TOKEN_ENV} as the write token "${BOOTSTRAP_TOKEN_NAME}"`, {
      token_id: stored.id,
    })
    return "stored" as BootstrapOutcome
  },
)

import { Effect } from "effect"
import { ValidationError } from "../domain/errors.ts"
import { Store } from "../store/Store.ts"
import { storeBootstrapToken, takeBootstrapToken } from "./bootstrap.ts"
import { makeTokenRepo } from "./TokenRepo.ts"

/** Addresses only this machine can reach. 0.0.0.0 and :: mean every interface: not loopback. */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "")
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
}

/**
 * `serve` on a non-loopback address with no active token would expose every host to the network:
 * refuse with a message that says what to do. First, INFRA_BOOTSTRAP_TOKEN (taken out of the
 * environment unless given) is stored if no token exists yet (bootstrap.ts).
 */
export const checkServeExposure = (host: string, bootstrapToken: string | undefined = takeBootstrapToken()) =>
  Effect.gen(function* () {
    yield* storeBootstrapToken(bootstrapToken)
    if (isLoopbackHost(host)) return
    const store = yield* Store
    const active = yield* makeTokenRepo(store).activeCount()
    if (active > 0) return
    return yield* Effect.fail(
      new ValidationError({
        message: `refusing to listen on ${host}: no API token exists, so anyone who can reach it could run commands ` +
          "on your hosts. Create one first (infrastructor token create --name NAME --scope read|write) " +
          "or set INFRA_BOOTSTRAP_TOKEN for the first start, " +
          "or listen on 127.0.0.1 (INFRA_HOST / host in the config file).",
      }),
    )
  })

import { Effect } from "effect"
import { ValidationError } from "../domain/errors.ts"
import { Store } from "../store/Store.ts"
import { makeTokenRepo, type TokenInfo } from "./TokenRepo.ts"

/** Addresses only this machine can reach. 0.0.0.0 and :: mean every interface: not loopback. */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "")
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
}

/**
 * `serve` on a non-loopback address with no active token would expose every host to the network:
 * refuse with a message that says what to do.
 */
export const checkServeExposure = (host: string) =>
  Effect.gen(function* () {
    if (isLoopbackHost(host)) return
    const store = yield* Store
    const active = yield* makeTokenRepo(store).activeCount()
    if (active > 0) return
    return yield* Effect.fail(
      new ValidationError({
        message: `refusing to listen on ${host}: no API token exists, so anyone who can reach it could run commands ` +
          "on your hosts. Create one first (infrastructor token create --name NAME --scope read|write) " +
          "or listen on 127.0.0.1 (INFRA_HOST / host in the config file).",
      }),
    )
  })

const iso = (d: Date | null) => (d === null ? "-" : d.toISOString())

const line = (t: TokenInfo) =>
  `${t.id}\t${t.name}\t${t.scope}\tcreated ${iso(t.createdAt)}\tlast used ${iso(t.lastUsedAt)}\t${
    t.revokedAt === null ? "active" : `revoked ${iso(t.revokedAt)}`
  }`

const jsonInfo = (t: TokenInfo) => ({
  id: t.id,
  name: t.name,
  scope: t.scope,
  created_at: t.createdAt.toISOString(),
  last_used_at: t.lastUsedAt?.toISOString() ?? null,
  revoked_at: t.revokedAt?.toISOString() ?? null,
})

export interface TokenCliArgs {
  readonly sub: string | undefined
  readonly rest: ReadonlyArray<string>
  readonly name: string | undefined
  readonly scope: string | undefined
  readonly json: boolean
}

/** `infrastructor token create|list|revoke`: returns the text to print on stdout. */
export const tokenCommand = (args: TokenCliArgs) =>
  Effect.gen(function* () {
    const repo = makeTokenRepo(yield* Store)
    switch (args.sub) {
      case "create": {
        if (args.name === undefined) {
          return yield* Effect.fail(new ValidationError({ message: "token create needs --name NAME" }))
        }
        const { token, info } = yield* repo.create(args.name, args.scope ?? "read")
        if (args.json) return `${JSON.stringify({ ...jsonInfo(info), token })}\n`
        return `${token}\n` +
          `# token ${info.id} '${info.name}' (scope ${info.scope}). This is the only time it is shown: store it now.\n` +
          `# Use it as: Authorization: Bearer <token>\n`
      }
      case "list": {
        const tokens = yield* repo.list()
        if (args.json) return `${JSON.stringify(tokens.map(jsonInfo), null, 2)}\n`
        return tokens.map((t) => `${line(t)}\n`).join("")
      }
      case "revoke": {
        const id = args.rest[0]
        if (id === undefined) return yield* Effect.fail(new ValidationError({ message: "token revoke needs an ID" }))
        const info = yield* repo.revoke(id)
        return args.json ? `${JSON.stringify(jsonInfo(info))}\n` : `revoked ${info.id} '${info.name}'\n`
      }
      default:
        return yield* Effect.fail(
          new ValidationError({ message: `unknown token command '${args.sub ?? ""}' (create, list, revoke)` }),
        )
    }
  })

import { Effect } from "effect"
import { Admin, type tokenView } from "../app/admin.ts"
import { ValidationError } from "../domain/errors.ts"

type TokenView = ReturnType<typeof tokenView>

const line = (t: TokenView) =>
  `${t.id}\t${t.name}\t${t.scope}\tcreated ${t.created_at}\tlast used ${t.last_used_at ?? "-"}\t${
    t.revoked_at === null ? "active" : `revoked ${t.revoked_at}`
  }`

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
    const admin = yield* Admin
    switch (args.sub) {
      case "create": {
        if (args.name === undefined) {
          return yield* Effect.fail(new ValidationError({ message: "token create needs --name NAME" }))
        }
        const { token, info } = yield* admin.createToken(args.name, args.scope ?? "read")
        if (args.json) return `${JSON.stringify({ ...info, token })}\n`
        return `${token}\n` +
          `# token ${info.id} '${info.name}' (scope ${info.scope}). This is the only time it is shown: store it now.\n` +
          `# Use it as: Authorization: Bearer <token>\n`
      }
      case "list": {
        const tokens = yield* admin.tokens()
        if (args.json) return `${JSON.stringify(tokens, null, 2)}\n`
        return tokens.map((t) => `${line(t)}\n`).join("")
      }
      case "revoke": {
        const id = args.rest[0]
        if (id === undefined) return yield* Effect.fail(new ValidationError({ message: "token revoke needs an ID" }))
        const info = yield* admin.revokeToken(id)
        return args.json ? `${JSON.stringify(info)}\n` : `revoked ${info.id} '${info.name}'\n`
      }
      default:
        return yield* Effect.fail(
          new ValidationError({ message: `unknown token command '${args.sub ?? ""}' (create, list, revoke)` }),
        )
    }
  })

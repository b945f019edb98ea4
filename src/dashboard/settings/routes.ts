/** Settings: devices (add, edit, remove, with the probe's result), host keys (re-trust with the fingerprint), API tokens. */
import { Effect, Exit } from "effect"
import { Admin } from "../../app/admin.ts"
import { Devices } from "../../app/devices.ts"
import { describeError } from "../../domain/errors.ts"
import { failureOf, html, type PageKit, sessionOf } from "../kit/page-kit.ts"
import { DeviceSettingsPage } from "./device-settings-page.tsx"
import { SettingsPage, type TokensView } from "./settings-page.tsx"

const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

/** Listing tokens is a write operation: a read session is not asked for them. */
const tokensFor = (scope: "read" | "write") =>
  scope === "read" ? Effect.succeed<TokensView>({ kind: "hidden" }) : Admin.use((a) => a.tokens()).pipe(
    Effect.map((tokens): TokensView => ({ kind: "ok", tokens })),
    Effect.catch((e: unknown) => {
      const info = describeError(e)
      return Effect.succeed<TokensView>({ kind: "error", code: info.code, message: info.message })
    }),
  )

export const registerSettingsPages = (kit: PageKit): void => {
  const styles = () => kit.styles("settings.css")
  const scripts = () => [kit.assets.url("settings.js")]

  kit.app.get("/settings", async (c) => {
    const session = sessionOf(c)
    const loaded = await kit.bridge.exit(
      c,
      Effect.all([Devices.use((d) => d.list()), tokensFor(session.scope)], { concurrency: 2 }),
    )
    if (Exit.isFailure(loaded)) return kit.errorPage(c, failureOf(loaded))
    const [devices, tokens] = loaded.value
    const removed = c.req.query("removed")
    return html(
      c,
      SettingsPage({
        session,
        styles: styles(),
        scripts: scripts(),
        devices,
        tokens,
        ownToken: c.get("tokenId") ?? null,
        removed: removed !== undefined && DEVICE_NAME.test(removed) ? removed : undefined,
      }),
    )
  })

  kit.app.get("/settings/devices/:device", async (c) => {
    const ref = c.req.param("device")
    const loaded = await kit.bridge.exit(
      c,
      Effect.all([Devices.use((d) => d.get(ref)), Devices.use((d) => d.hostKey(ref))], { concurrency: 2 }),
    )
    if (Exit.isFailure(loaded)) return kit.errorPage(c, failureOf(loaded))
    const [device, hostKey] = loaded.value
    return html(
      c,
      DeviceSettingsPage({ session: sessionOf(c), styles: styles(), scripts: scripts(), device, hostKey }),
    )
  })
}

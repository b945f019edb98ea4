/** Settings: devices (add, edit, remove, with the probe's result), host keys (re-trust with the fingerprint), API tokens. */
import type { PageKit } from "../kit/page-kit.ts"

export const registerSettingsPages = (_kit: PageKit): void => {}

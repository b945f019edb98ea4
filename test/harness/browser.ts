/**
 * A real browser for tests: Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven by
 * playwright-core. Never a browser downloaded by Playwright: this machine cannot fetch one.
 */
import { existsSync } from "node:fs"
import { type Browser, chromium } from "playwright-core"

export const CHROMIUM = "/usr/bin/chromium"

/** The flags that keep Chromium quiet and working as root in a sandbox without a network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

/** Launch Chromium; throws (the test fails) when it is not installed. */
export const launchBrowser = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

import { existsSync } from "node:fs"

/**
 * The parts of the configuration that need no Schema, YAML parser or registry: which config file
 * applies and the default listen address. load.ts builds on them; `infrastructor health` uses them
 * on its light path (no config file: INFRA_HOST / INFRA_PORT only), so it answers without loading
 * Effect.
 */

export const DEFAULT_HOST = "127.0.0.1"
export const DEFAULT_PORT = 8080

/** The config file `--config`, INFRA_CONFIG or ./infrastructor.yaml names, if any. */
export const configFile = (
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined =>
  configPath ?? (env["INFRA_CONFIG"] || undefined) ??
    (existsSync("infrastructor.yaml") ? "infrastructor.yaml" : undefined)

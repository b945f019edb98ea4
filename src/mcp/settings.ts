import { Context } from "effect"
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { parse as parseYaml } from "yaml"
import { ValidationError } from "../domain/errors.ts"

export interface McpSettings {
  /** Host-changing tools (container start/stop/restart, config restore, device removal). Off by default. */
  readonly allowWrites: boolean
}

/** What `/mcp` on the HTTP app runs with; the CLI overrides it for `serve --allow-writes`. */
export const McpSettings = Context.Reference<McpSettings>("infrastructor/McpSettings", {
  defaultValue: () => ({ allowWrites: false }),
})

const truthy = (v: unknown, where: string): boolean | undefined => {
  if (v === undefined || v === null || v === "") return undefined
  if (v === true || v === "true" || v === "1") return true
  if (v === false || v === "false" || v === "0") return false
  throw new ValidationError({ message: `${where} must be true or false` })
}

/**
 * `mcp.allow_writes` from the config file (same lookup as loadConfig: --config, INFRA_CONFIG,
 * ./infrastructor.yaml), overridden by INFRA_MCP_ALLOW_WRITES, overridden by `--allow-writes`.
 * Kept here rather than in InfraConfig so the config contract stays untouched.
 */
export const loadMcpSettings = (
  configPath: string | undefined,
  flag: boolean | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): McpSettings => {
  if (flag === true) return { allowWrites: true }
  const fromEnv = truthy(env["INFRA_MCP_ALLOW_WRITES"], "INFRA_MCP_ALLOW_WRITES")
  if (fromEnv !== undefined) return { allowWrites: fromEnv }
  const file = configPath ?? (env["INFRA_CONFIG"] || undefined) ??
    (existsSync("infrastructor.yaml") ? "infrastructor.yaml" : undefined)
  if (file === undefined) return { allowWrites: false }
  let doc: unknown
  try {
    doc = parseYaml(readFileSync(path.resolve(file), "utf8"))
  } catch {
    // loadConfig already reported an unreadable or invalid file.
    return { allowWrites: false }
  }
  const mcp = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>)["mcp"] : undefined
  const value = typeof mcp === "object" && mcp !== null ? (mcp as Record<string, unknown>)["allow_writes"] : undefined
  return { allowWrites: truthy(value, "mcp.allow_writes") ?? false }
}

import { Context, Schema } from "effect"

export interface McpSettings {
  /** Host-changing tools (container start/stop/restart, config restore, device removal). Off by default. */
  readonly allowWrites: boolean
}

/** What `/mcp` on the HTTP app runs with; the CLI overrides it for `serve --allow-writes`. */
export const McpSettings = Context.Reference<McpSettings>("infrastructor/McpSettings", {
  defaultValue: () => ({ allowWrites: false }),
})

/** The `mcp:` section of the config document (resolved by loadMcpSettings in src/settings/load.ts). */
export const McpSection = Schema.Struct({
  allow_writes: Schema.optional(
    Schema.NullOr(Schema.Boolean.annotate({ expected: "true or false" })),
  ),
})

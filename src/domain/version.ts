import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * Set by a bundler for builds that carry no package.json (e.g. `--define
 * INFRASTRUCTOR_VERSION='"0.1.0"'` for a single binary). Unset otherwise: `typeof` of an undeclared
 * global is "undefined", never a ReferenceError.
 */
declare const INFRASTRUCTOR_VERSION: string | undefined

/**
 * This package's version from its package.json. The module runs from src/cli/ under Deno, from
 * dist/src/cli/ under Node (and from an installed package's copy of it), so walk up until the
 * package.json named "infrastructor" appears.
 */
export const packageVersion = (fromUrl: string = import.meta.url): string => {
  if (typeof INFRASTRUCTOR_VERSION === "string") return INFRASTRUCTOR_VERSION
  let dir = path.dirname(fileURLToPath(fromUrl))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === "infrastructor" && typeof pkg.version === "string") return pkg.version
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    const parent = path.dirname(dir)
    if (parent === dir) return "unknown"
    dir = parent
  }
}

import { existsSync, readdirSync, statSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const hasFirstMigration = (dir: string): boolean =>
  existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((f) => /^001_.*\.sql$/.test(f))

/**
 * The sql/ directory of the package. Under Deno this module runs from src/store/, under Node from
 * dist/src/store/, so walk up from the module until a sql/ holding 001_*.sql appears.
 */
export const findSqlDir = (fromUrl: string = import.meta.url): string | undefined => {
  let dir = path.dirname(fileURLToPath(fromUrl))
  for (;;) {
    const candidate = path.join(dir, "sql")
    if (hasFirstMigration(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

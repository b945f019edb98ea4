import { existsSync, readdirSync, statSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { loadMigrations, type Migration, migrationsOf } from "./migrations.ts"

/**
 * Set by the single-binary build (tools/build-binary): the sql/ files (name -> content), compiled
 * into the executable, which has no sql/ directory beside it. Unset otherwise: `typeof` of an
 * undeclared global is "undefined", never a ReferenceError.
 */
declare const INFRASTRUCTOR_SQL: Readonly<Record<string, string>> | undefined

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

/** This package's migrations: the ones compiled into a single binary, else those in its sql/ directory. */
export const packageMigrations = (): Array<Migration> => {
  if (typeof INFRASTRUCTOR_SQL === "object") {
    return migrationsOf(
      Object.entries(INFRASTRUCTOR_SQL).map(([file, sql]) => ({ file, sql: () => sql })),
      "the binary",
    )
  }
  const dir = findSqlDir()
  if (dir === undefined) throw new Error("sql/ directory with migrations not found")
  return loadMigrations(dir)
}

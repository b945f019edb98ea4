import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import type { SqlClient } from "./SqlClient.ts"

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

const fileName = /^(\d+)_([A-Za-z0-9_.-]+)\.sql$/

/**
 * Migrations from NNN_name.sql files (name -> content), ordered by version; other names are
 * ignored. Throws on duplicate versions; `where` names the source in that message.
 */
export const migrationsOf = (
  files: ReadonlyArray<{ readonly file: string; readonly sql: () => string }>,
  where: string,
): Array<Migration> => {
  const migrations = files
    .flatMap(({ file, sql }) => {
      const m = fileName.exec(file)
      if (m === null || m[1] === undefined || m[2] === undefined) return []
      return [{ version: Number(m[1]), name: m[2], sql: sql() }]
    })
    .sort((a, b) => a.version - b.version)
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new Error(`duplicate migration version ${migrations[i]?.version} in ${where}`)
    }
  }
  return migrations
}

/** sql/NNN_name.sql files, ordered by version. Throws on duplicate versions. */
export const loadMigrations = (dir: string): Array<Migration> =>
  migrationsOf(readdirSync(dir).map((file) => ({ file, sql: () => readFileSync(path.join(dir, file), "utf8") })), dir)

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`

/**
 * Applies pending migrations, each in its own transaction. The advisory lock (per schema) makes
 * concurrent starters queue up; whoever comes second sees the version recorded and skips it.
 * Returns the versions applied by this call.
 */
export const runMigrations = async (
  client: SqlClient,
  migrations: ReadonlyArray<Migration>,
): Promise<Array<number>> => {
  const applied: Array<number> = []
  for (const migration of migrations) {
    await client.transaction(async (tx) => {
      await tx.query(
        "SELECT pg_advisory_xact_lock(hashtext('infrastructor.migrations.' || coalesce(current_schema(), '')))",
      )
      await tx.exec(createTable)
      const done = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [migration.version])
      if (done.rows.length > 0) return
      await tx.exec(migration.sql)
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ])
      applied.push(migration.version)
    })
  }
  return applied
}

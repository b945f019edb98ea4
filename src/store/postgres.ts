import postgres from "postgres"
import { quoteIdent, type SqlClient, type SqlResult } from "./SqlClient.ts"

type Sql = postgres.Sql<Record<string, never>>

/**
 * Callers pass jsonb values as JSON text (the same thing PGlite accepts). postgres.js would
 * JSON.stringify that string a second time and store a JSON string, so strings pass through.
 */
const jsonAsText = {
  to: 3802,
  from: [114, 3802],
  serialize: (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x)),
  parse: (x: string): unknown => JSON.parse(x),
}

/** int8 (counts, bigserial ids, byte counters) as plain numbers, like PGlite returns them. */
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (x: unknown): string => String(x),
  parse: (x: string): number => Number(x),
}

const run = async (
  sql: Sql | postgres.TransactionSql<Record<string, never>>,
  text: string,
  params: ReadonlyArray<unknown>,
): Promise<SqlResult> => {
  const result = await sql.unsafe(text, [...params] as Array<postgres.ParameterOrJSON<never>>)
  const rows = Array.from(result) as Array<Record<string, unknown>>
  return { rows, count: result.count ?? rows.length }
}

const txClient = (tx: postgres.TransactionSql<Record<string, never>>): SqlClient => {
  const self: SqlClient = {
    backend: "postgres",
    query: (text, params = []) => run(tx, text, params),
    exec: async (text) => {
      // No parameters: postgres.js uses the simple protocol, which allows several statements.
      await tx.unsafe(text)
    },
    transaction: (fn) => fn(self),
    close: () => Promise.resolve(),
  }
  return self
}

/** A pooled postgres.js client; schema, if given, is created and set as search_path on every connection. */
export const openPostgres = async (
  options: { databaseUrl: string; schema?: string | undefined },
): Promise<SqlClient> => {
  const sql = postgres(options.databaseUrl, {
    max: 10,
    connect_timeout: 5,
    idle_timeout: 60,
    // Seconds between reconnects: the default grows to 20 s, which delays recovery after an outage;
    // the write buffer paces its own retries.
    backoff: (attempt: number) => Math.min(0.1 * 2 ** attempt, 2),
    // Unnamed statements: insertRows produces many distinct texts; don't cache them per connection.
    prepare: false,
    // No array-type lookup on each new connection: no column we read is an array (lists are jsonb), and
    // postgres.js runs that lookup where nobody awaits it, so a database lost at that moment, then
    // refusing the reconnect, was an unhandled rejection that ends a Node process
    // (test/postgres-startup-cut.test.ts). It also saves a round trip per connection.
    fetch_types: false,
    onnotice: () => undefined,
    types: { jsonAsText, int8AsNumber },
    connection: options.schema === undefined ? {} : { search_path: quoteIdent(options.schema) },
  }) as unknown as Sql
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await sql.end({ timeout: 5 })
  }
  try {
    if (options.schema !== undefined) {
      await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`).catch((e: unknown) => {
        // Two processes creating the same schema at once: the loser sees a unique violation.
        const code = (e as { code?: unknown }).code
        if (code !== "23505" && code !== "42P06") throw e
      })
    }
  } catch (e) {
    await close().catch(() => undefined)
    throw e
  }
  return {
    backend: "postgres",
    query: (text, params = []) => run(sql, text, params),
    exec: async (text) => {
      await sql.unsafe(text)
    },
    transaction: async (fn) => (await sql.begin((tx) => fn(txClient(tx)))) as never,
    close,
    // postgres.js keeps one extra connection for LISTEN and re-subscribes after reconnects.
    listen: async (channel, onMessage) => {
      const request = await sql.listen(channel, onMessage)
      return () => request.unlisten()
    },
    notify: async (channel, payload) => {
      await sql.notify(channel, payload)
    },
  }
}

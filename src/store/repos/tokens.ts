import { Effect } from "effect"
import type { StoreError } from "../../domain/errors.ts"
import type { Row, Sql } from "./sql.ts"

/** An api_tokens row (sql/090_tokens.sql). Scope and algorithm are as stored: the auth code checks them. */
export interface TokenRecord {
  readonly id: string
  readonly name: string
  readonly scope: string
  readonly createdAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
  readonly salt: string
  readonly hash: string
  /** undefined only on a schema before sql/091, where every row is scrypt. */
  readonly algorithm: string | undefined
}

export interface NewToken {
  readonly id: string
  readonly name: string
  readonly scope: string
  readonly salt: string
  readonly hash: string
  readonly algorithm: string
}

/** API tokens: never the secret, only its salted hash. */
export interface TokensRepo {
  readonly insertToken: (token: NewToken) => Effect.Effect<TokenRecord | undefined, StoreError>
  /** Oldest first. */
  readonly listTokens: () => Effect.Effect<Array<TokenRecord>, StoreError>
  readonly findToken: (id: string) => Effect.Effect<TokenRecord | undefined, StoreError>
  /** Revoke (keeping the first revocation time); undefined: no such token. */
  readonly revokeToken: (id: string) => Effect.Effect<TokenRecord | undefined, StoreError>
  readonly countActiveTokens: () => Effect.Effect<number, StoreError>
  readonly touchToken: (id: string) => Effect.Effect<void, StoreError>
  /**
   * Replace a scrypt hash by an hmac-sha256 one, only if the row still holds `legacyHash` (a
   * concurrent upgrade is never overwritten). The row as it is now, or undefined if not upgraded.
   */
  readonly upgradeTokenHash: (
    id: string,
    legacyHash: string,
    fast: { readonly salt: string; readonly hash: string },
  ) => Effect.Effect<TokenRecord | undefined, StoreError>
}

const asDate = (
  v: unknown,
): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)))

const toRecord = (r: Row): TokenRecord => ({
  id: String(r["id"]),
  name: String(r["name"]),
  scope: String(r["scope"]),
  createdAt: asDate(r["created_at"]),
  lastUsedAt: asDate(r["last_used_at"]),
  revokedAt: asDate(r["revoked_at"]),
  salt: String(r["salt"]),
  hash: String(r["hash"]),
  algorithm: r["algorithm"] === undefined || r["algorithm"] === null ? undefined : String(r["algorithm"]),
})

const first = (rows: Array<Row>) => (rows[0] === undefined ? undefined : toRecord(rows[0]))

export const makeTokensRepo = (sql: Sql): TokensRepo => ({
  insertToken: (t) =>
    Effect.map(
      sql.rows(
        "insertToken",
        "INSERT INTO api_tokens (id, name, scope, salt, hash, algorithm) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        [t.id, t.name, t.scope, t.salt, t.hash, t.algorithm],
      ),
      first,
    ),
  listTokens: () =>
    Effect.map(
      sql.rows("listTokens", "SELECT * FROM api_tokens ORDER BY created_at, id"),
      (rows) => rows.map(toRecord),
    ),
  findToken: (id) => Effect.map(sql.rows("findToken", "SELECT * FROM api_tokens WHERE id = $1", [id]), first),
  revokeToken: (id) =>
    Effect.map(
      sql.rows(
        "revokeToken",
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *",
        [id],
      ),
      first,
    ),
  countActiveTokens: () =>
    Effect.map(
      sql.rows<{ n: unknown }>("countActiveTokens", "SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL"),
      (rows) => Number(rows[0]?.n ?? 0),
    ),
  touchToken: (id) =>
    Effect.asVoid(sql.run("touchToken", "UPDATE api_tokens SET last_used_at = now() WHERE id = $1", [id])),
  upgradeTokenHash: (id, legacyHash, fast) =>
    Effect.map(
      sql.rows(
        "upgradeTokenHash",
        "UPDATE api_tokens SET algorithm = 'hmac-sha256', salt = $3, hash = $4 " +
          "WHERE id = $1 AND algorithm = 'scrypt' AND hash = $2 RETURNING *",
        [id, legacyHash, fast.salt, fast.hash],
      ),
      first,
    ),
})

import { Effect } from "effect"
import type { HostKeysShape } from "../../ssh/HostKeys.ts"
import { rowToHostKey } from "../rows.ts"
import type { Sql } from "./sql.ts"

/** Trusted SSH host keys in the host_keys table. Re-trusting a different key restarts first_seen. */
export const makeHostKeysRepo = (sql: Sql): HostKeysShape => ({
  get: (hostPort) =>
    Effect.map(
      sql.run("hostKeys.get", "SELECT * FROM host_keys WHERE host_port = $1", [hostPort]),
      (r) => r.rows[0] === undefined ? undefined : rowToHostKey(r.rows[0]),
    ),
  trust: (hostPort, algorithm, fingerprint) =>
    Effect.asVoid(
      sql.run(
        "hostKeys.trust",
        `INSERT INTO host_keys (host_port, algorithm, fingerprint) VALUES ($1, $2, $3)
         ON CONFLICT (host_port) DO UPDATE SET
           algorithm = EXCLUDED.algorithm,
           fingerprint = EXCLUDED.fingerprint,
           first_seen = CASE WHEN host_keys.fingerprint = EXCLUDED.fingerprint THEN host_keys.first_seen ELSE now() END,
           last_seen = now()`,
        [hostPort, algorithm, fingerprint],
      ),
    ),
  forget: (hostPort) =>
    Effect.asVoid(sql.run("hostKeys.forget", "DELETE FROM host_keys WHERE host_port = $1", [hostPort])),
})

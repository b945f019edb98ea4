/**
 * Config history at scale: with a fleet's worth of versions and change events (arranged in bulk
 * SQL and ANALYZEd), the plans of the history reads (src/store/repos/configs.ts HISTORY_QUERIES)
 * scan no whole table of config history, on both stores. Without sql/095's indexes the events
 * join was a sequential scan of every event in the fleet, for every page and every snapshot read.
 */
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Effect } from "effect"
import { testQuery } from "../src/store/raw-sql.ts"
import { HISTORY_QUERIES } from "../src/store/repos/configs.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"

const PATHS = 50
const VERSIONS_PER_PATH = 40
/** Rows of devices that were removed since (device_id NULL, history kept): the rest of the fleet. */
const FLEET_ROWS = 30_000

interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (n: PlanNode): Array<PlanNode> => [n, ...(n.Plans ?? []).flatMap(nodes)]

const HISTORY_TABLES = new Set(["configuration_snapshots", "configuration_change_events"])

for (const backend of testBackends()) {
  describe(`config history plans (${backend.name})`, () => {
    test("history reads use indexes, not whole-table scans, with a fleet's history in the tables", async () => {
      await withSecureApp(backend, {}, async (t) => {
        const added = await t.request("POST", "/api/devices", {
          body: { name: "p1", host: "127.0.0.1", port: 1, username: "nobody", enabled: false },
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        const sql = <T = Record<string, unknown>>(text: string, params: ReadonlyArray<unknown> = []) =>
          t.run(Effect.flatMap(Effect.service(Store), (s) => testQuery<T>(s, text, params)))
        const [device] = await sql<{ id: number }>("SELECT id FROM devices WHERE name = 'p1'")
        const deviceId = Number(device!.id)

        // One statement per table: ids chosen so each version names the one before it (the chain index).
        const per = PATHS * VERSIONS_PER_PATH
        const first = (g: string) => `(${g} <= ${PATHS} OR (${g} > ${per} AND ${g} <= ${per + PATHS}))`
        await sql(
          `INSERT INTO configuration_snapshots (id, device_id, device_name, path, config_type, content_hash, content,
             change_type, previous_snapshot_id, detection_source)
           SELECT 1000000 + g, CASE WHEN g <= ${per} THEN $1::int END, CASE WHEN g <= ${per} THEN 'p1' ELSE 'gone' END,
             '/etc/app/f' || (g % ${PATHS}) || '.conf', 'generic', md5(g::text), 'line ' || g,
             CASE WHEN ${first("g")} THEN 'CREATE' ELSE 'MODIFY' END,
             CASE WHEN ${first("g")} THEN NULL ELSE 1000000 + g - ${PATHS} END, 'poll'
           FROM generate_series(1, ${per + FLEET_ROWS}) g`,
          [deviceId],
        )
        await sql(
          `INSERT INTO configuration_change_events (time, device_id, device_name, path, config_type, snapshot_id,
             previous_snapshot_id, change_type, diff_summary, risk_level, risk_rule, detection_source)
           SELECT time, device_id, device_name, path, config_type, id, previous_snapshot_id, change_type, '{}'::jsonb,
             'LOW', 'test', detection_source FROM configuration_snapshots`,
        )
        await sql("ANALYZE configuration_snapshots")
        await sql("ANALYZE configuration_change_events")

        const plans: Record<string, readonly [string, ReadonlyArray<unknown>]> = {
          fileHistory: [HISTORY_QUERIES.fileHistory, [deviceId, "/etc/app/f7.conf", 100]],
          snapshot: [HISTORY_QUERIES.snapshot, [1000000 + per - 3]],
          trackedFiles: [HISTORY_QUERIES.trackedFiles, [deviceId]],
        }
        for (const [name, [text, params]] of Object.entries(plans)) {
          const [row] = await sql<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${text}`, params)
          const raw = Object.values(row!)[0]
          const plan = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>
          const scans = nodes(plan[0]!.Plan)
            .filter((n) => n["Node Type"] === "Seq Scan" && HISTORY_TABLES.has(n["Relation Name"] ?? ""))
            .map((n) => n["Relation Name"])
          assert.deepEqual(scans, [], `${name} scans whole tables: ${JSON.stringify(plan)}`)
        }

        // The answers are the data: the newest versions of the path first, each with its event.
        const history = await sql<{ id: number; risk_level: string }>(HISTORY_QUERIES.fileHistory, [
          deviceId,
          "/etc/app/f7.conf",
          100,
        ])
        assert.equal(history.length, VERSIONS_PER_PATH)
        assert.ok(history.every((r) => r.risk_level === "LOW"))
        assert.ok(Number(history[0]!.id) > Number(history[1]!.id))
      })
    })
  })
}

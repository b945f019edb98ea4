/**
 * `npm run -s build && node dist/bench/config-history.js`: config history at scale. Builds, with the
 * project's own store code (insertConfigVersion, one version and its event per statement, as the
 * watcher writes them), 10,000 versions of one file and 100,000 change events across the fleet,
 * then times in-process GETs of the history page (limit 100) and of diffs between random versions.
 * The baseline, in the same run on the same data: the same requests with sql/095's indexes
 * dropped (the schema before issue 15). PGlite always; PostgreSQL too when BENCH_DATABASE_URL is
 * set (on a schema of its own, dropped afterwards). Prints a table. Not a test.
 */
import { createHash } from "node:crypto"
import process from "node:process"
import { Effect, Layer, ManagedRuntime } from "effect"
import { makeCacheLayer } from "../src/cache/CacheLive.ts"
import { allActions, allDataTypes } from "../src/collectors/index.ts"
import { makeHttpApp } from "../src/http/app.ts"
import { composeServices } from "../src/layers.ts"
import { Registry } from "../src/pipeline/Registry.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { makeStoreLayer, type StoreOptions } from "../src/store/layer.ts"
import { testQuery } from "../src/store/raw-sql.ts"
import { type ConfigVersionInsert, Store } from "../src/store/Store.ts"
import { ms, summarize, table } from "./stats.ts"

const N = Number(process.env["BENCH_N"] ?? 200)
const VERSIONS = Number(process.env["BENCH_VERSIONS"] ?? 10_000)
const EVENTS = Number(process.env["BENCH_EVENTS"] ?? 100_000)
const OTHER_DEVICES = 9
const OTHER_FILES = 20
const HOT = "/etc/nginx/nginx.conf"

const sha = (s: string) => createHash("sha256").update(s).digest("hex")

/** An nginx config of about 2 KB whose worker_connections line changes with each version. */
const nginxConf = (i: number) =>
  [
    "user www-data;",
    "worker_processes auto;",
    "events {",
    `  worker_connections ${1024 + i};`,
    "}",
    "http {",
    ...Array.from({ length: 40 }, (_, k) => `  # upstream block ${k}: proxy_pass http://app${k}:8080;`),
    "}",
  ].join("\n")

const version = (
  deviceId: number,
  deviceName: string,
  path: string,
  content: string,
  previous: { id: number; hash: string } | null,
): ConfigVersionInsert => ({
  deviceId,
  deviceName,
  path,
  configType: "nginx",
  contentHash: sha(content),
  content,
  contentEncoding: "utf8",
  contentRedacted: false,
  contentBytes: content.length,
  parsed: null,
  parseError: null,
  changeType: previous === null ? "CREATE" : "MODIFY",
  previousSnapshotId: previous?.id ?? null,
  previousHash: previous?.hash ?? null,
  movedFrom: null,
  fileMtime: null,
  detectionSource: "watch",
  detectionLatencyMs: 3,
  sizeTooLarge: false,
  linkTarget: null,
  diffSummary: JSON.stringify({ added: 1, removed: 1 }),
  affectedServices: "[]",
  requiresRestart: false,
  restartServices: "[]",
  riskLevel: "LOW",
  riskRule: "bench",
})

const timed = async (n: number, f: (i: number) => Promise<void>): Promise<Array<number>> => {
  const durations: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await f(i)
    durations.push(performance.now() - t0)
  }
  return durations
}

const runOn = async (name: string, options: StoreOptions): Promise<Array<Array<string>>> => {
  const layer = composeServices({
    store: makeStoreLayer(options),
    ssh: makeSshLayer({ sshDir: "/nonexistent" }),
    cache: makeCacheLayer({}),
    registry: Registry.make(allDataTypes, {}, allActions),
  })
  const runtime = ManagedRuntime.make(layer.pipe(Layer.orDie))
  try {
    const app = await runtime.runPromise(makeHttpApp)
    const t0 = performance.now()
    const hotIds = await runtime.runPromise(Effect.gen(function* () {
      const store = yield* Store
      const edge = yield* store.createDevice({ name: "edge", host: "192.0.2.10" })
      const others = yield* Effect.forEach(
        Array.from({ length: OTHER_DEVICES }, (_, k) => k),
        (k) => store.createDevice({ name: `node-${k}`, host: `192.0.2.${20 + k}` }),
      )
      const append = (deviceId: number, deviceName: string, path: string, content: string, previous: any) =>
        Effect.flatMap(store.insertConfigVersion(version(deviceId, deviceName, path, content, previous)), (r) => {
          if (r === undefined) return Effect.die(new Error(`chain conflict at ${deviceName}:${path}`))
          return Effect.succeed({ id: r.snapshotId, hash: sha(content) })
        })
      const ids: Array<number> = []
      let head: { id: number; hash: string } | null = null
      for (let i = 0; i < VERSIONS; i++) {
        head = yield* append(edge.id, edge.name, HOT, nginxConf(i), head)
        ids.push(head.id)
      }
      // The rest of the fleet's events, spread over devices and files.
      const heads = new Map<string, { id: number; hash: string } | null>()
      for (let i = 0; i < EVENTS - VERSIONS; i++) {
        const device = others[i % OTHER_DEVICES]!
        const path = `/opt/stack/svc${Math.floor(i / OTHER_DEVICES) % OTHER_FILES}/compose.yml`
        const key = `${device.id}:${path}`
        heads.set(key, yield* append(device.id, device.name, path, `image: app:${i}\n`, heads.get(key) ?? null))
      }
      return ids
    }))
    const built = (performance.now() - t0) / 1000
    const sql = (text: string) => runtime.runPromise(Effect.flatMap(Store, (s) => testQuery(s, text)))
    await sql("ANALYZE configuration_snapshots")
    await sql("ANALYZE configuration_change_events")

    const get = async (url: string) => {
      const res = await app.request(url)
      const text = await res.text()
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`)
      return text
    }
    const history = `/api/devices/edge/configs/history?path=${encodeURIComponent(HOT)}&limit=100`
    // The same random pairs for both schemas: a fixed sequence.
    let seed = 42
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return hotIds[seed % hotIds.length]!
    }
    const pairs = Array.from({ length: N }, () => [pick(), pick()] as const)
    const measure = async (schema: string): Promise<Array<Array<string>>> => {
      await get(history)
      const page = summarize("history", await timed(N, () => get(history).then(() => undefined)))
      const diff = summarize(
        "diff",
        await timed(N, (i) => get(`/api/configs/diff?from=${pairs[i]![0]}&to=${pairs[i]![1]}`).then(() => undefined)),
      )
      return [
        [name, schema, "history page (limit 100)", String(page.n), ms(page.p50), ms(page.p99)],
        [name, schema, "diff of two random versions", String(diff.n), ms(diff.p50), ms(diff.p99)],
      ]
    }
    const rows = await measure("with sql/095 indexes")
    for (const index of ["configuration_change_events_snapshot", "configuration_snapshots_device_path_id"]) {
      await sql(`DROP INDEX ${index}`)
    }
    rows.push(...await measure("baseline: without them"))
    console.log(`${name}: built ${VERSIONS} versions of one file and ${EVENTS} events in ${built.toFixed(0)} s`)
    if (options.schema !== undefined) await sql(`DROP SCHEMA IF EXISTS "${options.schema}" CASCADE`)
    return rows
  } finally {
    await runtime.dispose()
  }
}

const main = async () => {
  const rows = await runOn("pglite", {})
  const url = process.env["BENCH_DATABASE_URL"]
  if (url !== undefined && url !== "") {
    rows.push(...await runOn("postgres", { databaseUrl: url, schema: `bench_confhist_${Date.now().toString(36)}` }))
  }
  console.log(`\nConfig history: ${VERSIONS} versions of ${HOT}, ${EVENTS} change events in the fleet\n`)
  console.log(table(["backend", "schema", "read", "n", "p50 ms", "p99 ms"], rows))
}

await main()

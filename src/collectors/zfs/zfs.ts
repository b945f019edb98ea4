import { ValidationError } from "../../domain/errors.ts"
import { singleRetry } from "../../domain/schedules.ts"
import { section } from "../shared/sections.ts"
import {
  DATASET_COLUMNS,
  parseZfs,
  SNAPSHOT_COLUMNS,
  ZFS_SECTIONS,
  type ZfsData,
  ZPOOL_LIST_COLUMNS,
} from "./parse-zfs.ts"
import { shq } from "../../domain/quote.ts"
import type { Row } from "../../store/Store.ts"
import { type DataTypeSpec, type Params, params } from "../../pipeline/DataType.ts"
import { ZfsDataSchema } from "./parse/model.ts"

/** Pool names: a letter first, then letters, digits and _ - . : (zpool_name_valid). */
const POOL_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,254}$/

/** `pool` restricts every command to one pool; `snapshots=false` skips the (possibly huge) snapshot list. */
const readParams = (params: Params): { pool: string | null; snapshots: boolean } => {
  const pool = params["pool"]
  if (pool !== undefined && pool !== "" && (typeof pool !== "string" || !POOL_NAME.test(pool))) {
    throw new ValidationError({ message: "zfs: pool must be a ZFS pool name", details: { pool } })
  }
  const snapshots = params["snapshots"]
  if (snapshots !== undefined && !["true", "false", "1", "0", true, false].includes(snapshots as string | boolean)) {
    throw new ValidationError({ message: "zfs: snapshots must be true or false", details: { snapshots } })
  }
  return {
    pool: typeof pool === "string" && pool !== "" ? pool : null,
    snapshots: !(snapshots === "false" || snapshots === "0" || snapshots === false),
  }
}

/**
 * One round trip. `zpool status` runs as JSON first (OpenZFS ≥ 2.3); the text form only runs
 * when that failed — section bodies run in the current shell, so the flag variable carries over.
 * TZ=UTC makes the ctime dates of the text form unambiguous.
 */
const script = (params: Params): string => {
  const { pool, snapshots } = readParams(params)
  const poolArg = pool === null ? "" : ` ${shq(pool)}`
  const recurse = pool === null ? "" : ` -r${poolArg}`
  const parts = [
    // zpool and zfs live in sbin, often not on a login user's PATH (the probe looks there too).
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH',
    "infra_zfs_json=",
    section(ZFS_SECTIONS.pools, `zpool list -Hp -o ${ZPOOL_LIST_COLUMNS.join(",")}${poolArg}`),
    section(ZFS_SECTIONS.statusJson, `zpool status -j --json-int -p${poolArg} && infra_zfs_json=1`),
    section(ZFS_SECTIONS.statusText, `[ -n "$infra_zfs_json" ] || TZ=UTC zpool status -p${poolArg}`),
    section(ZFS_SECTIONS.datasets, `zfs list -Hp -t filesystem,volume -o ${DATASET_COLUMNS.join(",")}${recurse}`),
    snapshots
      ? section(ZFS_SECTIONS.snapshots, `zfs list -Hp -t snapshot -o ${SNAPSHOT_COLUMNS.join(",")}${recurse}`)
      : "",
    section(ZFS_SECTIONS.arcstats, "cat /proc/spl/kstat/zfs/arcstats"),
  ]
  return parts.filter((p) => p !== "").join("\n")
}

const toStatusRows = (data: ZfsData): ReadonlyArray<Row> =>
  data.pools.map((pool) => {
    const c = pool.capacity
    const s = pool.status
    return {
      pool: pool.name,
      health: c?.health ?? s?.state ?? null,
      size_bytes: c?.size_bytes ?? null,
      alloc_bytes: c?.alloc_bytes ?? null,
      free_bytes: c?.free_bytes ?? null,
      capacity_percent: c?.capacity_percent ?? null,
      fragmentation_percent: c?.fragmentation_percent ?? null,
      scan_state: s === null ? null : (s.scan?.state ?? "none"),
      read_errors: s?.totals.read_errors ?? null,
      write_errors: s?.totals.write_errors ?? null,
      cksum_errors: s?.totals.cksum_errors ?? null,
      data: {
        ...pool,
        datasets: data.datasets.items.filter((d) => d.name === pool.name || d.name.startsWith(`${pool.name}/`)),
        arc: data.arc,
        status_source: data.status_source,
      },
    }
  })

/**
 * Rows for the second table, zfs_snapshots, inserted by the pipeline beside zfs_status (extraRows).
 */
export const zfsSnapshotRows = (data: ZfsData): Array<Row> =>
  data.snapshots.items.map((s) => ({
    dataset: s.dataset,
    snapshot: s.snapshot,
    used_bytes: s.used_bytes,
    refer_bytes: s.refer_bytes,
    created_at: s.created_at === null ? null : new Date(s.created_at),
    data: s,
  }))

export const ZFS_SNAPSHOTS_TABLE = "zfs_snapshots"

export const zfs: DataTypeSpec<ZfsData> = {
  name: "zfs",
  pollable: true,
  params: params({
    pool: "only this pool",
    snapshots: "false: skip the snapshot list (it can be huge)",
  }),
  description:
    "ZFS pools (capacity, health, scrub/resilver, vdev tree with error counters), datasets, snapshots and ARC statistics",
  output: ZfsDataSchema,
  table: "zfs_status",
  ttlSeconds: 600,
  timeout: "60 seconds",
  retry: singleRetry,
  maxOutputBytes: 32 * 1024 * 1024,
  requires: ["zpool"],
  script,
  parse: parseZfs,
  toRows: toStatusRows,
  extraRows: (data) => ({ [ZFS_SNAPSHOTS_TABLE]: zfsSnapshotRows(data) }),
  extraTables: [ZFS_SNAPSHOTS_TABLE],
}

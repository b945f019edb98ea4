import { Result, Schema } from "effect"
import type { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { type Section, splitSections } from "../shared/sections.ts"
import { ARC_UNAVAILABLE, parseArcstats } from "./parse/arcstats.ts"
import { parseZfsDatasetList, parseZfsSnapshotList } from "./parse/datasets.ts"
import { zfsFail } from "./parse/fail.ts"
import { parseZpoolList } from "./parse/list.ts"
import type {
  ArcStats,
  ZfsData,
  ZfsDataset,
  ZfsPool,
  ZfsPoolCapacity,
  ZfsPoolStatus,
  ZfsSnapshot,
} from "./parse/model.ts"
import { ZfsDataSchema } from "./parse/model.ts"

export { ZfsDataSchema }
import { parseZpoolStatusJson } from "./parse/status-json.ts"
import { parseZpoolStatus } from "./parse/status-text.ts"

export { parseArcstats } from "./parse/arcstats.ts"
export { DATASET_COLUMNS, parseZfsDatasetList, parseZfsSnapshotList, SNAPSHOT_COLUMNS } from "./parse/datasets.ts"
export { parseZpoolIostat } from "./parse/iostat.ts"
export { parseZpoolList, ZPOOL_LIST_COLUMNS } from "./parse/list.ts"
export type * from "./parse/model.ts"
export { parseScanText } from "./parse/scan.ts"
export { parseZpoolStatusJson } from "./parse/status-json.ts"
export { parseZpoolStatus } from "./parse/status-text.ts"

/** Section names shared by the script builder (src/collectors/zfs/zfs.ts) and this parser. */
export const ZFS_SECTIONS = {
  pools: "zpool_list",
  statusJson: "zpool_status_json",
  statusText: "zpool_status",
  datasets: "zfs_datasets",
  snapshots: "zfs_snapshots",
  arcstats: "arcstats",
} as const

const succeeded = (s: Section | undefined): s is Section => s !== undefined && s.exitCode === 0

const firstLine = (s: string): string => s.trim().split("\n")[0]?.slice(0, 120) ?? ""

type Status = { readonly source: ZfsData["status_source"]; readonly pools: ReadonlyArray<ZfsPoolStatus> }

/** JSON when this zpool supports it (OpenZFS ≥ 2.3), text otherwise, nothing if both failed. */
const statusOf = (sections: Map<string, Section>): Result.Result<Status, ParseError> => {
  const json = sections.get(ZFS_SECTIONS.statusJson)
  if (succeeded(json) && json.body.trim() !== "") {
    return Result.map(parseZpoolStatusJson(json.body), (pools) => ({ source: "json" as const, pools }))
  }
  const text = sections.get(ZFS_SECTIONS.statusText)
  if (succeeded(text) && text.body.trim() !== "") {
    return Result.map(parseZpoolStatus(text.body), (pools) => ({ source: "text" as const, pools }))
  }
  return Result.succeed({ source: "none", pools: [] })
}

/** An optional listing: unavailable when its command failed or was skipped, parsed otherwise. */
const optionalList = <A>(
  section: Section | undefined,
  parse: (text: string) => Result.Result<Array<A>, ParseError>,
): Result.Result<{ available: boolean; items: Array<A> }, ParseError> =>
  succeeded(section)
    ? Result.map(parse(section.body), (items) => ({ available: true, items }))
    : Result.succeed({ available: false, items: [] })

const arcOf = (section: Section | undefined): Result.Result<ArcStats, ParseError> =>
  succeeded(section) && section.body.trim() !== "" ? parseArcstats(section.body) : Result.succeed(ARC_UNAVAILABLE)

/** Pools in `zpool list` order, then any pool only `zpool status` reported. */
const mergePools = (capacity: ReadonlyArray<ZfsPoolCapacity>, status: ReadonlyArray<ZfsPoolStatus>): Array<ZfsPool> => {
  const byName = new Map(status.map((s) => [s.name, s]))
  const out: Array<ZfsPool> = capacity.map((c) => ({ name: c.name, capacity: c, status: byName.get(c.name) ?? null }))
  const listed = new Set(capacity.map((c) => c.name))
  for (const s of status) if (!listed.has(s.name)) out.push({ name: s.name, capacity: null, status: s })
  return out
}

const decode = Schema.decodeUnknownResult(ZfsDataSchema)

/** Parse the batched zfs script output (see src/collectors/zfs/zfs.ts for the script). */
export const parseZfs = (result: CommandResult, _params: Params = {}): Result.Result<ZfsData, ParseError> => {
  const sections = splitSections(result.stdout)
  const list = sections.get(ZFS_SECTIONS.pools)
  if (list === undefined) {
    return zfsFail(`section '${ZFS_SECTIONS.pools}' missing from command output`, ZFS_SECTIONS.pools)
  }
  if (list.exitCode === 127) return zfsFail("zpool is not installed (exit 127)", ZFS_SECTIONS.pools)
  if (list.exitCode !== 0) {
    const why = firstLine(list.body) || firstLine(result.stderr) || "no output"
    return zfsFail(`zpool list failed with exit code ${list.exitCode ?? "?"}: ${why}`, ZFS_SECTIONS.pools)
  }
  return Result.gen(function* () {
    const capacity = yield* parseZpoolList(list.body)
    const status = yield* statusOf(sections)
    const datasets = yield* optionalList<ZfsDataset>(sections.get(ZFS_SECTIONS.datasets), (t) => parseZfsDatasetList(t))
    const snapshots = yield* optionalList<ZfsSnapshot>(
      sections.get(ZFS_SECTIONS.snapshots),
      (t) => parseZfsSnapshotList(t),
    )
    const arc = yield* arcOf(sections.get(ZFS_SECTIONS.arcstats))
    const data = {
      status_source: status.source,
      pools: mergePools(capacity, status.pools),
      datasets,
      snapshots,
      arc,
    }
    const checked = decode(data)
    if (Result.isFailure(checked)) {
      return yield* zfsFail(`parsed zfs data failed validation: ${checked.failure.message}`, "schema")
    }
    return checked.success
  })
}

/** ZFS: each pool with health, scrub/resilver, error totals and vdev tree; datasets and snapshots. */
import { Notice } from "../kit/layout.tsx"
import { bytes, count } from "./frame.tsx"
import type { Vdev, ZfsData, ZfsPool } from "./types.ts"

/** Snapshots listed at most (newest first); the count says how many there are. */
const SNAPSHOT_ROWS = 100

const stateClass = (s: string | null) =>
  s === "ONLINE" ? "ok" : s === "DEGRADED" || s === "OFFLINE" || s === null ? "warn" : "bad"

const flatten = (v: Vdev, depth: number): Array<{ vdev: Vdev; depth: number }> => [
  { vdev: v, depth },
  ...v.children.flatMap((c) => flatten(c, depth + 1)),
]

const errorsOf = (v: Vdev) => (v.read_errors ?? 0) + (v.write_errors ?? 0) + (v.cksum_errors ?? 0)

const VdevTree = ({ pool }: { pool: ZfsPool }) => {
  const s = pool.status
  if (s === null || s.root === null) return <p class="muted">No vdev tree: zpool status did not describe this pool.</p>
  const rows = [
    ...flatten(s.root, 0),
    ...s.groups.flatMap((g) => [
      {
        vdev: {
          name: g.kind,
          type: "group",
          state: null,
          read_errors: null,
          write_errors: null,
          cksum_errors: null,
          note: null,
          children: [],
        } as Vdev,
        depth: 0,
      },
      ...g.vdevs.flatMap((v) => flatten(v, 1)),
    ]),
  ]
  return (
    <table class="vdevs">
      <caption class="sr-only">vdev tree of {pool.name}</caption>
      <thead>
        <tr>
          <th scope="col">vdev</th>
          <th scope="col">State</th>
          <th scope="col" class="num">Read</th>
          <th scope="col" class="num">Write</th>
          <th scope="col" class="num">Cksum</th>
          <th scope="col">Note</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ vdev, depth }, i) => (
          <tr key={String(i)} data-vdev={vdev.name} class={errorsOf(vdev) > 0 ? "row-bad" : undefined}>
            <th scope="row" class={`depth depth-${Math.min(depth, 5)}`}>
              {vdev.name}
              {vdev.type !== "disk" && vdev.type !== "root" && vdev.type !== "group" && vdev.type !== vdev.name
                ? <span class="muted small aside">{vdev.type}</span>
                : null}
            </th>
            <td>
              {vdev.state === null ? "" : <span class={`pill pill-${stateClass(vdev.state)}`}>{vdev.state}</span>}
            </td>
            <td class="num">{count(vdev.read_errors)}</td>
            <td class="num">{count(vdev.write_errors)}</td>
            <td class="num">{count(vdev.cksum_errors)}</td>
            <td>{vdev.note ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

const scanText = (pool: ZfsPool): string => {
  if (pool.status === null) return "– (no zpool status for this pool)"
  const scan = pool.status.scan
  if (scan === null) return "never scrubbed"
  if (scan.state === "in_progress") {
    return `${scan.function ?? "scan"} in progress${
      scan.percent_done === null ? "" : `, ${scan.percent_done.toFixed(scan.percent_done < 1 ? 2 : 1)} % done`
    }${scan.eta === null ? "" : `, ${scan.eta} to go`}`
  }
  return scan.text
}

const Pool = ({ pool }: { pool: ZfsPool }) => {
  const state = pool.status?.state ?? pool.capacity?.health ?? null
  const t = pool.status?.totals
  return (
    <article class="pool" data-pool={pool.name}>
      <div class="title-row">
        <h3>{pool.name}</h3>
        <span class={`pill pill-${stateClass(state)}`} data-field="state">{state ?? "unknown"}</span>
        {pool.capacity === null ? null : (
          <span class="muted">
            {bytes(pool.capacity.alloc_bytes)} of {bytes(pool.capacity.size_bytes)} used
            {pool.capacity.capacity_percent === null ? "" : ` (${pool.capacity.capacity_percent} %)`}
            {pool.capacity.fragmentation_percent === null
              ? ""
              : `, ${pool.capacity.fragmentation_percent} % fragmented`}
          </span>
        )}
      </div>
      <dl class="facts">
        <div>
          <dt>Scrub / resilver</dt>
          <dd data-field="scan">{scanText(pool)}</dd>
        </div>
        <div>
          <dt>Errors (read / write / cksum)</dt>
          <dd class={t !== undefined && t.read_errors + t.write_errors + t.cksum_errors > 0 ? "pill-bad" : undefined}>
            {t === undefined ? "–" : `${t.read_errors} / ${t.write_errors} / ${t.cksum_errors}`}
          </dd>
        </div>
        <div>
          <dt>Data errors</dt>
          <dd>{pool.status?.errors_text ?? count(pool.status?.data_errors)}</dd>
        </div>
      </dl>
      {pool.status?.status == null ? null : (
        <p class="pool-status">
          <strong>Status:</strong> {pool.status.status}
        </p>
      )}
      {pool.status?.action == null ? null : (
        <p class="pool-status">
          <strong>Action:</strong> {pool.status.action}
        </p>
      )}
      {pool.status?.root == null ? <VdevTree pool={pool} /> : (
        <div class="table-wrap">
          <VdevTree pool={pool} />
        </div>
      )}
    </article>
  )
}

export const ZfsPanel = ({ data }: { data: ZfsData }) => {
  if (data.pools.length === 0) return <Notice kind="empty" title="No ZFS pools on this host" />
  const snapshots = [...data.snapshots.items].sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""))
  return (
    <div class="zfs">
      {data.pools.map((p) => <Pool key={p.name} pool={p} />)}
      <h3>Datasets</h3>
      {!data.datasets.available ? <p class="muted">The dataset list could not be read.</p> : (
        <div class="table-wrap">
          <table class="panel-table datasets">
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col" class="num">Used</th>
                <th scope="col" class="num">Available</th>
                <th scope="col" class="num">Referenced</th>
                <th scope="col" class="num">By snapshots</th>
                <th scope="col">Mountpoint</th>
              </tr>
            </thead>
            <tbody>
              {data.datasets.items.map((d) => (
                <tr key={d.name} data-dataset={d.name}>
                  <th scope="row" data-label="Dataset">{d.name}</th>
                  <td data-label="Used" class="num">{bytes(d.used_bytes)}</td>
                  <td data-label="Available" class="num">{bytes(d.avail_bytes)}</td>
                  <td data-label="Referenced" class="num">{bytes(d.refer_bytes)}</td>
                  <td data-label="By snapshots" class="num">{bytes(d.used_by_snapshots_bytes)}</td>
                  <td data-label="Mountpoint">{d.mountpoint ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <details class="snapshots">
        <summary>
          Snapshots ({data.snapshots.available ? snapshots.length : "not read"})
        </summary>
        {snapshots.length === 0 ? <p class="muted">No snapshots.</p> : (
          <div class="table-wrap scroll">
            <table class="panel-table">
              <thead>
                <tr>
                  <th scope="col">Snapshot</th>
                  <th scope="col" class="num">Used</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {snapshots.slice(0, SNAPSHOT_ROWS).map((s) => (
                  <tr key={`${s.dataset}@${s.snapshot}`}>
                    <th scope="row" data-label="Snapshot">{s.dataset}@{s.snapshot}</th>
                    <td data-label="Used" class="num">{bytes(s.used_bytes)}</td>
                    <td data-label="Created">{s.created_at ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {snapshots.length > SNAPSHOT_ROWS
              ? <p class="muted small">Newest {SNAPSHOT_ROWS} of {snapshots.length} shown.</p>
              : null}
          </div>
        )}
      </details>
    </div>
  )
}

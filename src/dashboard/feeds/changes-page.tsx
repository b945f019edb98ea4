/** /changes: the fleet's config change events, newest first, filterable, with new ones arriving live. */
import { jsonColumn } from "../../domain/json.ts"
import { ago, isoOf, num } from "../kit/format.ts"
import { FilterSelect } from "../kit/filter-select.tsx"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import { CHANGE_TYPES, type ChangeQuery, CONFIG_TYPES, diffHref, fileHref, RISKS } from "./filters.ts"

/** One change event as the feed shows it. */
export interface ChangeRow {
  readonly id: number
  readonly time: string | null
  readonly device: string
  readonly path: string
  readonly configType: string
  readonly changeType: string
  readonly risk: string
  readonly rule: string | null
  readonly snapshotId: number | null
  readonly previousSnapshotId: number | null
  readonly linesAdded: number | null
  readonly linesRemoved: number | null
  readonly semantic: ReadonlyArray<string>
  readonly restart: ReadonlyArray<string>
  readonly requiresRestart: boolean
  readonly source: string
}

const strings = (v: unknown): Array<string> =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []

/** A row of configuration_change_events (as Configs.changes answers) for the page. */
export const changeRow = (r: Record<string, unknown>): ChangeRow => {
  const diff = jsonColumn(r["diff_summary"]) as Record<string, unknown> | null
  const semantic = Array.isArray(diff?.["semantic"]) ? diff["semantic"] as Array<Record<string, unknown>> : []
  return {
    id: num(r["id"]) ?? 0,
    time: isoOf(r["time"]),
    device: String(r["device_name"] ?? ""),
    path: String(r["path"] ?? ""),
    configType: String(r["config_type"] ?? ""),
    changeType: String(r["change_type"] ?? ""),
    risk: String(r["risk_level"] ?? ""),
    rule: typeof r["risk_rule"] === "string" && r["risk_rule"] !== "" ? r["risk_rule"] : null,
    snapshotId: num(r["snapshot_id"]),
    previousSnapshotId: num(r["previous_snapshot_id"]),
    linesAdded: num(diff?.["linesAdded"]),
    linesRemoved: num(diff?.["linesRemoved"]),
    semantic: semantic.map((s) => typeof s["description"] === "string" ? s["description"] : "").filter((s) => s !== ""),
    restart: strings(jsonColumn(r["restart_services"])),
    requiresRestart: r["requires_restart"] === true,
    source: String(r["detection_source"] ?? ""),
  }
}

export const RiskBadge = ({ risk, rule }: { risk: string; rule: string | null }) => (
  <span class={`risk risk-${risk.toLowerCase()}`} data-risk={risk} title={rule ?? undefined}>
    {risk}
    {rule === null ? null : <span class="risk-rule">{rule}</span>}
  </span>
)

const SHOWN_SEMANTIC = 3

const Summary = ({ row }: { row: ChangeRow }) => (
  <div class="change-summary">
    {row.linesAdded === null && row.linesRemoved === null ? null : (
      <span class="lines">
        <span class="added">+{row.linesAdded ?? 0}</span> <span class="removed">−{row.linesRemoved ?? 0}</span>
      </span>
    )}
    {row.semantic.length === 0 ? null : (
      <ul class="semantic">
        {row.semantic.slice(0, SHOWN_SEMANTIC).map((s, i) => <li key={i}>{s}</li>)}
        {row.semantic.length > SHOWN_SEMANTIC
          ? <li class="muted">and {row.semantic.length - SHOWN_SEMANTIC} more</li>
          : null}
      </ul>
    )}
    {row.requiresRestart
      ? <span class="restart">restart: {row.restart.length === 0 ? "needed" : row.restart.join(", ")}</span>
      : null}
  </div>
)

const Row = ({ row, now }: { row: ChangeRow; now: number }) => (
  <tr
    data-id={row.id}
    data-device={row.device}
    data-risk={row.risk}
    data-change-type={row.changeType}
    data-config-type={row.configType}
  >
    <td data-label="When">
      <time datetime={row.time ?? ""} title={row.time ?? ""}>{ago(row.time, now)}</time>
    </td>
    <td data-label="Device">
      <a href={`/devices/${encodeURIComponent(row.device)}`}>{row.device}</a>
    </td>
    <td data-label="File" class="path">
      <a class="file-link" href={fileHref(row.device, row.path)}>{row.path}</a>
      <span class="muted small">{row.configType.replace(/_/g, " ")}</span>
    </td>
    <td data-label="Change">
      <span class={`change change-${row.changeType.toLowerCase()}`}>{row.changeType}</span>
      <span class="muted small">{row.source}</span>
    </td>
    <td data-label="Risk">
      <RiskBadge risk={row.risk} rule={row.rule} />
    </td>
    <td data-label="Summary">
      <Summary row={row} />
    </td>
    <td data-label="Diff">
      {row.snapshotId === null ? <span class="muted">–</span> : (
        <a
          class="diff-link"
          href={diffHref(row.device, row.path, row.snapshotId, row.previousSnapshotId)}
          aria-label={`Diff of ${row.path} on ${row.device}`}
        >
          Diff
        </a>
      )}
    </td>
  </tr>
)

/** The table body alone: what the client swaps in (filters, more) or merges (live). */
export const ChangeRows = (props: { rows: ReadonlyArray<ChangeRow>; more: boolean; now: number }) => (
  <tbody id="feed-rows" data-more={props.more ? "true" : "false"} data-count={props.rows.length}>
    {props.rows.map((row) => <Row key={row.id} row={row} now={props.now} />)}
  </tbody>
)

const RISK_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ...RISKS.map((r) => [r, r] as const),
  ["HIGH,CRITICAL", "HIGH or CRITICAL"],
  ["MEDIUM,HIGH,CRITICAL", "MEDIUM and up"],
]

export interface ChangesPageProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly filter: ChangeQuery
  readonly devices: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ChangeRow>
  readonly more: boolean
  /** Why the rows could not be read (the page still shows its filters). */
  readonly error?: { readonly title: string; readonly detail: string } | undefined
  readonly now: number
}

export const ChangesPage = (props: ChangesPageProps) => {
  const f = props.filter
  const devices = f.device === "" || props.devices.includes(f.device) ? props.devices : [f.device, ...props.devices]
  return (
    <Layout title="Changes" session={props.session} styles={props.styles} scripts={props.scripts}>
      <div class="title-row">
        <h1>Config changes</h1>
        <p class="summary">Every recorded change of a tracked config file, newest first.</p>
        <p class="live" id="live" data-live="connecting" aria-live="polite">connecting…</p>
      </div>
      <form
        class="filters"
        id="feed-filters"
        method="get"
        action="/changes"
        data-feed="changes"
        data-rows="/feeds/changes/rows"
      >
        <FilterSelect name="risk" label="Risk" value={f.risk} options={RISK_OPTIONS} />
        <FilterSelect
          name="change_type"
          label="Change"
          value={f.changeType}
          options={CHANGE_TYPES.map((t) => [t, t])}
        />
        <FilterSelect
          name="config_type"
          label="Type"
          value={f.configType}
          options={CONFIG_TYPES.map((t) => [t, t.replace(/_/g, " ")])}
        />
        <FilterSelect name="device" label="Device" value={f.device} options={devices.map((d) => [d, d])} />
        <input type="hidden" name="limit" value={String(f.limit)} />
        <button type="submit" class="apply">Apply</button>
        <a href="/changes" class="reset">Clear filters</a>
        {props.session.scope === "write" && f.device !== ""
          ? (
            <button type="button" id="scan-now" data-write="scan" data-device={f.device}>
              Scan {f.device} now
            </button>
          )
          : null}
        <span id="feed-status" class="hint" role="status"></span>
      </form>
      {props.error === undefined ? null : <Notice kind="error" title={props.error.title} detail={props.error.detail} />}
      <div id="feed-empty" hidden={props.rows.length > 0 || props.error !== undefined}>
        <Notice
          kind="empty"
          title="No config changes match"
          detail="Changes appear here as soon as a watched file on a device is created, modified, moved or deleted."
        />
      </div>
      <div class="table-wrap">
        <table class="feed changes" id="feed" data-live-inserts="0">
          <caption class="sr-only">Config change events</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Device</th>
              <th scope="col">File</th>
              <th scope="col">Change</th>
              <th scope="col">Risk</th>
              <th scope="col">Summary</th>
              <th scope="col">Diff</th>
            </tr>
          </thead>
          <ChangeRows rows={props.rows} more={props.more} now={props.now} />
        </table>
      </div>
      <p class="more-row">
        <button type="button" id="feed-more" hidden={!props.more}>Load more</button>
      </p>
    </Layout>
  )
}

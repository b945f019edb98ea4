/** /audit: the audit log (one row per pipeline call and per audited change), newest first, filterable. */
import { ago, isoOf, num } from "../kit/format.ts"
import { FilterSelect } from "../kit/filter-select.tsx"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import { type AuditQuery, METHODS, OUTCOMES, RANGES } from "./filters.ts"

export interface AuditRow {
  readonly id: string
  readonly time: string | null
  readonly device: string
  readonly operation: string
  readonly method: string
  readonly source: string
  readonly status: string
  readonly error: string | null
  readonly cacheHit: boolean
  readonly forceRefresh: boolean
  readonly durationMs: number | null
  readonly commands: number | null
  readonly bytes: number | null
  readonly records: number | null
  readonly token: string | null
}

export const auditRow = (r: Record<string, unknown>): AuditRow => ({
  id: String(r["id"] ?? r["operation_id"] ?? ""),
  time: isoOf(r["time"]),
  device: String(r["device_name"] ?? ""),
  operation: String(r["data_type"] ?? ""),
  method: String(r["method"] ?? ""),
  source: String(r["source"] ?? ""),
  status: String(r["status"] ?? ""),
  error: typeof r["error_message"] === "string" && r["error_message"] !== "" ? r["error_message"] : null,
  cacheHit: r["cache_hit"] === true,
  forceRefresh: r["force_refresh"] === true,
  durationMs: num(r["duration_ms"]),
  commands: num(r["ssh_command_count"]),
  bytes: num(r["data_size_bytes"]),
  records: num(r["records_created"]),
  token: typeof r["token_id"] === "string" && r["token_id"] !== "" ? r["token_id"] : null,
})

const OUTCOME_CLASS: Record<string, string> = { success: "pill-ok", partial: "pill-warn", error: "pill-bad" }

/** What the entry cost the host: a cache hit, a forced or plain host read, or nothing read at all. */
const readText = (row: AuditRow): string =>
  row.cacheHit ? "cache hit" : row.commands === 0 ? "–" : row.forceRefresh ? "forced read" : "host read"

/** Token ids → names, known only to a session that may list tokens (write scope). */
export type TokenNames = ReadonlyMap<string, string>

const TokenCell = ({ token, names }: { token: string | null; names: TokenNames }) =>
  token === null
    ? <span class="muted">–</span>
    : (
      <a href={`/audit?token=${encodeURIComponent(token)}`} title={`entries of token ${token}`}>
        {names.has(token) ? <span class="token-name">{names.get(token)}</span> : null}
        <code>{token}</code>
      </a>
    )

const Row = ({ row, now, names }: { row: AuditRow; now: number; names: TokenNames }) => (
  <tr
    data-id={row.id}
    data-device={row.device}
    data-operation={row.operation}
    data-method={row.method}
    data-outcome={row.status}
    data-token={row.token ?? ""}
  >
    <td data-label="When">
      <time datetime={row.time ?? ""} title={row.time ?? ""}>{ago(row.time, now)}</time>
    </td>
    <td data-label="Device">
      <a href={`/audit?device=${encodeURIComponent(row.device)}`}>{row.device}</a>
    </td>
    <td data-label="Operation">{row.operation}</td>
    <td data-label="Via">
      {row.method}
      <span class="muted small">{row.source}</span>
    </td>
    <td data-label="Outcome">
      <span class={`pill ${OUTCOME_CLASS[row.status] ?? ""}`}>{row.status}</span>
      {row.error === null ? null : <span class="audit-error">{row.error}</span>}
    </td>
    <td data-label="Read">{readText(row)}</td>
    <td data-label="Time" class="num">{row.durationMs === null ? "–" : `${Math.round(row.durationMs)} ms`}</td>
    <td data-label="Commands" class="num">{row.commands ?? "–"}</td>
    <td data-label="Token">
      <TokenCell token={row.token} names={names} />
    </td>
  </tr>
)

export const AuditRows = (
  props: { rows: ReadonlyArray<AuditRow>; more: boolean; now: number; names: TokenNames },
) => (
  <tbody id="feed-rows" data-more={props.more ? "true" : "false"} data-count={props.rows.length}>
    {props.rows.map((row) => <Row key={row.id} row={row} now={props.now} names={props.names} />)}
  </tbody>
)

export interface AuditPageProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly filter: AuditQuery
  readonly devices: ReadonlyArray<string>
  readonly rows: ReadonlyArray<AuditRow>
  readonly more: boolean
  readonly names: TokenNames
  readonly error?: { readonly title: string; readonly detail: string } | undefined
  readonly now: number
}

export const AuditPage = (props: AuditPageProps) => {
  const f = props.filter
  const devices = f.device === "" || props.devices.includes(f.device) ? props.devices : [f.device, ...props.devices]
  return (
    <Layout title="Audit" session={props.session} styles={props.styles} scripts={props.scripts}>
      <div class="title-row">
        <h1>Audit log</h1>
        <p class="summary">Who read or changed what, when, and whether it worked; newest first.</p>
      </div>
      <form
        class="filters"
        id="feed-filters"
        method="get"
        action="/audit"
        data-feed="audit"
        data-rows="/feeds/audit/rows"
      >
        <FilterSelect name="device" label="Device" value={f.device} options={devices.map((d) => [d, d])} />
        <label>
          Operation
          <input
            type="search"
            name="operation"
            id="filter-operation"
            value={f.operation}
            placeholder="e.g. system_metrics"
            maxlength={200}
            size={16}
          />
        </label>
        <FilterSelect name="method" label="Via" value={f.method} options={METHODS.map((m) => [m, m])} />
        <FilterSelect name="outcome" label="Outcome" value={f.outcome} options={OUTCOMES.map((o) => [o, o])} />
        <label>
          Token
          <input
            type="search"
            name="token"
            id="filter-token"
            value={f.token}
            placeholder="token id"
            maxlength={200}
            size={10}
          />
        </label>
        <FilterSelect name="range" label="When" value={f.range} options={RANGES.map(([key, label]) => [key, label])} />
        <input type="hidden" name="limit" value={String(f.limit)} />
        <button type="submit" class="apply">Apply</button>
        <a href="/audit" class="reset">Clear filters</a>
        <span id="feed-status" class="hint" role="status"></span>
      </form>
      {props.error === undefined ? null : <Notice kind="error" title={props.error.title} detail={props.error.detail} />}
      <div id="feed-empty" hidden={props.rows.length > 0 || props.error !== undefined}>
        <Notice kind="empty" title="No audit entries match" detail="Widen the time range or clear a filter." />
      </div>
      <div class="table-wrap">
        <table class="feed audit" id="feed">
          <caption class="sr-only">Audit log entries</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Device</th>
              <th scope="col">Operation</th>
              <th scope="col">Via</th>
              <th scope="col">Outcome</th>
              <th scope="col">Read</th>
              <th scope="col">Time</th>
              <th scope="col">Commands</th>
              <th scope="col">Token</th>
            </tr>
          </thead>
          <AuditRows rows={props.rows} more={props.more} now={props.now} names={props.names} />
        </table>
      </div>
      <p class="more-row">
        <button type="button" id="feed-more" hidden={!props.more}>Load more</button>
      </p>
    </Layout>
  )
}

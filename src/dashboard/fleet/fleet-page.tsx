/** The fleet: every device on one screen, sortable and filterable in the browser, refreshed live. */
import { ago, duration, load, percent, statusText } from "../kit/format.ts"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import { type LatestMetrics, StatusBadge } from "../kit/device-summary.tsx"
import { type CpuSpark, Sparkline } from "./sparkline.tsx"

export type { LatestMetrics }

export interface FleetRow {
  readonly name: string
  readonly status: string
  readonly enabled: boolean
  readonly tags: ReadonlyArray<string>
  readonly lastSeen: string | null
  readonly metrics: LatestMetrics | undefined
  /** CPU over the last hour, downsampled in the database. */
  readonly spark: CpuSpark | undefined
  /** Firing alerts of the device (silenced ones apart). */
  readonly alerts: FiringAlerts
}

export interface FiringAlerts {
  readonly critical: number
  readonly warning: number
  readonly info: number
  readonly silenced: number
}

/** Sort weight: any critical above any number of warnings. */
const alertWeight = (a: FiringAlerts) => a.critical * 10_000 + a.warning * 100 + a.info

const Alerts = ({ device, alerts }: { device: string; alerts: FiringAlerts }) => {
  const parts = (["critical", "warning", "info"] as const).filter((k) => alerts[k] > 0)
  if (parts.length === 0 && alerts.silenced === 0) return <span class="muted">–</span>
  return (
    <a class="alerts" href={`/alerts?device=${encodeURIComponent(device)}`}>
      {parts.map((k) => <span key={k} class={`pill pill-alert-${k}`}>{`${alerts[k]} ${k}`}</span>)}
      {alerts.silenced > 0 ? <span class="muted small">{`${alerts.silenced} silenced`}</span> : null}
    </a>
  )
}

const Bar = ({ label, value }: { label: string; value: number | null }) =>
  value === null ? <span class="muted">–</span> : (
    <span class="bar">
      <meter min={0} max={100} low={70} high={90} optimum={0} value={value} aria-label={label}>
        {percent(value)}
      </meter>
      <span class="bar-text">{percent(value)}</span>
    </span>
  )

/** One device's row; data-* carry the raw values the client sorts and filters by. */
const Row = ({ row, now }: { row: FleetRow; now: number }) => {
  const m = row.metrics
  return (
    <tr
      data-device={row.name}
      data-name={row.name.toLowerCase()}
      data-status={row.status}
      data-alerts={alertWeight(row.alerts)}
      data-cpu={m?.cpu ?? ""}
      data-mem={m?.mem ?? ""}
      data-disk={m?.disk ?? ""}
      data-load={m?.load1 ?? ""}
      data-uptime={m?.uptime ?? ""}
      data-seen={row.lastSeen === null ? "" : Date.parse(row.lastSeen)}
      data-tags={row.tags.join(" ")}
    >
      <th scope="row" data-label="Device">
        <a href={`/devices/${encodeURIComponent(row.name)}`}>{row.name}</a>
        {row.enabled ? null : <span class="muted">(disabled)</span>}
      </th>
      <td data-label="Status">
        <StatusBadge status={row.status} />
      </td>
      <td data-label="Alerts">
        <Alerts device={row.name} alerts={row.alerts} />
      </td>
      <td data-label="CPU">
        <Bar label={`CPU of ${row.name}`} value={m?.cpu ?? null} />
        <Sparkline device={row.name} spark={row.spark} />
      </td>
      <td data-label="Memory">
        <Bar label={`memory of ${row.name}`} value={m?.mem ?? null} />
      </td>
      <td data-label="Worst disk">
        <Bar label={`fullest disk of ${row.name}`} value={m?.disk ?? null} />
      </td>
      <td data-label="Load" class="num">
        {m === undefined ? "–" : `${load(m.load1)} ${load(m.load5)} ${load(m.load15)}`}
      </td>
      <td data-label="Uptime" class="num">{duration(m?.uptime ?? null)}</td>
      <td data-label="Last seen">
        <time datetime={row.lastSeen ?? ""} title={row.lastSeen ?? "never"}>{ago(row.lastSeen, now)}</time>
      </td>
      <td data-label="Tags">
        {row.tags.length === 0
          ? <span class="muted">–</span>
          : row.tags.map((t) => <span key={t} class="tag">{t}</span>)}
      </td>
    </tr>
  )
}

/** The table body alone: what the live refresh swaps in. */
export const FleetRows = ({ rows, now }: { rows: ReadonlyArray<FleetRow>; now: number }) => (
  <tbody id="fleet-rows">
    {rows.map((row) => <Row key={row.name} row={row} now={now} />)}
  </tbody>
)

const columns: ReadonlyArray<readonly [key: string, label: string]> = [
  ["name", "Device"],
  ["status", "Status"],
  ["alerts", "Alerts"],
  ["cpu", "CPU"],
  ["mem", "Memory"],
  ["disk", "Worst disk"],
  ["load", "Load 1/5/15"],
  ["uptime", "Uptime"],
  ["seen", "Last seen"],
  ["tags", "Tags"],
]

export interface FleetProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly rows: ReadonlyArray<FleetRow>
  readonly now: number
}

export const FleetPage = (props: FleetProps) => {
  const tags = [...new Set(props.rows.flatMap((r) => r.tags))].sort()
  const counts = new Map<string, number>()
  for (const r of props.rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
  return (
    <Layout title="Fleet" session={props.session} styles={props.styles} scripts={props.scripts}>
      <div class="title-row">
        <h1>Fleet</h1>
        <p class="summary" id="fleet-summary">
          {props.rows.length} devices
          {[...counts].map(([status, n]) => <span key={status}>· {n} {statusText(status).toLowerCase()}</span>)}
        </p>
        <p class="live" id="live" data-live="connecting" aria-live="polite">connecting…</p>
      </div>
      {props.rows.length === 0
        ? (
          <Notice
            kind="empty"
            title="No devices yet"
            detail="Add one with `infrastructor device add NAME --host HOST` or POST /api/devices."
          />
        )
        : null}
      <div class="filters" role="search">
        <label>
          Search <input type="search" id="fleet-search" placeholder="name or tag" autocomplete="off" />
        </label>
        <label>
          Tag{" "}
          <select id="fleet-tag">
            <option value="">all</option>
            {tags.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>
          Sort{" "}
          <select id="fleet-sort">
            {columns.filter(([key]) => key !== "tags").flatMap(([key, label]) => [
              <option key={`${key}:asc`} value={`${key}:asc`}>{label} ↑</option>,
              <option key={`${key}:desc`} value={`${key}:desc`}>{label} ↓</option>,
            ])}
          </select>
        </label>
        <span id="fleet-shown" class="muted" aria-live="polite"></span>
      </div>
      <div class="table-wrap">
        <table class="fleet" id="fleet">
          <caption class="sr-only">Devices; the column buttons sort</caption>
          <thead>
            <tr>
              {columns.map(([key, label]) => (
                <th key={key} scope="col" aria-sort="none" data-key={key}>
                  {key === "tags" ? label : <button type="button" data-sort={key}>{label}</button>}
                </th>
              ))}
            </tr>
          </thead>
          <FleetRows rows={props.rows} now={props.now} />
        </table>
      </div>
    </Layout>
  )
}

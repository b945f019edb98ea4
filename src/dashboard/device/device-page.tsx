/** One device: history charts (drawn in the browser from the series endpoint) and its containers. */
import { ago, duration, load, percent } from "../kit/format.ts"
import { type LatestMetrics, StatusBadge } from "../kit/device-summary.tsx"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"

export interface ContainerView {
  readonly name: string
  readonly image: string | null
  readonly state: string
  readonly status: string | null
  readonly health: string | null
  readonly ports: ReadonlyArray<string>
  readonly restarts: number | null
}

export type ContainersView =
  | { readonly kind: "ok"; readonly containers: ReadonlyArray<ContainerView>; readonly collectedAt: string }
  | { readonly kind: "unavailable"; readonly message: string }
  | { readonly kind: "error"; readonly code: string; readonly message: string }

export interface DeviceProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly device: {
    readonly name: string
    readonly host: string
    readonly status: string
    readonly tags: ReadonlyArray<string>
    readonly lastSeen: string | null
  }
  readonly latest: LatestMetrics | undefined
  readonly range: string
  readonly containers: ContainersView
  readonly now: number
}

export const RANGES: ReadonlyArray<readonly [key: string, label: string, seconds: number]> = [
  ["1h", "1 hour", 3600],
  ["24h", "24 hours", 86400],
  ["7d", "7 days", 7 * 86400],
  ["30d", "30 days", 30 * 86400],
]

/** The history charts, drawn by device.js (which knows each one's series); they share one crosshair. */
export const CHARTS: ReadonlyArray<readonly [id: string, title: string]> = [
  ["cpu", "CPU % (busy, user, system, iowait, steal)"],
  ["mem", "Memory and swap used %"],
  ["load", "Load average"],
  ["net", "Network receive / transmit (all interfaces)"],
  ["disk", "Disk used % by mount"],
  ["netrx", "Network receive by interface"],
  ["nettx", "Network transmit by interface"],
  ["ctcpu", "Container CPU %"],
  ["ctmem", "Container memory"],
]

/** The device's tables, each loaded as its own fragment so one slow host read does not hold the page. */
export const PANELS: ReadonlyArray<readonly [panel: string, title: string]> = [
  ["drives", "Drives (SMART)"],
  ["zfs", "ZFS"],
  ["systemd", "systemd"],
  ["vms", "Virtual machines"],
  ["logs", "Logs"],
]

const Stat = ({ label, value }: { label: string; value: string }) => (
  <div class="stat">
    <dt>{label}</dt>
    <dd>{value}</dd>
  </div>
)

const stateClass = (state: string) =>
  state === "running" ? "ok" : state === "exited" || state === "dead" ? "bad" : "warn"

const ContainersTable = (
  { view, device, canWrite }: { view: ContainersView; device: string; canWrite: boolean },
) => {
  if (view.kind === "unavailable") return <Notice kind="empty" title="No containers here" detail={view.message} />
  if (view.kind === "error") {
    return <Notice kind="error" title={`Could not read containers (${view.code})`} detail={view.message} />
  }
  if (view.containers.length === 0) return <Notice kind="empty" title="No containers on this host" />
  return (
    <div class="table-wrap">
      <table class="containers" data-device={device}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Health</th>
            <th scope="col">Ports</th>
            <th scope="col" class="num">Restarts</th>
            {canWrite ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {view.containers.map((ct) => (
            <tr key={ct.name} data-container={ct.name}>
              <th scope="row" data-label="Name">
                {ct.name}
                {ct.image === null ? null : <div class="muted small">{ct.image}</div>}
                <div class="small">
                  <a href={`/devices/${encodeURIComponent(device)}/containers/${encodeURIComponent(ct.name)}/logs`}>
                    Logs<span class="sr-only">{` of ${ct.name}`}</span>
                  </a>
                </div>
              </th>
              <td data-label="State">
                <span class={`pill pill-${stateClass(ct.state)}`}>{ct.state}</span>
                {ct.status === null ? null : <div class="muted small">{ct.status}</div>}
              </td>
              <td data-label="Health">{ct.health ?? "–"}</td>
              <td data-label="Ports">{ct.ports.length === 0 ? "–" : ct.ports.join(", ")}</td>
              <td data-label="Restarts" class="num">{ct.restarts ?? "–"}</td>
              {canWrite
                ? (
                  <td data-label="Actions">
                    <div class="actions">
                      {(["start", "stop", "restart"] as const).map((verb) => (
                        <button key={verb} type="button" data-write="container" data-action={verb} data-name={ct.name}>
                          {verb}
                        </button>
                      ))}
                    </div>
                  </td>
                )
                : null}
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small" id="container-result" aria-live="polite"></p>
    </div>
  )
}

export const DevicePage = (props: DeviceProps) => {
  const m = props.latest
  const canWrite = props.session.scope === "write"
  return (
    <Layout title={props.device.name} session={props.session} styles={props.styles} scripts={props.scripts}>
      <div class="title-row" id="device" data-device={props.device.name} data-range={props.range}>
        <h1>{props.device.name}</h1>
        <StatusBadge status={props.device.status} />
        <span class="muted">{props.device.host}</span>
        {props.device.tags.map((t) => <span key={t} class="tag">{t}</span>)}
        <nav class="device-links" aria-label="This device">
          <a href={`/devices/${encodeURIComponent(props.device.name)}/configs`}>Config history</a>
          <a href={`/devices/${encodeURIComponent(props.device.name)}/services`}>Service map</a>
          <a href={`/settings/devices/${encodeURIComponent(props.device.name)}`}>Settings</a>
        </nav>
      </div>
      <dl class="stats">
        <Stat label="Last seen" value={ago(props.device.lastSeen, props.now)} />
        <Stat label="CPU" value={percent(m?.cpu ?? null)} />
        <Stat label="Memory" value={percent(m?.mem ?? null)} />
        <Stat label="Worst disk" value={percent(m?.disk ?? null)} />
        <Stat label="Load" value={m === undefined ? "–" : `${load(m.load1)} ${load(m.load5)} ${load(m.load15)}`} />
        <Stat label="Uptime" value={duration(m?.uptime ?? null)} />
      </dl>
      {m === undefined
        ? (
          <Notice
            kind="empty"
            title="No metrics yet"
            detail="No system_metrics sample is stored for this device: the first poll has not run or did not reach it."
          />
        )
        : null}
      <section aria-labelledby="history-title">
        <div class="title-row">
          <h2 id="history-title">History</h2>
          <div class="ranges" role="group" aria-label="Time range">
            {RANGES.map(([key, label]) => (
              <button key={key} type="button" data-range={key} aria-pressed={key === props.range ? "true" : "false"}>
                <span aria-hidden="true">{key}</span>
                <span class="sr-only">{label}</span>
              </button>
            ))}
          </div>
        </div>
        <p id="charts-state" class="muted" aria-live="polite">Loading charts…</p>
        <div class="charts">
          {CHARTS.map(([id, title]) => (
            <figure key={id} class="chart" aria-labelledby={`chart-${id}-title`}>
              <figcaption id={`chart-${id}-title`}>{title}</figcaption>
              <div id={`chart-${id}`} class="chart-body" data-points="0"></div>
              <p id={`chart-${id}-state`} class="chart-state muted" role="status" hidden>
                No data yet
              </p>
            </figure>
          ))}
        </div>
      </section>
      <section aria-labelledby="containers-title">
        <h2 id="containers-title">Containers</h2>
        <ContainersTable view={props.containers} device={props.device.name} canWrite={canWrite} />
      </section>
      {PANELS.map(([panel, title]) => (
        <section key={panel} class="panel" aria-labelledby={`panel-${panel}-title`}>
          <h2 id={`panel-${panel}-title`}>{title}</h2>
          {/* Filled by panels.js from /devices/:device/panels/<panel> (src/dashboard/panels). */}
          <div data-panel={panel} data-device={props.device.name} aria-busy="true">
            <p class="muted">Loading…</p>
          </div>
        </section>
      ))}
    </Layout>
  )
}

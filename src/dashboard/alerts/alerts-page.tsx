/**
 * /alerts: firing, then pending, then recent resolved history; active silences; for a write session
 * Acknowledge, Silence and Unsilence (calls to the REST API from alerts.js). The part that changes
 * (#alerts-live) is also served alone, so new AlertFiring/AlertResolved events refresh it in place.
 */
import type { Effect } from "effect"
import type { AlertsShape } from "../../app/alerts.ts"
import { ago } from "../kit/format.ts"
import { FilterSelect } from "../kit/filter-select.tsx"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import { type AlertQuery, HISTORY_SIZE, SEVERITIES, STATES } from "./filters.ts"

export type AlertItem = Effect.Success<ReturnType<AlertsShape["list"]>>["alerts"][number]
export type SilenceItem = Effect.Success<ReturnType<AlertsShape["silences"]>>["silences"][number]

/** The words for a severity; colour is only a second cue. */
export const SEVERITY_TEXT: Record<string, string> = { critical: "Critical", warning: "Warning", info: "Info" }

export const SeverityPill = ({ severity }: { severity: string }) => (
  <span class={`sev sev-${severity}`} data-severity={severity}>{SEVERITY_TEXT[severity] ?? severity}</span>
)

const STATE_TEXT: Record<string, string> = { firing: "Firing", pending: "Pending", resolved: "Resolved" }

const number = (n: number | null): string =>
  n === null ? "–" : Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 10 ? 2 : 1)

/** When the alert's current state began: fired, pending since, or resolved. */
const sinceOf = (a: AlertItem): string | null =>
  a.state === "firing" ? (a.fired_at ?? a.started_at) : a.state === "resolved" ? a.resolved_at : a.started_at

const Markers = ({ a }: { a: AlertItem }) => (
  <span class="markers">
    {a.silenced ? <span class="marker marker-silenced" data-marker="silenced">silenced</span> : null}
    {a.acknowledged_at === null ? null : (
      <span
        class="marker marker-ack"
        data-marker="acknowledged"
        title={a.acknowledged_at}
      >
        {`acknowledged${a.acknowledged_by === null ? "" : ` by ${a.acknowledged_by}`}`}
      </span>
    )}
  </span>
)

const Row = ({ a, now, write }: { a: AlertItem; now: number; write: boolean }) => {
  const since = sinceOf(a)
  return (
    <tr
      data-id={a.id}
      data-state={a.state}
      data-rule={a.rule_id}
      data-device={a.device}
      data-subject={a.subject}
      data-silenced={a.silenced ? "true" : "false"}
      data-acknowledged={a.acknowledged_at === null ? "false" : "true"}
    >
      <td data-label="Severity">
        <SeverityPill severity={a.severity} />
      </td>
      <td data-label="State">{STATE_TEXT[a.state] ?? a.state}</td>
      <td data-label="Alert" class="rule">
        {a.rule_name}
        <span class="muted small">{a.rule_id}</span>
      </td>
      <td data-label="Device">
        <a href={`/devices/${encodeURIComponent(a.device)}`}>{a.device}</a>
      </td>
      <td data-label="Subject" class="subject">{a.subject === "" ? <span class="muted">device</span> : a.subject}</td>
      <td data-label="Value" class="num">
        {a.value === null && a.threshold === null
          ? <span class="muted">–</span>
          : a.threshold === null
          ? number(a.value)
          : `${number(a.value)} (threshold ${number(a.threshold)})`}
      </td>
      <td data-label="Since">
        <time datetime={since ?? ""} title={since ?? ""}>{ago(since, now)}</time>
      </td>
      <td data-label="Summary" class="alert-summary">
        {a.summary}
        <Markers a={a} />
      </td>
      {write
        ? (
          <td data-label="Actions" class="alert-actions">
            {a.state !== "resolved" && a.acknowledged_at === null
              ? (
                <button type="button" data-write="acknowledge" data-id={a.id}>
                  Acknowledge<span class="sr-only">{` ${a.rule_name} on ${a.device}`}</span>
                </button>
              )
              : null}
            {a.state !== "resolved"
              ? (
                <button
                  type="button"
                  data-write="silence-like"
                  data-rule={a.rule_id}
                  data-device={a.device}
                  data-subject={a.subject}
                >
                  Silence…<span class="sr-only">{` ${a.rule_name} on ${a.device}`}</span>
                </button>
              )
              : null}
          </td>
        )
        : null}
    </tr>
  )
}

const AlertTable = (
  props: { id: string; caption: string; alerts: ReadonlyArray<AlertItem>; now: number; write: boolean },
) => (
  <div class="table-wrap">
    <table class="alerts-table" id={props.id}>
      <caption class="sr-only">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">State</th>
          <th scope="col">Alert</th>
          <th scope="col">Device</th>
          <th scope="col">Subject</th>
          <th scope="col">Value</th>
          <th scope="col">Since</th>
          <th scope="col">Summary</th>
          {props.write ? <th scope="col">Actions</th> : null}
        </tr>
      </thead>
      <tbody>
        {props.alerts.map((a) => <Row key={a.id} a={a} now={props.now} write={props.write} />)}
      </tbody>
    </table>
  </div>
)

const matchers = (s: SilenceItem): string =>
  [
    s.rule_id === null ? "" : `rule ${String(s.rule_id)}`,
    s.device === null ? "" : `device ${String(s.device)}`,
    s.tag === null ? "" : `tag ${String(s.tag)}`,
    s.subject === null ? "" : `subject ${String(s.subject)}`,
  ].filter((m) => m !== "").join(", ")

const Silences = (props: { silences: ReadonlyArray<SilenceItem>; now: number; write: boolean }) => (
  <section aria-labelledby="silences-title">
    <h2 id="silences-title">Silences in force</h2>
    {props.silences.length === 0
      ? <p class="muted" id="silences-empty">No silences in force.</p>
      : (
        <div class="table-wrap">
          <table class="alerts-table" id="silences">
            <caption class="sr-only">Silences in force</caption>
            <thead>
              <tr>
                <th scope="col">Matches</th>
                <th scope="col">Until</th>
                <th scope="col">Reason</th>
                <th scope="col">By</th>
                {props.write ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {props.silences.map((s) => (
                <tr key={s.id} data-id={s.id}>
                  <td data-label="Matches" class="subject">{matchers(s)}</td>
                  <td data-label="Until">
                    <time datetime={s.until ?? ""}>{s.until ?? "–"}</time>
                  </td>
                  <td data-label="Reason" class="subject">
                    {s.reason === "" ? <span class="muted">–</span> : s.reason}
                  </td>
                  <td data-label="By">{String(s.created_by ?? "–")}</td>
                  {props.write
                    ? (
                      <td data-label="Actions">
                        <button type="button" data-write="unsilence" data-id={s.id}>
                          Unsilence<span class="sr-only">{` ${matchers(s)}`}</span>
                        </button>
                      </td>
                    )
                    : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
  </section>
)

export interface AlertsView {
  readonly active: ReadonlyArray<AlertItem>
  readonly resolved: ReadonlyArray<AlertItem>
  readonly silences: ReadonlyArray<SilenceItem>
  /** The view is filtered (the empty state says so). */
  readonly filtered: boolean
  /** The state filter hides active or resolved alerts entirely. */
  readonly showActive: boolean
  readonly showResolved: boolean
}

/** What the live refresh swaps: the alerts and the silences. */
export const AlertsLive = (props: { view: AlertsView; now: number; write: boolean }) => {
  const v = props.view
  const firing = v.active.filter((a) => a.state === "firing").length
  return (
    <div id="alerts-live" data-firing={firing} data-active={v.active.length}>
      {v.showActive
        ? (
          <section aria-labelledby="active-title">
            <h2 id="active-title">
              {`Active: ${firing} firing, ${v.active.length - firing} pending`}
            </h2>
            {v.active.length === 0
              ? (
                <Notice
                  kind="empty"
                  title={v.filtered ? "No alerts firing that match these filters" : "No alerts firing"}
                  detail="Alerts appear here as soon as a rule's condition holds on a device's newest data."
                />
              )
              : (
                <AlertTable
                  id="active"
                  caption="Active alerts"
                  alerts={v.active}
                  now={props.now}
                  write={props.write}
                />
              )}
          </section>
        )
        : null}
      {v.showResolved
        ? (
          <section aria-labelledby="resolved-title">
            <h2 id="resolved-title">{`Recently resolved (latest ${HISTORY_SIZE})`}</h2>
            {v.resolved.length === 0 ? <p class="muted">No resolved alerts yet.</p> : (
              <AlertTable
                id="resolved"
                caption="Resolved alerts"
                alerts={v.resolved}
                now={props.now}
                write={false}
              />
            )}
          </section>
        )
        : null}
      <Silences silences={v.silences} now={props.now} write={props.write} />
    </div>
  )
}

/** The silence form: at least one matcher, and an end (a duration from now or a date and time). */
const SilenceForm = (props: { rules: ReadonlyArray<string>; devices: ReadonlyArray<string> }) => (
  <details class="silence-box" id="silence-box">
    <summary>Silence alerts</summary>
    <form id="silence-form" class="silence-form" data-write="silence">
      <p class="hint">
        An alert is silenced when it matches every field you fill in. Silenced alerts are still recorded; their events
        are marked silenced and notifications skip them.
      </p>
      <div class="fields">
        <label>
          Rule
          <input name="rule_id" id="silence-rule" list="silence-rules" autocomplete="off" />
        </label>
        <label>
          Device
          <input name="device" id="silence-device" list="silence-devices" autocomplete="off" />
        </label>
        <label>
          Tag
          <input name="tag" id="silence-tag" autocomplete="off" />
        </label>
        <label>
          Subject
          <input name="subject" id="silence-subject" autocomplete="off" placeholder="mount, container, drive…" />
        </label>
        <label>
          Until
          <input name="until" id="silence-until" required value="2h" aria-describedby="until-hint" />
        </label>
        <label class="wide">
          Reason
          <input name="reason" id="silence-reason" maxlength={1000} autocomplete="off" />
        </label>
      </div>
      <p class="hint" id="until-hint">
        Until: a duration from now (30m, 2h, 1d) or a date and time (2026-12-24 08:00).
      </p>
      <datalist id="silence-rules">{props.rules.map((r) => <option key={r} value={r} />)}</datalist>
      <datalist id="silence-devices">{props.devices.map((d) => <option key={d} value={d} />)}</datalist>
      <button type="submit">Silence</button>
    </form>
  </details>
)

export interface AlertsPageProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly filter: AlertQuery
  readonly devices: ReadonlyArray<string>
  readonly rules: ReadonlyArray<string>
  readonly view: AlertsView | undefined
  readonly error?: { readonly title: string; readonly detail: string } | undefined
  readonly now: number
}

export const AlertsPage = (props: AlertsPageProps) => {
  const f = props.filter
  const write = props.session.scope === "write"
  const devices = f.device === "" || props.devices.includes(f.device) ? props.devices : [f.device, ...props.devices]
  const rules = f.rule === "" || props.rules.includes(f.rule) ? props.rules : [f.rule, ...props.rules]
  return (
    <Layout title="Alerts" session={props.session} styles={props.styles} scripts={props.scripts}>
      <div class="title-row">
        <h1>Alerts</h1>
        <p class="summary">
          Firing first, then pending, then recent history. <a href="/alerts/rules">Rules</a>
        </p>
        <p class="live" id="live" data-live="connecting" aria-live="polite">connecting…</p>
      </div>
      <form class="filters" id="alert-filters" method="get" action="/alerts" data-rows="/feeds/alerts/rows">
        <FilterSelect name="state" label="State" value={f.state} options={STATES.map((s) => [s, STATE_TEXT[s] ?? s])} />
        <FilterSelect
          name="severity"
          label="Severity"
          value={f.severity}
          options={SEVERITIES.map((s) => [s, SEVERITY_TEXT[s] ?? s])}
        />
        <FilterSelect name="device" label="Device" value={f.device} options={devices.map((d) => [d, d])} />
        <FilterSelect name="rule" label="Rule" value={f.rule} options={rules.map((r) => [r, r])} />
        <button type="submit" class="apply">Apply</button>
        <a href="/alerts" class="reset">Clear filters</a>
      </form>
      <p id="alert-status" class="hint" role="status"></p>
      {write ? <SilenceForm rules={props.rules} devices={props.devices} /> : null}
      {props.error === undefined ? null : <Notice kind="error" title={props.error.title} detail={props.error.detail} />}
      {props.view === undefined ? null : <AlertsLive view={props.view} now={props.now} write={write} />}
    </Layout>
  )
}

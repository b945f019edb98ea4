/** /alerts/rules: every rule (built-in, config file, API) with its state, severity and condition, read-only. */
import type { Effect } from "effect"
import type { AlertsShape } from "../../app/alerts.ts"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import { SeverityPill } from "./alerts-page.tsx"

export type RuleItem = Effect.Success<ReturnType<AlertsShape["rules"]>>["rules"][number]

const ORIGIN_TEXT: Record<string, string> = { builtin: "built-in", config: "config file", api: "API" }

/** The side of the resolve threshold a firing alert must reach. */
const RESOLVES: Record<string, string> = { ">": "≤", ">=": "<", "<": "≥", "<=": ">" }

/** "system_metrics, each mount: used_percent > 85 (resolves ≤ 80)" or "container_exited". */
export const conditionText = (c: RuleItem["condition"]): string => {
  if (c.kind === "threshold") {
    const each = c.records === "mounts" ? ", each mount" : ""
    const back = RESOLVES[c.comparator] ?? "past"
    const resolve = c.resolve_threshold === undefined ? "" : ` (resolves ${back} ${c.resolve_threshold})`
    return `${c.data_type}${each}: ${c.metric} ${c.comparator} ${c.threshold}${resolve}`
  }
  const extra = [
    c.count === undefined ? "" : `count ${c.count}`,
    c.min_risk === undefined ? "" : `risk ${c.min_risk} or more`,
    c.names === undefined ? "" : `names ${c.names.join(", ")}`,
  ].filter((e) => e !== "")
  return extra.length === 0 ? c.predicate : `${c.predicate} (${extra.join("; ")})`
}

export const scopeText = (s: RuleItem["scope"]): string =>
  "all" in s ? "all devices" : "tag" in s ? `tag ${s.tag}` : `devices ${s.devices.join(", ")}`

const durationText = (d: RuleItem["for"]): string => (d === undefined || d === 0 || d === "0" ? "at once" : String(d))

export interface RulesPageProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly rules: ReadonlyArray<RuleItem>
}

export const RulesPage = (props: RulesPageProps) => {
  const on = props.rules.filter((r) => r.enabled !== false).length
  return (
    <Layout title="Alert rules" session={props.session} styles={props.styles} scripts={[]}>
      <div class="title-row">
        <h1>Alert rules</h1>
        <p class="summary">
          {`${props.rules.length} rules, ${on} enabled.`} <a href="/alerts">Back to alerts</a>
        </p>
      </div>
      <p class="hint">
        Built-in rules are tuned in the config file (alerts.builtins) or with PATCH /api/alert-rules/&lt;id&gt;; rules
        from the config file change there; API rules through the API or MCP.
      </p>
      {props.rules.length === 0 ? <Notice kind="empty" title="No alert rules" /> : (
        <div class="table-wrap">
          <table class="alerts-table" id="rules">
            <caption class="sr-only">Alert rules</caption>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Enabled</th>
                <th scope="col">Severity</th>
                <th scope="col">Condition</th>
                <th scope="col">For</th>
                <th scope="col">Scope</th>
                <th scope="col">Origin</th>
              </tr>
            </thead>
            <tbody>
              {props.rules.map((r) => (
                <tr key={r.id} data-id={r.id} data-enabled={r.enabled === false ? "false" : "true"}>
                  <td data-label="Rule" class="rule">
                    <a href={`/alerts?rule=${encodeURIComponent(r.id)}`}>{r.name}</a>
                    <span class="muted small">{r.id}</span>
                  </td>
                  <td data-label="Enabled">
                    {r.enabled === false ? <span class="muted">off</span> : <span class="on">on</span>}
                  </td>
                  <td data-label="Severity">
                    <SeverityPill severity={r.severity} />
                  </td>
                  <td data-label="Condition" class="subject">{conditionText(r.condition)}</td>
                  <td data-label="For" class="nowrap">{durationText(r.for)}</td>
                  <td data-label="Scope" class="subject">{scopeText(r.scope)}</td>
                  <td data-label="Origin" class="nowrap">
                    {ORIGIN_TEXT[r.origin] ?? r.origin}
                    {r.overridden ? <span class="muted small">overridden</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  )
}

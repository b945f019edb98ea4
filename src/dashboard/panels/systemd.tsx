/** systemd services: failed units first and marked, then the rest by name; a filter box narrows the rows. */
import { Notice } from "../kit/layout.tsx"
import { count } from "./frame.tsx"
import type { ServiceUnit, SystemdServices } from "./types.ts"

const isFailed = (u: { active_state: string }) => u.active_state === "failed"

const stateClass = (u: ServiceUnit) =>
  isFailed(u) ? "bad" : u.active_state === "active" ? "ok" : u.load_state === "not-found" ? "warn" : "muted"

/** Failed first, then by name: what needs attention is at the top without sorting by hand. */
export const orderUnits = (units: ReadonlyArray<ServiceUnit>): Array<ServiceUnit> =>
  [...units].sort((a, b) => Number(isFailed(b)) - Number(isFailed(a)) || a.name.localeCompare(b.name))

export const SystemdPanel = ({ data }: { data: SystemdServices }) => {
  if (data.units.length === 0) return <Notice kind="empty" title="No systemd services listed on this host" />
  const otherFailed = data.failed.filter((f) => !data.units.some((u) => u.name === f.name))
  return (
    <div class="systemd">
      <p class="summary">
        {data.counts.total} services, {data.counts.running} running,{" "}
        <span class={data.counts.failed > 0 ? "pill pill-bad" : undefined} data-field="failed-count">
          {data.counts.failed} failed
        </span>
        {otherFailed.length === 0 ? null : `; other failed units: ${otherFailed.map((f) => f.name).join(", ")}`}
      </p>
      <div class="filters">
        <label>
          Filter
          <input type="search" data-filter="systemd-units" placeholder="unit name or state" autocomplete="off" />
        </label>
      </div>
      <div class="table-wrap scroll">
        <table class="panel-table units" id="systemd-units">
          <thead>
            <tr>
              <th scope="col">Unit</th>
              <th scope="col">State</th>
              <th scope="col">Enabled</th>
              <th scope="col" class="num">Restarts</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {orderUnits(data.units).map((u) => (
              <tr
                key={u.name}
                data-unit={u.name}
                data-failed={isFailed(u) ? "true" : "false"}
                data-text={`${u.name} ${u.active_state} ${u.sub_state} ${u.description}`.toLowerCase()}
                class={isFailed(u) ? "row-bad" : undefined}
              >
                <th scope="row" data-label="Unit">
                  {isFailed(u) ? <span class="pill pill-bad flag">failed</span> : null}
                  {u.name}
                </th>
                <td data-label="State">
                  <span class={`pill pill-${stateClass(u)}`}>{u.active_state}</span>{" "}
                  <span class="muted">{u.sub_state}</span>
                </td>
                <td data-label="Enabled">{u.enabled_state ?? "–"}</td>
                <td data-label="Restarts" class="num">{count(u.restarts)}</td>
                <td data-label="Description">{u.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small" data-filter-status="systemd-units" aria-live="polite"></p>
    </div>
  )
}

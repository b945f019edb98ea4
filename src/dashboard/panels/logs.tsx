/** The system log viewer: unit and priority filters (params of the system_logs read), newest last. */
import { Notice } from "../kit/layout.tsx"
import type { LogEntry, SystemLogs } from "./types.ts"

export const PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const

export interface LogFilters {
  readonly unit: string
  /** A priority name; "debug" (every level) by default. */
  readonly priority: string
}

/** Entries asked for per read: a screenful or two, the pipeline caps at 10000. */
export const LOG_LIMIT = "200"

const priorityClass = (p: number | null) => (p === null ? "" : p <= 3 ? "bad" : p === 4 ? "warn" : "")

const timeText = (e: LogEntry): string =>
  e.time === null ? (e.time_text ?? "–") : e.time.replace("T", " ").replace(/\.\d+/, "").replace(/Z$/, " UTC")

export const LogFilterForm = ({ filters, device }: { filters: LogFilters; device: string }) => (
  <form class="filters" data-panel-form="logs" method="get" action={`/devices/${encodeURIComponent(device)}`}>
    <label>
      Unit
      <input
        type="text"
        name="unit"
        value={filters.unit}
        placeholder="e.g. nginx.service or docker*"
        autocomplete="off"
      />
    </label>
    <label>
      Priority at least
      <select name="priority">
        {PRIORITIES.map((p, i) => (
          <option key={p} value={p} selected={p === filters.priority}>
            {i} {p}
          </option>
        ))}
      </select>
    </label>
    <button type="submit">Apply</button>
  </form>
)

export const LogsTable = ({ data, filters }: { data: SystemLogs; filters: LogFilters }) => {
  if (data.source === "none") {
    return <Notice kind="empty" title="No logs: neither journalctl nor dmesg could be read on this host" />
  }
  if (data.entries.length === 0) {
    if (filters.unit === "" && filters.priority === "debug") {
      return <Notice kind="empty" title="No log entries on this host" />
    }
    const which = [filters.unit === "" ? null : `unit ${filters.unit}`, `priority ${filters.priority} or more severe`]
      .filter((x) => x !== null).join(", ")
    return <Notice kind="empty" title="No log entries match" detail={`Filters: ${which}.`} />
  }
  return (
    <div class="table-wrap">
      <table class="panel-table log-table">
        <caption class="sr-only">
          {data.entries.length} entries from {data.source === "journal" ? "the journal" : "the kernel ring buffer"}
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Priority</th>
            <th scope="col">Unit</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {data.entries.map((e, i) => (
            <tr key={String(i)} data-priority={e.priority === null ? "" : String(e.priority)}>
              <td data-label="Time" class="nowrap">{timeText(e)}</td>
              <td data-label="Priority" class={`pill-${priorityClass(e.priority)}`}>
                {e.priority === null ? "–" : PRIORITIES[e.priority] ?? String(e.priority)}
              </td>
              <td data-label="Unit">{e.unit ?? e.identifier ?? "–"}</td>
              <td data-label="Message" class="log-message">{e.message ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Drives: SMART verdict, temperature, hours, reallocated/pending sectors; attributes on demand. */
import { bytes, count } from "./frame.tsx"
import type { Disk } from "./types.ts"

const statusClass = (s: string) => (s === "ok" ? "ok" : s === "failing" || s === "error" ? "bad" : "warn")

const SmartVerdict = ({ disk }: { disk: Disk }) =>
  disk.smart_passed === true
    ? <span class="pill pill-ok">PASSED</span>
    : disk.smart_passed === false
    ? <span class="pill pill-bad">FAILED</span>
    : <span class="muted">{disk.status.replace(/_/g, " ")}</span>

const hours = (h: number | null) =>
  h === null ? "–" : `${h.toLocaleString("en-US")} h${h >= 8760 ? ` (${(h / 8760).toFixed(1)} y)` : ""}`

const AttributeTable = ({ disk }: { disk: Disk }) => {
  if (disk.ata !== null && disk.ata.attributes.length > 0) {
    return (
      <table class="attrs">
        <caption class="sr-only">SMART attributes of {disk.device_path}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">ID</th>
            <th scope="col">Attribute</th>
            <th scope="col" class="num">Value</th>
            <th scope="col" class="num">Worst</th>
            <th scope="col" class="num">Threshold</th>
            <th scope="col">Raw</th>
            <th scope="col">Failed</th>
          </tr>
        </thead>
        <tbody>
          {disk.ata.attributes.map((a) => (
            <tr key={String(a.id)} class={a.when_failed === "now" ? "row-bad" : undefined}>
              <td class="num">{a.id}</td>
              <th scope="row">
                {a.name ?? "–"}
                {a.prefailure === true ? <span class="muted small aside">(pre-fail)</span> : null}
              </th>
              <td class="num">{count(a.value)}</td>
              <td class="num">{count(a.worst)}</td>
              <td class="num">{count(a.thresh)}</td>
              <td>{a.raw_string ?? count(a.raw_value)}</td>
              <td>{a.when_failed === null || a.when_failed === "" ? "–" : a.when_failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )
  }
  const facts: Array<readonly [string, string]> = []
  if (disk.nvme !== null) {
    facts.push(
      ["Percentage used", disk.nvme.percentage_used === null ? "–" : `${disk.nvme.percentage_used} %`],
      ["Available spare", disk.nvme.available_spare === null ? "–" : `${disk.nvme.available_spare} %`],
      ["Critical warning", count(disk.nvme.critical_warning)],
      ["Media errors", count(disk.nvme.media_errors)],
      ["Unsafe shutdowns", count(disk.nvme.unsafe_shutdowns)],
    )
  }
  if (disk.scsi !== null) {
    facts.push(["Grown defects", count(disk.scsi.grown_defects)], [
      "Uncorrected errors",
      count(disk.scsi.uncorrected_errors),
    ])
  }
  if (facts.length === 0) {
    return <p class="muted">No SMART attributes reported{disk.message === null ? "" : `: ${disk.message}`}.</p>
  }
  return (
    <dl class="facts">
      {facts.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

export const DrivesPanel = ({ disks }: { disks: ReadonlyArray<Disk> }) => (
  <div class="table-wrap">
    <table class="panel-table drives">
      <thead>
        <tr>
          <th scope="col">Disk</th>
          <th scope="col">Health</th>
          <th scope="col">SMART</th>
          <th scope="col" class="num">Temp.</th>
          <th scope="col" class="num">Power-on</th>
          <th scope="col" class="num">Reallocated</th>
          <th scope="col" class="num">Pending</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      {disks.map((disk, i) => {
        const id = `drive-attrs-${i}`
        const realloc = disk.ata?.reallocated_sectors ?? disk.scsi?.grown_defects ?? null
        const pending = disk.ata?.pending_sectors ?? null
        return (
          <tbody key={disk.device_path} data-disk={disk.device_path}>
            <tr class={disk.status === "failing" ? "row-bad" : undefined}>
              <th scope="row" data-label="Disk">
                {disk.device_path}
                <div class="muted small">
                  {[disk.model, disk.protocol, bytes(disk.capacity_bytes)].filter((x) => x !== null && x !== "–")
                    .join(" · ")}
                </div>
              </th>
              <td data-label="Health">
                <span class={`pill pill-${statusClass(disk.status)}`}>{disk.status.replace(/_/g, " ")}</span>
                {disk.reasons.length === 0 ? null : <div class="muted small">{disk.reasons.join(", ")}</div>}
              </td>
              <td data-label="SMART">
                <SmartVerdict disk={disk} />
              </td>
              <td data-label="Temp." class="num" data-field="temperature">
                {disk.temperature_c === null ? "–" : `${disk.temperature_c} °C`}
              </td>
              <td data-label="Power-on" class="num">{hours(disk.power_on_hours)}</td>
              <td data-label="Reallocated" class={`num${(realloc ?? 0) > 0 ? " pill-bad" : ""}`}>{count(realloc)}</td>
              <td data-label="Pending" class={`num${(pending ?? 0) > 0 ? " pill-bad" : ""}`}>{count(pending)}</td>
              <td data-label="Details">
                <button type="button" data-toggle={id} aria-expanded="false" aria-controls={id}>
                  Attributes<span class="sr-only">of {disk.device_path}</span>
                </button>
              </td>
            </tr>
            <tr id={id} class="detail-row" hidden>
              <td colspan={8}>
                <AttributeTable disk={disk} />
              </td>
            </tr>
          </tbody>
        )
      })}
    </table>
  </div>
)

/** A device's status badge and its newest metrics sample, as the fleet and device pages show them. */
import { statusText } from "./format.ts"

/** The newest stored system_metrics sample (a store read, never a host read). */
export interface LatestMetrics {
  readonly time: string | null
  readonly cpu: number | null
  readonly mem: number | null
  readonly disk: number | null
  readonly load1: number | null
  readonly load5: number | null
  readonly load15: number | null
  readonly uptime: number | null
}

export const StatusBadge = ({ status }: { status: string }) => (
  <span class={`status status-${status}`} data-status={status}>
    <span class="dot" aria-hidden="true"></span>
    {statusText(status)}
  </span>
)

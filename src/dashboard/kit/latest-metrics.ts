/** The newest stored system_metrics sample of a device, for the fleet row and the device header. */
import { Effect } from "effect"
import { Data } from "../../app/data.ts"
import type { LatestMetrics } from "./device-summary.tsx"
import { isoOf, num } from "./format.ts"

const latestOf = (row: Record<string, unknown> | undefined): LatestMetrics | undefined =>
  row === undefined ? undefined : {
    time: isoOf(row["time"]),
    cpu: num(row["cpu_percent"]),
    mem: num(row["mem_used_percent"]),
    disk: num(row["disk_used_percent_max"]),
    load1: num(row["load1"]),
    load5: num(row["load5"]),
    load15: num(row["load15"]),
    uptime: num(row["uptime_seconds"]),
  }

/** A store read (Data.history), never a host read; no sample yet is `undefined`, not an error. */
export const latestMetrics = (device: string) =>
  Data.use((d) => d.history(device, "system_metrics", { limit: 1 })).pipe(
    Effect.map((h) => latestOf(h.rows[0])),
    Effect.orElseSucceed(() => undefined),
  )

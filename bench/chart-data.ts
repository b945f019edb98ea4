/**
 * A week (or any span) of stored readings of one device, shaped like real polls: system_metrics
 * rows with the parsed reading in `data` (CPU per core, mounts, interfaces), network_interfaces
 * rows and container_snapshots rows. Shared by bench/charts.ts and the dashboard browser test.
 */
import { Effect } from "effect"
import { Store } from "../src/store/Store.ts"

const MOUNTS = ["/", "/boot", "/var/lib/docker", "/srv/data", "/home"]
const INTERFACES = ["eth0", "eth1", "wg0"]
const CONTAINERS = ["web", "db", "cache", "worker"]

const cpuFields = (busy: number) => ({
  busy_percent: busy,
  user_percent: busy * 0.7,
  system_percent: busy * 0.2,
  iowait_percent: busy * 0.05,
  steal_percent: 0,
  delta_jiffies: 800,
})

/** One system_metrics row at minute i of a device (i = 0 is `start`). */
export const metricRow = (deviceId: number, start: number, stepMs: number, i: number) => {
  const busy = 20 + 15 * Math.sin(i / 90)
  const mounts = MOUNTS.map((mountpoint, k) => ({
    filesystem: `/dev/sda${k + 1}`,
    type: "ext4",
    size_bytes: 100e9,
    used_bytes: (30 + 10 * k) * 1e9,
    available_bytes: (70 - 10 * k) * 1e9,
    used_percent: 30 + 10 * k + (i % 500) / 100,
    mountpoint,
    pseudo: false,
  }))
  const interfaces = INTERFACES.map((name, k) => ({
    name,
    rx_bytes: (k + 1) * 1_000_000 * i,
    tx_bytes: (k + 1) * 250_000 * i,
    rx_packets: i,
    tx_packets: i,
    rx_errors: 0,
    tx_errors: 0,
    rx_dropped: 0,
    tx_dropped: 0,
    rx_bytes_per_sec: (k + 1) * 16_000,
    tx_bytes_per_sec: (k + 1) * 4_000,
  }))
  return {
    time: new Date(start + i * stepMs),
    device_id: deviceId,
    cpu_percent: busy,
    cpu_iowait_percent: busy * 0.05,
    cpu_steal_percent: 0,
    mem_total_bytes: 16e9,
    mem_available_bytes: 9e9,
    mem_used_percent: 43.75,
    swap_total_bytes: 2e9,
    swap_used_bytes: 1e8,
    load1: busy / 25,
    load5: busy / 30,
    load15: busy / 35,
    uptime_seconds: 86_400 + i * 60,
    process_count: 240,
    disk_used_percent_max: 70,
    net_rx_bytes: 6_000_000 * i,
    net_tx_bytes: 1_500_000 * i,
    data: {
      hostname: "week",
      nproc: 8,
      sample_seconds: 0.5,
      cpu: {
        count: 8,
        total: cpuFields(busy),
        cores: Array.from({ length: 8 }, (_, cpu) => ({ cpu, ...cpuFields(busy) })),
      },
      disk: { mounts, used_percent_max: 70 },
      network: { interfaces },
    },
  }
}

/** `rows` readings `stepMs` apart ending at `end`, in every table the device charts read. */
export const seedDeviceHistory = (deviceId: number, end: number, rows: number, stepMs: number) =>
  Effect.gen(function* () {
    const store = yield* Store
    const start = end - rows * stepMs
    for (let i = 0; i < rows; i += 1000) {
      const n = Math.min(1000, rows - i)
      const at = (k: number) => new Date(start + (i + k) * stepMs)
      yield* store.insertRows(
        "system_metrics",
        Array.from({ length: n }, (_, k) => metricRow(deviceId, start, stepMs, i + k)),
      )
      yield* store.insertRows(
        "network_interfaces",
        Array.from({ length: n }, (_, k) =>
          INTERFACES.map((name, j) => ({
            time: at(k),
            device_id: deviceId,
            interface: name,
            rx_bytes: (j + 1) * 1_000_000 * (i + k),
            tx_bytes: (j + 1) * 250_000 * (i + k),
            data: {},
          }))).flat(),
      )
      yield* store.insertRows(
        "container_snapshots",
        Array.from({ length: n }, (_, k) =>
          CONTAINERS.map((name, j) => ({
            time: at(k),
            device_id: deviceId,
            container_id: `c${j}`,
            name,
            state: "running",
            cpu_percent: (j + 1) * 5 + ((i + k) % 7),
            mem_usage_bytes: (j + 1) * 2e8,
            data: {},
          }))).flat(),
      )
    }
  })

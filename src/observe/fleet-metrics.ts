/**
 * The fleet as Prometheus metrics (served at /metrics/fleet): what was last collected from each
 * device, as the store holds it. Pure: rows in, families out. Every device-level family carries a
 * `device` label; a device that was never read has only its up/status series.
 */
import type { Device } from "../domain/device.ts"
import type { FleetLatest, Row } from "../store/Store.ts"
import type { Family, Sample } from "./prometheus.ts"

const STATUSES = ["online", "degraded", "offline", "host_key_mismatch", "unknown"] as const
const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const

const num = (v: unknown): number | undefined => {
  if (v === null || v === undefined || v === "") return undefined
  const n = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number(v)
  return Number.isFinite(n) ? n : undefined
}

const seconds = (v: unknown): number | undefined => {
  const t = v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : Number.NaN
  return Number.isFinite(t) ? t / 1000 : undefined
}

const text = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v))

/** Collects samples per family name, keeping the families' order. */
const builder = () => {
  const families = new Map<string, { help: string; type: Family["type"]; samples: Array<Sample> }>()
  const family = (name: string, type: Family["type"], help: string) => {
    families.set(name, { help, type, samples: [] })
    return (labels: Record<string, string>, value: number | undefined) => {
      if (value !== undefined) families.get(name)!.samples.push({ labels, value })
    }
  }
  const done = (): Array<Family> =>
    [...families].map(([name, f]) => ({ name, help: f.help, type: f.type, samples: f.samples }))
  return { family, done }
}

const P = "infrastructor_"

export const fleetFamilies = (devices: ReadonlyArray<Device>, latest: FleetLatest): Array<Family> => {
  const nameOf = new Map(devices.map((d) => [d.id, d.name]))
  const b = builder()
  const sampled = b.family(
    `${P}sample_timestamp_seconds`,
    "gauge",
    "when the newest stored collection of a data type was taken (staleness)",
  )
  const stamped = new Set<string>()
  /** One staleness sample per device and data type, from the first row of its newest collection. */
  const stamp = (device: string, dataType: string, r: Row) => {
    const key = `${device}\u0000${dataType}`
    if (stamped.has(key)) return
    stamped.add(key)
    sampled({ device, data_type: dataType }, seconds(r["time"]))
  }
  const rowsOf = (rows: ReadonlyArray<Row>) =>
    rows.flatMap((r) => {
      const device = nameOf.get(Number(r["device_id"]))
      return device === undefined ? [] : [{ device, r }]
    })

  const up = b.family(`${P}device_up`, "gauge", "1 when the device answered its last read (online or degraded)")
  const status = b.family(`${P}device_status`, "gauge", "1 for the device's current status, 0 for the others")
  const enabled = b.family(`${P}device_enabled`, "gauge", "1 when the device is polled")
  const lastSeen = b.family(`${P}device_last_seen_timestamp_seconds`, "gauge", "when the device last answered")
  for (const d of devices) {
    const device = d.name
    up({ device }, d.status === "online" || d.status === "degraded" ? 1 : 0)
    for (const s of STATUSES) status({ device, status: s }, d.status === s ? 1 : 0)
    enabled({ device }, d.enabled ? 1 : 0)
    lastSeen({ device }, d.lastSeen === null ? undefined : d.lastSeen.getTime() / 1000)
  }

  const cpu = b.family(`${P}cpu_usage_ratio`, "gauge", "CPU busy share, 0 to 1")
  const memTotal = b.family(`${P}memory_total_bytes`, "gauge", "memory size")
  const memAvail = b.family(`${P}memory_available_bytes`, "gauge", "memory available (MemAvailable)")
  const swapTotal = b.family(`${P}swap_total_bytes`, "gauge", "swap size")
  const swapUsed = b.family(`${P}swap_used_bytes`, "gauge", "swap in use")
  const loadAvg = b.family(`${P}load_average`, "gauge", "load average over 1, 5 and 15 minutes")
  const uptime = b.family(`${P}uptime_seconds`, "gauge", "time since boot")
  const fsSize = b.family(`${P}filesystem_size_bytes`, "gauge", "filesystem size per mount")
  const fsAvail = b.family(`${P}filesystem_avail_bytes`, "gauge", "filesystem space available per mount")
  for (const { device, r } of rowsOf(latest.metrics)) {
    stamp(device, "system_metrics", r)
    const busy = num(r["cpu_percent"])
    cpu({ device }, busy === undefined ? undefined : busy / 100)
    memTotal({ device }, num(r["mem_total_bytes"]))
    memAvail({ device }, num(r["mem_available_bytes"]))
    swapTotal({ device }, num(r["swap_total_bytes"]))
    swapUsed({ device }, num(r["swap_used_bytes"]))
    loadAvg({ device, period: "1m" }, num(r["load1"]))
    loadAvg({ device, period: "5m" }, num(r["load5"]))
    loadAvg({ device, period: "15m" }, num(r["load15"]))
    uptime({ device }, num(r["uptime_seconds"]))
    const mounts = Array.isArray(r["mounts"]) ? (r["mounts"] as ReadonlyArray<Record<string, unknown>>) : []
    const seen = new Set<string>()
    for (const m of mounts) {
      const mountpoint = text(m["mountpoint"])
      // Pseudo filesystems (tmpfs, overlay…) are not disks; a mountpoint listed twice keeps its first line.
      if (m["pseudo"] === true || mountpoint === "" || seen.has(mountpoint)) continue
      seen.add(mountpoint)
      const labels = { device, mountpoint, fstype: text(m["type"]) }
      fsSize(labels, num(m["size_bytes"]))
      fsAvail(labels, num(m["available_bytes"]))
    }
  }

  const rx = b.family(`${P}network_receive_bytes_total`, "counter", "bytes received per interface")
  const tx = b.family(`${P}network_transmit_bytes_total`, "counter", "bytes sent per interface")
  const rxErr = b.family(`${P}network_receive_errors_total`, "counter", "receive errors per interface")
  const txErr = b.family(`${P}network_transmit_errors_total`, "counter", "transmit errors per interface")
  const ifUp = b.family(`${P}network_up`, "gauge", "1 when the interface's operational state is up")
  for (const { device, r } of rowsOf(latest.interfaces)) {
    stamp(device, "network_interfaces", r)
    const labels = { device, interface: text(r["interface"]) }
    rx(labels, num(r["rx_bytes"]))
    tx(labels, num(r["tx_bytes"]))
    rxErr(labels, num(r["rx_errors"]))
    txErr(labels, num(r["tx_errors"]))
    ifUp(labels, text(r["state"]).toLowerCase() === "up" ? 1 : 0)
  }

  const smartOk = b.family(`${P}drive_smart_healthy`, "gauge", "1 when the drive passes its SMART self-assessment")
  const temp = b.family(`${P}drive_temperature_celsius`, "gauge", "drive temperature")
  const powerOn = b.family(`${P}drive_power_on_seconds`, "gauge", "drive power-on time (SMART counts hours)")
  const realloc = b.family(`${P}drive_reallocated_sectors`, "gauge", "reallocated sectors (SATA)")
  const pending = b.family(`${P}drive_pending_sectors`, "gauge", "sectors pending reallocation (SATA)")
  const wear = b.family(`${P}drive_percentage_used_ratio`, "gauge", "NVMe endurance used, 0 to 1 (can exceed 1)")
  for (const { device, r } of rowsOf(latest.drives)) {
    stamp(device, "drive_health", r)
    const labels = { device, drive: text(r["device_path"]), model: text(r["model"]), serial: text(r["serial"]) }
    const passed = r["smart_passed"]
    smartOk(labels, passed === true ? 1 : passed === false ? 0 : undefined)
    temp(labels, num(r["temperature_c"]))
    const hours = num(r["power_on_hours"])
    powerOn(labels, hours === undefined ? undefined : hours * 3600)
    realloc(labels, num(r["reallocated_sectors"]))
    pending(labels, num(r["pending_sectors"]))
    const used = num(r["percentage_used"])
    wear(labels, used === undefined ? undefined : used / 100)
  }

  const poolOk = b.family(`${P}zpool_healthy`, "gauge", "1 when the pool is ONLINE")
  const poolState = b.family(`${P}zpool_state`, "gauge", "1 for the pool's health state as zpool reports it")
  const poolSize = b.family(`${P}zpool_size_bytes`, "gauge", "pool size")
  const poolAlloc = b.family(`${P}zpool_allocated_bytes`, "gauge", "pool space allocated")
  const poolErrors = b.family(`${P}zpool_errors`, "gauge", "read, write and checksum errors of the pool")
  for (const { device, r } of rowsOf(latest.pools)) {
    stamp(device, "zfs", r)
    const pool = text(r["pool"])
    const health = text(r["health"]).toUpperCase()
    poolOk({ device, pool }, health === "ONLINE" ? 1 : 0)
    if (health !== "") poolState({ device, pool, state: health }, 1)
    poolSize({ device, pool }, num(r["size_bytes"]))
    poolAlloc({ device, pool }, num(r["alloc_bytes"]))
    poolErrors({ device, pool, type: "read" }, num(r["read_errors"]))
    poolErrors({ device, pool, type: "write" }, num(r["write_errors"]))
    poolErrors({ device, pool, type: "checksum" }, num(r["cksum_errors"]))
  }

  const ctRunning = b.family(`${P}container_running`, "gauge", "1 when the container is running")
  const ctState = b.family(`${P}container_state`, "gauge", "1 for the container's state (running, exited…)")
  const ctHealthy = b.family(`${P}container_healthy`, "gauge", "1 healthy, 0 unhealthy; absent without a healthcheck")
  const ctRestarts = b.family(`${P}container_restarts`, "gauge", "restart count")
  const ctCpu = b.family(`${P}container_cpu_usage_ratio`, "gauge", "container CPU share of one core, 0 to 1 per core")
  const ctMem = b.family(`${P}container_memory_usage_bytes`, "gauge", "container memory in use")
  for (const { device, r } of rowsOf(latest.containers)) {
    stamp(device, "containers", r)
    const container = text(r["name"])
    const state = text(r["state"])
    ctRunning({ device, container }, state === "running" ? 1 : 0)
    if (state !== "") ctState({ device, container, state }, 1)
    const health = text(r["health"])
    ctHealthy({ device, container }, health === "healthy" ? 1 : health === "unhealthy" ? 0 : undefined)
    ctRestarts({ device, container }, num(r["restart_count"]))
    const share = num(r["cpu_percent"])
    ctCpu({ device, container }, share === undefined ? undefined : share / 100)
    ctMem({ device, container }, num(r["mem_usage_bytes"]))
  }

  const units = b.family(`${P}systemd_units`, "gauge", "systemd services loaded")
  const failed = b.family(`${P}systemd_failed_units`, "gauge", "systemd services in the failed state")
  for (const { device, r } of rowsOf(latest.units)) {
    stamp(device, "systemd_services", r)
    units({ device }, num(r["units"]))
    failed({ device }, num(r["failed"]))
  }

  const changes = b.family(`${P}config_changes_total`, "counter", "config file changes detected, by risk level")
  const known = new Set(devices.map((d) => d.name))
  const counts = new Map<string, number>()
  for (const r of latest.configChanges) {
    counts.set(`${text(r["device_name"])}\u0000${text(r["risk_level"])}`, num(r["changes"]) ?? 0)
  }
  for (const device of known) {
    for (const risk of RISKS) changes({ device, risk }, counts.get(`${device}\u0000${risk}`) ?? 0)
  }

  return b.done()
}

import { readdirSync } from "node:fs"
import process from "node:process"
import { counter, type Family, gauge } from "./prometheus.ts"

/** Open file descriptors (Linux /proc); undefined where that cannot be read. */
const openFds = (): number | undefined => {
  try {
    return readdirSync("/proc/self/fd").length
  } catch {
    return undefined
  }
}

/**
 * The process families every Prometheus client library exports (same names as prom-client's
 * defaults), so a dashboard or an alert on memory growth works without an exporter.
 */
export const processFamilies = (): Array<Family> => {
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  const fds = openFds()
  return [
    counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", (cpu.user + cpu.system) / 1e6),
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", memory.rss),
    gauge("nodejs_heap_size_total_bytes", "JavaScript heap reserved, in bytes.", memory.heapTotal),
    gauge("nodejs_heap_size_used_bytes", "JavaScript heap in use, in bytes.", memory.heapUsed),
    gauge(
      "nodejs_external_memory_bytes",
      "Memory of objects outside the JavaScript heap (buffers), in bytes.",
      memory.external,
    ),
    ...(fds === undefined ? [] : [gauge("process_open_fds", "Open file descriptors.", fds)]),
  ]
}

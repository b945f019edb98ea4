import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { arr, isRecord, type Json, num, obj, parseJson, parseJsonLines, parseJsonObjects, str } from "./json.ts"
import type { Stats } from "./model.ts"
import { parseFixedWidthTable } from "./table.ts"
import { parseIntOrNull, parsePercent, parseSizePair } from "./units.ts"

const DT = "containers"

const nonEmpty = (s: string | undefined): string | null => (s === undefined || s.trim() === "" ? null : s)

/** One stats object as the CLI formats it: docker ("CPUPerc", "MemUsage") or podman ("cpu_percent", "mem_usage"). */
export const statsFromCli = (o: Json): Stats => {
  const [memUsed, memLimit] = parseSizePair(str(o, "MemUsage", "mem_usage"))
  const [rx, tx] = parseSizePair(str(o, "NetIO", "net_io"))
  const [read, write] = parseSizePair(str(o, "BlockIO", "block_io"))
  const pidsRaw = o["PIDs"] ?? o["PIDS"] ?? o["pids"]
  return {
    id: nonEmpty(str(o, "ID", "id", "ContainerID")),
    name: nonEmpty(str(o, "Name", "name", "Container")),
    cpu_percent: parsePercent(str(o, "CPUPerc", "cpu_percent", "CPU")),
    mem_usage_bytes: memUsed,
    mem_limit_bytes: memLimit,
    mem_percent: parsePercent(str(o, "MemPerc", "mem_percent")),
    net_rx_bytes: rx,
    net_tx_bytes: tx,
    block_read_bytes: read,
    block_write_bytes: write,
    pids: typeof pidsRaw === "number" ? pidsRaw : parseIntOrNull(typeof pidsRaw === "string" ? pidsRaw : undefined),
  }
}

/** `docker stats --no-stream --format '{{json .}}'`: JSON lines. */
export const parseDockerStatsJsonLines = (text: string): Result.Result<Array<Stats>, ParseError> =>
  Result.map(parseJsonLines(text, DT, "stats"), (objs) => objs.map(statsFromCli))

/** `podman stats --no-stream --format json`: one JSON array (JSON lines also accepted). */
export const parsePodmanStatsJson = (text: string): Result.Result<Array<Stats>, ParseError> =>
  Result.map(
    text.trim().startsWith("[") || text.trim() === ""
      ? parseJsonObjects(text, DT, "stats")
      : parseJsonLines(text, DT, "stats"),
    (objs) => objs.map(statsFromCli),
  )

const STATS_TABLE = ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]

/** `docker stats --no-stream` default table. */
export const parseDockerStatsTable = (text: string): Result.Result<Array<Stats>, ParseError> =>
  Result.map(parseFixedWidthTable(text, STATS_TABLE, DT, "stats"), (t) =>
    t.rows.map((r) =>
      statsFromCli({
        ID: r["CONTAINER ID"],
        Name: r["NAME"],
        CPUPerc: r["CPU %"],
        MemUsage: r["MEM USAGE / LIMIT"],
        MemPerc: r["MEM %"],
        NetIO: r["NET I/O"],
        BlockIO: r["BLOCK I/O"],
        PIDs: r["PIDS"],
      })
    ))

const sumOps = (entries: Array<unknown> | undefined, op: string): number | null => {
  if (entries === undefined) return null
  let total = 0
  for (const e of entries) {
    if (isRecord(e) && str(e, "op")?.toLowerCase() === op) total += num(e, "value") ?? 0
  }
  return total
}

/**
 * Engine API `GET /containers/{id}/stats?stream=false`: raw counters. CPU % and memory use
 * are derived the way the docker CLI does (cpu delta / system delta × online CPUs; usage minus page cache).
 */
export const statsFromEngine = (o: Json): Stats => {
  const cpu = obj(o, "cpu_stats")
  const pre = obj(o, "precpu_stats")
  const total = num(obj(cpu, "cpu_usage"), "total_usage")
  const preTotal = num(obj(pre, "cpu_usage"), "total_usage")
  const system = num(cpu, "system_cpu_usage")
  const preSystem = num(pre, "system_cpu_usage")
  const online = num(cpu, "online_cpus") ?? arr(obj(cpu, "cpu_usage"), "percpu_usage")?.length ?? 1
  let cpuPercent: number | null = null
  if (total !== undefined && preTotal !== undefined && system !== undefined && preSystem !== undefined) {
    const sysDelta = system - preSystem
    cpuPercent = sysDelta > 0 ? ((total - preTotal) / sysDelta) * online * 100 : 0
  }
  const mem = obj(o, "memory_stats")
  const usage = num(mem, "usage")
  const memStats = obj(mem, "stats")
  const cache = num(memStats, "inactive_file", "total_inactive_file", "cache") ?? 0
  const used = usage === undefined ? null : Math.max(usage - cache, 0)
  const limit = num(mem, "limit") ?? null
  let rx: number | null = null
  let tx: number | null = null
  const networks = obj(o, "networks")
  if (networks !== undefined) {
    rx = 0
    tx = 0
    for (const n of Object.values(networks)) {
      if (!isRecord(n)) continue
      rx += num(n, "rx_bytes") ?? 0
      tx += num(n, "tx_bytes") ?? 0
    }
  }
  const io = arr(obj(o, "blkio_stats"), "io_service_bytes_recursive")
  const name = str(o, "name")
  return {
    id: nonEmpty(str(o, "id")),
    name: name === undefined ? null : name.replace(/^\//, ""),
    cpu_percent: cpuPercent,
    mem_usage_bytes: used,
    mem_limit_bytes: limit,
    mem_percent: used !== null && limit !== null && limit > 0 ? (used / limit) * 100 : null,
    net_rx_bytes: rx,
    net_tx_bytes: tx,
    block_read_bytes: sumOps(io, "read"),
    block_write_bytes: sumOps(io, "write"),
    pids: num(obj(o, "pids_stats"), "current") ?? null,
  }
}

export const parseEngineContainerStats = (text: string): Result.Result<Stats, ParseError> =>
  Result.flatMap(
    parseJson(text, DT, "containers/stats"),
    (v) =>
      isRecord(v) ? Result.succeed(statsFromEngine(v)) : Result.fail(
        new ParseError({ dataType: DT, message: "stats response is not a JSON object", at: "containers/stats" }),
      ),
  )

import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { parseFail, SYSTEM_METRICS, textLines, toCount } from "./common.ts"

export interface Mount {
  readonly filesystem: string
  /** From `df -T`; null when df could not print types. */
  readonly type: string | null
  readonly size_bytes: number
  readonly used_bytes: number
  readonly available_bytes: number
  /** used / (used + available), the way df computes Capacity but unrounded; null for a 0-size mount. */
  readonly used_percent: number | null
  readonly mountpoint: string
  /** Memory-backed, kernel, image or overlay filesystem: listed, but not a disk that fills up. */
  readonly pseudo: boolean
}

export interface Df {
  readonly mounts: ReadonlyArray<Mount>
}

/** Filesystem types (or, without -T, source names) that are not real disks. */
const PSEUDO = new Set([
  "tmpfs",
  "devtmpfs",
  "overlay",
  "squashfs",
  "proc",
  "sysfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "securityfs",
  "pstore",
  "debugfs",
  "tracefs",
  "configfs",
  "fusectl",
  "mqueue",
  "hugetlbfs",
  "bpf",
  "autofs",
  "binfmt_misc",
  "efivarfs",
  "ramfs",
  "nsfs",
  "rpc_pipefs",
  "selinuxfs",
  "fuse.lxcfs",
  "udev",
  "none",
  "shm",
  "cgroup_root",
])

const isPseudo = (filesystem: string, type: string | null, mountpoint: string, size: number): boolean => {
  if (size === 0) return true
  if (type !== null) return PSEUDO.has(type)
  // Without types: snap packages are squashfs images on loop devices, always 100% full.
  return PSEUDO.has(filesystem) || (filesystem.startsWith("/dev/loop") && mountpoint.startsWith("/snap/"))
}

/** Header size column → bytes per unit: `1-blocks` (-B1), `1K-blocks`, `1024-blocks` (-P), `512-blocks`. */
const UNIT = /^(\d+)([KMGTPE]?)B?-blocks$/i
const POWERS: Record<string, number> = { "": 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 }

const blockSize = (header: string): number | undefined => {
  const m = UNIT.exec(header)
  if (m === null) return undefined
  return Number(m[1]) * 1024 ** (POWERS[(m[2] ?? "").toUpperCase()] ?? 0)
}

const ROW = /^(.+?)\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(\d+%|-)\s+(.+)$/
const ROW_TYPED = /^(.+?)\s+(\S+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(\d+%|-)\s+(.+)$/

/**
 * `df -P` output, with or without -T, in any block size named by the header (-B1 preferred).
 * Lines before the header are df's own complaints about unreadable mounts and are skipped.
 * A mount point may contain spaces (it is the rest of the line). A filesystem name alone on a line
 * (non-POSIX df wraps long names) is joined with the next line. `df -h` sizes are rounded, so they
 * are rejected rather than guessed.
 */
export const parseDf = (text: string, dataType: string = SYSTEM_METRICS): Result.Result<Df, ParseError> => {
  const lines = textLines(text)
  const headerAt = lines.findIndex((l) => /^Filesystem\s/.test(l))
  if (headerAt < 0) return parseFail(dataType, "no 'Filesystem ...' header line in df output", "df")
  const header = (lines[headerAt] ?? "").trim().split(/\s+/)
  const typed = header[1] === "Type"
  const sizeColumn = header[typed ? 2 : 1] ?? ""
  const unit = blockSize(sizeColumn)
  if (unit === undefined) {
    const why = /^size$/i.test(sizeColumn)
      ? "human-readable sizes (df -h) are rounded and cannot be used; expected df -P with a block size"
      : `unknown df size column '${sizeColumn}'; expected e.g. '1-blocks' or '1024-blocks'`
    return parseFail(dataType, why, `df line ${headerAt + 1}`)
  }
  const mounts: Array<Mount> = []
  for (let i = headerAt + 1; i < lines.length; i++) {
    let line = (lines[i] ?? "").trimEnd()
    if (line.trim() === "") continue
    const next = lines[i + 1]
    if (!/\s/.test(line.trim()) && next !== undefined && /^\s/.test(next)) {
      line = `${line.trim()} ${next.trim()}`
      i++
    }
    const m = (typed ? ROW_TYPED : ROW).exec(line)
    if (m === null) return parseFail(dataType, `unrecognised df row '${line.slice(0, 120)}'`, `df line ${i + 1}`)
    const g = typed ? m.slice(1) : [m[1], null, ...m.slice(2)]
    const [filesystem, type, size, used, avail, , mountpoint] = g as [
      string,
      string | null,
      string,
      string,
      string,
      string,
      string,
    ]
    const sizeBytes = (toCount(size) ?? 0) * unit
    const usedBytes = (toCount(used) ?? 0) * unit
    const availableBytes = Math.max(0, Number(avail)) * unit
    const denominator = usedBytes + availableBytes
    mounts.push({
      filesystem,
      type,
      size_bytes: sizeBytes,
      used_bytes: usedBytes,
      available_bytes: availableBytes,
      used_percent: denominator > 0 ? Math.round((usedBytes / denominator) * 10_000) / 100 : null,
      mountpoint,
      pseudo: isPseudo(filesystem, type, mountpoint, sizeBytes),
    })
  }
  return Result.succeed({ mounts })
}

/**
 * Fullest real disk. Pseudo mounts count only when nothing else is there
 * (a container whose root is an overlay still has a disk that can fill).
 */
export const diskUsedPercentMax = (mounts: ReadonlyArray<Mount>): number | null => {
  const pick = (ms: ReadonlyArray<Mount>) => ms.flatMap((m) => (m.used_percent === null ? [] : [m.used_percent]))
  const real = pick(mounts.filter((m) => !m.pseudo))
  const values = real.length > 0 ? real : pick(mounts.filter((m) => m.size_bytes > 0))
  return values.length > 0 ? Math.max(...values) : null
}

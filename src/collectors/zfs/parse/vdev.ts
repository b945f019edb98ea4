import type { ErrorTotals, ZfsVdev, ZfsVdevGroup } from "./model.ts"

/** Labels zpool prints for the auxiliary vdev classes, normalised to one spelling. */
const GROUP_KIND: Readonly<Record<string, string>> = {
  logs: "logs",
  log: "logs",
  cache: "cache",
  l2cache: "cache",
  spares: "spares",
  special: "special",
  dedup: "dedup",
}

export const groupKind = (label: string): string | undefined => GROUP_KIND[label]

const INTERIOR = /^(mirror|raidz[1-3]?|draid[1-3]?(?::[0-9a-z:]*)?|replacing|spare|indirect)(?:-\d+)?$/

/** Interior vdevs are named after their kind ("mirror-0", "raidz2-1", "replacing-0", "draid2:4d:12c:1s-0"). */
export const interiorType = (name: string): string | undefined => {
  const m = INTERIOR.exec(name)
  if (m === null) return undefined
  const kind = m[1] as string
  return kind.startsWith("draid") ? "draid" : kind
}

/** Sum READ/WRITE/CKSUM over every node; counters zpool did not print count as 0. */
export const sumErrors = (root: ZfsVdev | null, groups: ReadonlyArray<ZfsVdevGroup>): ErrorTotals => {
  const totals = { read_errors: 0, write_errors: 0, cksum_errors: 0 }
  const visit = (v: ZfsVdev): void => {
    totals.read_errors += v.read_errors ?? 0
    totals.write_errors += v.write_errors ?? 0
    totals.cksum_errors += v.cksum_errors ?? 0
    v.children.forEach(visit)
  }
  if (root !== null) visit(root)
  for (const g of groups) g.vdevs.forEach(visit)
  return totals
}

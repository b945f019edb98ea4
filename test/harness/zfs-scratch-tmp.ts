import { readFileSync, readdirSync } from "node:fs"
import { parseZpoolStatus, parseZpoolStatusJson, parseZpoolList, parseZpoolIostat, parseZfsSnapshotList, parseZfsDatasetList } from "../../src/parsers/zfs.ts"
const dir = "/work/shared/fixtures/zfs"
for (const f of readdirSync(dir)) {
  if (f === "SOURCES.md") continue
  const t = readFileSync(`${dir}/${f}`, "utf8")
  let r: any
  if (f.endsWith(".json")) r = parseZpoolStatusJson(t)
  else if (f.includes("zpool-status")) r = parseZpoolStatus(t)
  else if (f.includes("zpool-list")) r = parseZpoolList(t)
  else if (f.includes("iostat")) r = parseZpoolIostat(t)
  else if (f.includes("usedsnap")) r = parseZfsDatasetList(t, ["name", "usedsnap"])
  else r = parseZfsSnapshotList(t, ["name", "used", "creation"])
  console.log("=====", f)
  console.log(JSON.stringify(r._tag === "Success" ? r.success : r.failure, null, 0).slice(0, 3000))
}

import { Result } from "effect"
import * as N from "../src/parsers/network-interfaces.ts"
const dir = "/work/shared/fixtures/network/"
import { readFileSync, readdirSync } from "node:fs"
for (const f of readdirSync(dir).sort()) {
  if (f === "SOURCES.md") continue
  const t = readFileSync(dir + f, "utf8")
  let r: any
  if (f.includes("route")) r = N.parseIpRoute(t, f.includes("6") ? "inet6" : "inet")
  else if (f.includes("ip-") && f.endsWith(".json")) r = N.parseIpJson(t)
  else if (f.includes("__ip-")) r = N.parseIpText(t)
  else if (f.includes("proc-net-dev")) r = N.parseProcNetDev(t)
  else r = N.parseListening(t)
  console.log("==", f, Result.isSuccess(r) ? JSON.stringify(r.success).slice(0, 1500) : r.failure)
}

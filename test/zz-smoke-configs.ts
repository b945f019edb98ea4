import { Result } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { parseNginxConfig } from "/work/main/src/parsers/config/nginx.ts"
const dir = "/work/shared/fixtures/nginx"
let ok = 0
for (const f of readdirSync(dir)) {
  if (f === "SOURCES.md") continue
  const r = parseNginxConfig(readFileSync(`${dir}/${f}`, "utf8"))
  if (Result.isFailure(r)) console.log(f, r.failure.message, r.failure.at)
  else ok++
}
console.log("ok", ok)
const r = parseNginxConfig(readFileSync(`${dir}/plex.subdomain.conf.sample`, "utf8"))
console.log(JSON.stringify(Result.getOrThrow(r), null, 1).slice(0, 3000))

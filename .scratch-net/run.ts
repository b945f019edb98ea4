import { mkdtempSync, writeFileSync, chmodSync } from "node:fs"
import { execFileSync } from "node:child_process"
import os from "node:os"; import path from "node:path"
import { networkShimsFor } from "../test/harness/shims/network.ts"
import { systemdShims } from "../test/harness/shims/systemd.ts"
import { networkInterfacesScript } from "../src/registry/network-interfaces.ts"
import { systemdServicesScript } from "../src/registry/systemd-services.ts"
const which = process.argv[2] ?? "modern"
const shims = which === "systemd" ? systemdShims : networkShimsFor(which as any)
const dir = mkdtempSync(path.join(os.tmpdir(), "shim-"))
for (const [n, b] of Object.entries(shims)) { writeFileSync(path.join(dir, n), b); chmodSync(path.join(dir, n), 0o755) }
const script = which === "systemd" ? systemdServicesScript() : networkInterfacesScript({})
console.log(script)
console.log(execFileSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }))

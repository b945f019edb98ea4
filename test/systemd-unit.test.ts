/**
 * packaging/infrastructor.service (issue 12) passes `systemd-analyze verify` without a warning,
 * keeps its hardening, and rates "OK" (exposure at most 2.0 of 10) in `systemd-analyze security`.
 * systemd-analyze must be installed (it is part of systemd); without it the test fails.
 */
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, it } from "node:test"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const findUnit = (dir: string): string => {
  const candidate = path.join(dir, "packaging/infrastructor.service")
  if (existsSync(candidate)) return candidate
  if (path.dirname(dir) === dir) assert.fail("packaging/infrastructor.service not found above the test")
  return findUnit(path.dirname(dir))
}
const unitText = readFileSync(findUnit(here), "utf8")

const work = mkdtempSync(path.join(os.tmpdir(), "infrastructor-unit-"))
after(() => rmSync(work, { recursive: true, force: true }))

/**
 * The unit as written, but with ExecStart's binary at an executable that exists here: verify
 * refuses a unit whose command is missing, and /usr/local/bin/infrastructor is not installed.
 */
const stagedUnit = (name: string, text: string = unitText): string => {
  const binary = path.join(work, "infrastructor")
  writeFileSync(binary, "#!/bin/sh\nexit 0\n")
  chmodSync(binary, 0o755)
  const file = path.join(work, name)
  writeFileSync(file, text.replaceAll("/usr/local/bin/infrastructor", binary))
  return file
}

const analyze = (args: ReadonlyArray<string>) => {
  const r = spawnSync("systemd-analyze", args, { encoding: "utf8", env: { ...process.env, SYSTEMD_PAGER: "" } })
  if (r.error !== undefined) throw r.error
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() }
}

describe("systemd unit", () => {
  it("passes systemd-analyze verify with no warning", () => {
    const r = analyze(["verify", stagedUnit("infrastructor.service")])
    assert.equal(r.code, 0, r.output)
    assert.equal(r.output, "")
  })

  it("verify does report a mistake (the check above can fail)", () => {
    const broken = unitText.replace("ProtectSystem=strict", "ProtectSytem=strict")
    const r = analyze(["verify", stagedUnit("broken.service", broken)])
    assert.match(r.output, /Unknown key 'ProtectSytem'/)
  })

  it("keeps its hardening and its state directory", () => {
    const settings = new Map<string, Array<string>>()
    for (const line of unitText.split("\n")) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line)
      if (m !== null) settings.set(m[1] as string, [...(settings.get(m[1] as string) ?? []), m[2] as string])
    }
    const one = (key: string) => settings.get(key)?.at(-1)
    assert.equal(one("ProtectSystem"), "strict")
    assert.equal(one("NoNewPrivileges"), "yes")
    assert.equal(one("StateDirectory"), "infrastructor")
    assert.equal(one("CapabilityBoundingSet"), "")
    assert.equal(one("PrivateTmp"), "yes")
    assert.equal(one("ProtectHome"), "yes")
    assert.equal(one("User"), "infrastructor")
    assert.equal(one("ExecStart"), "/usr/local/bin/infrastructor serve")
    // Data under the state directory: the only place ProtectSystem=strict leaves writable.
    assert.ok(settings.get("Environment")?.includes("INFRA_DATA_DIR=/var/lib/infrastructor/data"))
  })

  it("rates OK in systemd-analyze security (exposure at most 2.0)", () => {
    // --threshold is the exposure level times ten: the command fails above it.
    const r = analyze(["security", "--offline=yes", "--threshold=20", stagedUnit("infrastructor.service")])
    assert.equal(r.code, 0, r.output)
    assert.match(r.output, /Overall exposure level for infrastructor\.service: [0-9.]+ OK/)
  })
})

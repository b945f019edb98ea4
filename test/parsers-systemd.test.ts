import assert from "node:assert/strict"
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, it } from "node:test"
import { Effect, Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import { MARKER } from "../src/collectors/shared/sections.ts"
import {
  type ListedUnit,
  parseListJobs,
  parseListSockets,
  parseListUnitFiles,
  parseListUnits,
  parseListUnitsJson,
  parseListUnitsText,
  parseSystemctlShow,
  parseSystemdServices,
  SHOW_PROPERTIES,
} from "../src/collectors/systemd-services/parse-systemd-services.ts"
import { parseUnitFile, unitValues } from "../src/configs/semantic/unit-file.ts"
import { systemdServices, systemdServicesScript } from "../src/collectors/systemd-services/systemd-services.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { SYSTEMD_FIXTURES, systemdShims } from "./harness/shims/systemd.ts"
import { NO_SYSTEMD, noSystemdShim } from "./harness/shims/failing-tools.ts"
import { splitSections } from "../src/domain/section-framing.ts"
import { ok } from "./harness/results.ts"

const err = <A>(r: Result.Result<A, ParseError>, dataType = "systemd_services"): ParseError => {
  assert.ok(Result.isFailure(r), "expected a ParseError")
  assert.ok(r.failure instanceof ParseError)
  assert.equal(r.failure.dataType, dataType)
  assert.ok(r.failure.message.length > 0)
  assert.ok(r.failure.at !== undefined && r.failure.at.length > 0, "error names where it happened")
  return r.failure
}

const outcome = (parse: () => Result.Result<unknown, ParseError>, dataType: string): "ok" | "error" => {
  const r = parse()
  if (Result.isSuccess(r)) return "ok"
  err(r, dataType)
  return "error"
}

const sd = (file: string): string => readFixture("systemd", file)

const UNIT_FILE = /\.(service|timer|socket|mount|automount|target|path|slice|swap)$/

/** The parser each fixture is meant for, chosen by its name, with the dataType its errors carry. */
const parserFor = (file: string): { dataType: string; parse: (text: string) => Result.Result<unknown, ParseError> } => {
  if (UNIT_FILE.test(file)) return { dataType: "systemd_unit", parse: parseUnitFile }
  if (file.includes("systemctl-list-units")) return { dataType: "systemd_services", parse: (t) => parseListUnits(t) }
  if (file.includes("systemctl-list-unit-files")) {
    return {
      dataType: "systemd_services",
      parse: (t) => parseListUnitFiles(t),
    }
  }
  if (file.includes("systemctl-list-jobs")) return { dataType: "systemd_services", parse: (t) => parseListJobs(t) }
  if (file.includes("systemctl-list-sockets")) {
    return {
      dataType: "systemd_services",
      parse: (t) => parseListSockets(t),
    }
  }
  if (file.includes("systemctl-show")) return { dataType: "systemd_services", parse: (t) => parseSystemctlShow(t) }
  throw new Error(`no parser chosen for fixture ${file}`)
}

/** Every recorded output and unit file in the folder is valid and must parse. */
const EXPECTED: Record<string, "ok" | "error"> = Object.fromEntries(listFixtures("systemd").map((f) => [f, "ok"]))

const framed = (bodies: Record<string, string>, exitCodes: Record<string, number> = {}): CommandResult => {
  const stdout = Object.entries(bodies)
    .map(([name, body]) => `\n${MARKER} ${name}\n${body}\n${MARKER}-rc ${name} ${exitCodes[name] ?? 0}\n`)
    .join("")
  return { stdout, stderr: "", exitCode: 0, durationMs: 1, bytes: stdout.length, truncated: false }
}

const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

const find = (units: ReadonlyArray<ListedUnit>, name: string): ListedUnit => {
  const u = units.find((x) => x.name === name)
  assert.ok(u, `${name} present`)
  return u
}

describe("systemd fixtures: every file parses or gives a typed ParseError", () => {
  const files = listFixtures("systemd")
  it("covers the whole folder", () => assert.ok(files.length >= 36))
  for (const f of files) {
    it(f, () => {
      const { dataType, parse } = parserFor(f)
      assert.equal(outcome(() => parse(sd(f)), dataType), EXPECTED[f])
    })
  }
})

describe("systemctl list-units", () => {
  const text = sd(SYSTEMD_FIXTURES.listUnits)

  it("all 334 rows (as its footer says), ● rows, legend ignored", () => {
    const units = ok(parseListUnitsText(text))
    assert.equal(units.length, 334)
    assert.equal(units.filter((u) => u.name.endsWith(".service")).length, 116)
    assert.equal(units.filter((u) => u.load_state === "not-found").length, 20)
    assert.deepEqual(find(units, "accounts-daemon.service"), {
      name: "accounts-daemon.service",
      load_state: "loaded",
      active_state: "active",
      sub_state: "running",
      description: "Accounts Service",
    })
    assert.deepEqual(find(units, "auditd.service"), {
      name: "auditd.service",
      load_state: "not-found",
      active_state: "inactive",
      sub_state: "dead",
      description: "auditd.service",
    })
    assert.equal(
      find(units, "dev-disk-by\\x2dpath-pci\\x2d0000:00:10.0\\x2dscsi\\x2d0:0:0:0.device").description,
      "VMware_Virtual_S",
    )
    assert.equal(find(units, "ureadahead-stop.timer").sub_state, "dead")
  })

  it("--plain --no-legend form gives the same rows", () => {
    const plain = text
      .split("\n")
      .filter((l) => /^( {2}|● )\S+\.[a-z]+ /.test(l))
      .map((l) => l.replace(/^(● | {2})/, ""))
      .join("\n")
    assert.deepEqual(ok(parseListUnitsText(plain)), ok(parseListUnitsText(text)))
  })

  it("JSON output (systemd ≥ 246) maps to the same rows", () => {
    const rows = ok(parseListUnitsText(text))
    const json = JSON.stringify(
      rows.map((u) => ({
        unit: u.name,
        load: u.load_state,
        active: u.active_state,
        sub: u.sub_state,
        description: u.description,
      })),
    )
    assert.deepEqual(ok(parseListUnitsJson(json)), rows)
    assert.deepEqual(ok(parseListUnits(json)), rows, "auto-detected")
  })

  it("malformed rows are typed errors naming the line", () => {
    const e = err(parseListUnitsText("  foo.service loaded"))
    assert.equal(e.at, "list-units:1")
    assert.match(err(parseListUnitsText("foo.service Loaded active running x")).message, /UNIT LOAD ACTIVE SUB/)
    assert.match(err(parseListUnitsText("not a unit line at all")).message, /UNIT LOAD/)
    assert.match(err(parseListUnitsJson('[{"unit": "a.service"}]')).message, /JSON shape/)
    assert.match(err(parseListUnitsJson("[{")).message, /invalid JSON/)
    assert.deepEqual(
      ok(parseListUnitsText("0 loaded units listed. Pass --all to see loaded but inactive units, too.")),
      [],
    )
  })
})

describe("systemctl list-unit-files, list-jobs, list-sockets, show", () => {
  it("ubuntu and centos unit files: every row (footer counts), template and masked states", () => {
    const ubuntu = ok(parseListUnitFiles(sd("jc__ubuntu-18.04__systemctl-list-unit-files.txt")))
    assert.equal(ubuntu.length, 321)
    assert.deepEqual(ubuntu.find((f) => f.name === "getty@.service"), {
      name: "getty@.service",
      state: "enabled",
      preset: null,
    })
    assert.equal(ubuntu.find((f) => f.name === "-.mount")?.state, "generated")
    assert.ok(ubuntu.some((f) => f.state === "masked"))
    const centos = ok(parseListUnitFiles(sd("jc__centos-7.7__systemctl-list-unit-files.txt")))
    assert.equal(centos.length, 244)
    assert.equal(centos.find((f) => f.name === "systemd-readahead-done.timer")?.state, "indirect")
    assert.equal(
      ok(parseListUnitFiles("foo.service enabled enabled"))[0]?.preset,
      "enabled",
      "newer systemd's VENDOR PRESET column",
    )
    assert.match(err(parseListUnitFiles("foo.service ENABLED")).message, /UNIT FILE STATE/)
  })

  it("list-jobs: three jobs", () => {
    const jobs = ok(parseListJobs(sd("jc__ubuntu-18.04__systemctl-list-jobs.txt")))
    assert.deepEqual(jobs.map((j) => `${j.id} ${j.unit} ${j.type} ${j.state}`), [
      "3543 nginxAfterGlusterfs.service start waiting",
      "3545 glusterReadyForLocalhostMount.service start running",
      "3506 nginx.service start waiting",
    ])
    assert.deepEqual(ok(parseListJobs("No jobs running.")), [])
    assert.equal(err(parseListJobs(" JOB UNIT TYPE STATE\nabc x.service start waiting")).at, "list-jobs:2")
  })

  it("list-sockets: column offsets keep spaced LISTEN values; empty ACTIVATES is null", () => {
    const s = ok(parseListSockets(sd("jc__ubuntu-18.04__systemctl-list-sockets.txt")))
    assert.equal(s.length, 24)
    assert.deepEqual(s.find((x) => x.unit === "systemd-networkd.socket"), {
      listen: "route 1361",
      unit: "systemd-networkd.socket",
      activates: "systemd-networkd.service",
    })
    assert.equal(s.find((x) => x.unit === "apport-forward.socket")?.activates, null)
    assert.equal(s.filter((x) => x.unit === "dm-event.socket").length, 2)
    assert.match(err(parseListSockets("some other table")).message, /LISTEN UNIT ACTIVATES/)
  })

  it("show: one block per unit, stray non-property lines skipped", () => {
    const blocks = ok(parseSystemctlShow(sd(SYSTEMD_FIXTURES.show)))
    assert.deepEqual(blocks.map((b) => b["Id"]), ["postfix.service", "postgresql.service", "tuned.service"])
    const tuned = blocks[2] ?? {}
    assert.equal(tuned["UnitFileState"], "enabled")
    assert.equal(tuned["ActiveEnterTimestamp"], "Tue 2019-11-19 23:55:53 EST")
    assert.equal(tuned["After"], "systemd-sysctl.service system.slice network.target systemd-journald.socket")
    assert.equal(blocks[0]?.["LimitMEMLOCK"], "")
    const targets = ok(parseSystemctlShow(sd("insights__systemctl-show_network.target.txt")))
    assert.deepEqual(targets.map((b) => b["Id"]), ["network.target", "swap.target", "paths.target", "sockets.target"])
    assert.equal(targets[1]?.["ActiveExitTimestampMonotonic"], "3432423")
    assert.match(err(parseSystemctlShow("nothing here\nat all")).message, /Key=Value/)
  })
})

const SHOW_EXTRA = [
  "Id=cron.service",
  "LoadState=loaded",
  "ActiveState=active",
  "SubState=running",
  "UnitFileState=enabled",
  "NRestarts=3",
  "MainPID=812",
  "ExecMainStatus=0",
  "ActiveEnterTimestamp=Mon 2024-01-01 10:00:00 UTC",
  "Description=Regular background program processing daemon",
  "MemoryCurrent=18446744073709551615",
  "FragmentPath=/lib/systemd/system/cron.service",
].join("\n")

/** Framed output from real fixtures; `show` has one more block (cron) than the fixture to check the merge. */
const fixtureOutput = (overrides: Record<string, string> = {}, exitCodes: Record<string, number> = {}): CommandResult =>
  framed(
    {
      units: sd(SYSTEMD_FIXTURES.listUnits),
      unit_files: sd(SYSTEMD_FIXTURES.listUnitFiles),
      show: `${sd(SYSTEMD_FIXTURES.show)}\n\n${SHOW_EXTRA}`,
      failed:
        "● apport.service loaded failed failed LSB: automatic crash report generation\n● boot.mount loaded failed failed /boot",
      ...overrides,
    },
    exitCodes,
  )

describe("parseSystemdServices (whole script output)", () => {
  it("merges list-units, unit files and show; failed list and counts", () => {
    const d = ok(parseSystemdServices(fixtureOutput()))
    assert.equal(d.source, "text")
    assert.equal(d.show_available, true)
    // 116 listed services plus the 3 show-only ones from the insights fixture (postfix, postgresql, tuned).
    assert.equal(d.units.length, 119)
    assert.ok(d.units.every((u) => u.name.endsWith(".service")), "other unit types in an unfiltered list are dropped")
    const cron = d.units.find((u) => u.name === "cron.service")
    assert.deepEqual(cron, {
      name: "cron.service",
      load_state: "loaded",
      active_state: "active",
      sub_state: "running",
      description: "Regular background program processing daemon",
      enabled_state: "enabled",
      restarts: 3,
      main_pid: 812,
      exit_status: 0,
      memory_bytes: null,
      since: "Mon 2024-01-01 10:00:00 UTC",
      fragment_path: "/lib/systemd/system/cron.service",
    })
    assert.equal(
      d.units.find((u) => u.name === "getty@tty1.service")?.enabled_state,
      "enabled",
      "template instance inherits getty@.service",
    )
    assert.equal(d.units.find((u) => u.name === "ssh.service")?.restarts, null, "no show block: unknown, not zero")
    const tuned = d.units.find((u) => u.name === "tuned.service")
    assert.equal(tuned?.active_state, "active")
    assert.equal(tuned?.description, "Dynamic System Tuning Daemon")
    assert.deepEqual(d.failed.map((f) => f.name), ["apport.service", "boot.mount"])
    assert.equal(d.counts.total, 119)
    assert.equal(d.counts.running, 25)
    assert.equal(d.counts.not_found, 18)
    assert.equal(d.counts.restarted, 1)
    assert.equal(d.counts.inactive, 62)
    assert.equal(d.unit_files.length, 321)
  })

  it("only services from list-units when the shim-filtered (--type=service) table is given", () => {
    const services = sd(SYSTEMD_FIXTURES.listUnits)
      .split("\n")
      .filter((l) => /^( {2}|● )\S+\.service /.test(l))
      .join("\n")
    const d = ok(parseSystemdServices(fixtureOutput({ units: services, show: "" })))
    assert.equal(d.units.length, 116)
    assert.equal(d.show_available, false)
    assert.equal(d.counts.running, 24)
    assert.equal(d.counts.exited, 30)
    assert.equal(d.counts.not_found, 18)
  })

  it("list-units JSON is used when systemd supports it", () => {
    const d = ok(
      parseSystemdServices(
        fixtureOutput({
          units: '[{"unit":"a.service","load":"loaded","active":"failed","sub":"failed","description":"A"}]',
          show: "",
        }),
      ),
    )
    assert.equal(d.source, "json")
    assert.equal(d.counts.failed, 1)
  })

  it("errors: list-units failing, bad show values, missing section", () => {
    assert.match(err(parseSystemdServices(fixtureOutput({ units: "" }, { units: 1 }))).message, /list-units failed/)
    assert.equal(
      ok(parseSystemdServices(fixtureOutput({ units: "", show: "" }))).units.length,
      0,
      "exit 0 and nothing listed is an empty host",
    )
    const bad = err(parseSystemdServices(fixtureOutput({ show: SHOW_EXTRA.replace("NRestarts=3", "NRestarts=three") })))
    assert.match(bad.message, /NRestarts/)
    assert.equal(bad.at, "show:cron.service")
    assert.equal(err(parseSystemdServices(framed({ unit_files: "" }))).at, "units")
    assert.equal(err(parseSystemdServices(fixtureOutput({ unit_files: "garbage line here" }))).at, "unit_files:1")
  })

  it("toRows: one row per service with the record in data", () => {
    const d = ok(parseSystemdServices(fixtureOutput()))
    const rows = systemdServices.toRows(d)
    assert.equal(rows.length, 119)
    const cron = rows.find((r) => r["unit"] === "cron.service")
    assert.equal(cron?.["restarts"], 3)
    assert.equal(cron?.["main_pid"], 812)
    assert.equal(cron?.["enabled_state"], "enabled")
    assert.equal(cron?.["sub_state"], "running")
    assert.equal((cron?.["data"] as { fragment_path: string }).fragment_path, "/lib/systemd/system/cron.service")
  })

  it("the script asks show for every property the parser reads, quoted", () => {
    const script = systemdServicesScript()
    for (const p of SHOW_PROPERTIES) assert.ok(script.includes(p), p)
    assert.ok(script.includes("'*.service'"), "the glob reaches systemctl, not the shell")
  })
})

describe("systemd unit files (parseUnitFile)", () => {
  const unit = (file: string) => ok(parseUnitFile(sd(file)))

  it("borgmatic: comments dropped, values kept verbatim", () => {
    const u = unit("borgmatic__borgmatic.service")
    assert.deepEqual(Object.keys(u), ["Unit", "Service"])
    assert.deepEqual(unitValues(u, "Service", "ExecStartPre"), ["sleep 1m"])
    assert.deepEqual(unitValues(u, "Unit", "Description"), ["borgmatic backup"])
    assert.deepEqual(unitValues(u, "Service", "Nice"), ["19"])
    assert.deepEqual(unitValues(u, "Service", "ReadWritePaths"), [], "commented out")
    assert.match(unitValues(u, "Service", "ExecStart")[0] ?? "", /^systemd-inhibit --who="borgmatic"/)
  })

  it("node_exporter: `Environment=OPTIONS=` is a value, not a reset", () => {
    const u = unit("node_exporter__node_exporter.service")
    assert.deepEqual(unitValues(u, "Service", "Environment"), ["OPTIONS="])
    assert.deepEqual(unitValues(u, "Service", "EnvironmentFile"), ["-/etc/sysconfig/node_exporter"])
  })

  it("syncthing@: repeated keys in order, empty assignment is an empty list", () => {
    const u = unit("syncthing__syncthing@.service")
    assert.deepEqual(unitValues(u, "Service", "Environment"), [
      '"STLOGFORMATTIMESTAMP="',
      '"STLOGFORMATLEVELSTRING=false"',
      '"STLOGFORMATLEVELSYSLOG=true"',
    ])
    assert.deepEqual(unitValues(u, "Service", "AmbientCapabilities"), [])
    assert.deepEqual(unitValues(u, "Service", "CapabilityBoundingSet"), ["CAP_CHOWN CAP_FOWNER"])
  })

  it("socket, mount, timer and target units", () => {
    assert.deepEqual(unitValues(unit("moby__docker.socket"), "Socket", "ListenStream"), ["/run/docker.sock"])
    assert.deepEqual(unitValues(unit("flatcar__boot.mount"), "Mount", "Where"), ["/boot"])
    assert.deepEqual(unitValues(unit("flatcar__boot.mount"), "Unit", "Requires"), [
      "systemd-fsck@dev-disk-by\\x2dlabel-EFI\\x2dSYSTEM.service",
    ])
    assert.deepEqual(unitValues(unit("apt__apt-daily-upgrade.timer"), "Timer", "OnCalendar"), ["*-*-* 6:00"])
    assert.deepEqual(unitValues(unit("tailscale__tailscaled.service"), "Service", "ExecStopPost"), [
      "/usr/sbin/tailscaled --cleanup",
    ])
  })

  it("continuations, comments inside them, resets, repeated sections", () => {
    const text = [
      "[Service]",
      "ExecStart=/bin/app \\",
      "  --flag one \\",
      "# a comment inside the continuation",
      "  --flag two",
      "Environment=A=1",
      "Environment=B=2",
      "Environment=",
      "Environment=C=3",
      "; semicolon comment",
      "[Unit]",
      "Description=x # not a comment",
      "[Service]",
      "Environment=D=4",
      "__proto__=safe",
    ].join("\n")
    const u = ok(parseUnitFile(text))
    assert.deepEqual(unitValues(u, "Service", "ExecStart"), ["/bin/app    --flag one    --flag two"])
    assert.deepEqual(unitValues(u, "Service", "Environment"), ["C=3", "D=4"])
    assert.deepEqual(unitValues(u, "Unit", "Description"), ["x # not a comment"])
    assert.deepEqual(unitValues(u, "Service", "__proto__"), ["safe"])
    assert.deepEqual(Object.keys(u), ["Service", "Unit"])
  })

  it("malformed unit files are typed errors naming the line", () => {
    const outside = err(parseUnitFile("Description=x\n[Unit]"), "systemd_unit")
    assert.match(outside.message, /outside of any/)
    assert.equal(outside.at, "line 1")
    assert.match(err(parseUnitFile("[Unit\nA=b"), "systemd_unit").message, /section header/)
    assert.equal(err(parseUnitFile("[Unit]\n\njust words"), "systemd_unit").at, "line 3")
    assert.match(err(parseUnitFile("[Unit]\n=value"), "systemd_unit").message, /Key=Value/)
  })
})

describe("robustness: truncated and mutated inputs never throw", () => {
  const files = listFixtures("systemd")
  it("every truncation point of every fixture", () => {
    for (const f of files) {
      const { dataType, parse } = parserFor(f)
      const text = sd(f)
      const step = Math.max(1, Math.floor(text.length / 60))
      for (let n = 0; n < text.length; n += step) outcome(() => parse(text.slice(0, n)), dataType)
    }
  })

  it("random byte and line mutations", () => {
    const rnd = prng(7)
    const junk = ["", "x", "=", "[", "]", "\\", "#", "●", " ", "\n", '"', "{", "-1", "99999999999999999999999"]
    for (const f of files) {
      const { dataType, parse } = parserFor(f)
      const text = sd(f)
      for (let k = 0; k < 40; k++) {
        const chars = [...text]
        for (let m = 0; m < 3; m++) {
          chars[Math.floor(rnd() * chars.length)] = junk[Math.floor(rnd() * junk.length)] as string
        }
        outcome(() => parse(chars.join("")), dataType)
        const lines = text.split("\n")
        lines.splice(Math.floor(rnd() * lines.length), 1, junk[Math.floor(rnd() * junk.length)] as string)
        outcome(() => parse(lines.join("\n")), dataType)
      }
    }
  })

  it("whole-output truncations and mutated show values", () => {
    const full = fixtureOutput().stdout
    for (let n = 0; n < full.length; n += 211) {
      outcome(() => parseSystemdServices({ ...fixtureOutput(), stdout: full.slice(0, n) }), "systemd_services")
    }
    for (const v of ["", "x", "-5", "1e3", "[not set]", "18446744073709551615"]) {
      outcome(
        () => parseSystemdServices(fixtureOutput({ show: SHOW_EXTRA.replace("MainPID=812", `MainPID=${v}`) })),
        "systemd_services",
      )
    }
  })
})

describe("script through /bin/sh with a fake systemctl on PATH", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-systemd-"))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it("JSON rejected → text fallback; unit files, show and --failed parsed", () => {
    for (const [name, body] of Object.entries(systemdShims)) {
      writeFileSync(path.join(dir, name), body)
      chmodSync(path.join(dir, name), 0o755)
    }
    const stdout = execFileSync("/bin/sh", ["-c", systemdServices.script({})], {
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` },
    })
    const d = ok(
      systemdServices.parse(
        { stdout, stderr: "", exitCode: 0, durationMs: 0, bytes: stdout.length, truncated: false },
        {},
      ),
    )
    assert.equal(d.source, "text")
    // 116 services listed + postfix/postgresql/tuned known only to the recorded show output.
    assert.equal(d.units.length, 119)
    assert.equal(
      d.unit_files.length,
      ok(parseListUnitFiles(sd(SYSTEMD_FIXTURES.listUnitFiles))).filter((f) => f.name.endsWith(".service")).length,
    )
    assert.equal(d.units.find((u) => u.name === "ssh.service")?.enabled_state, "enabled")
    assert.equal(d.units.find((u) => u.name === "tuned.service")?.since, "Tue 2019-11-19 23:55:53 EST")
    assert.deepEqual(d.failed, [], "the recorded host had no failed units")
    assert.equal(d.counts.not_found, 18)
  })
})

describe("script on a host without systemd", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-nosystemd-"))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it("calls systemctl twice (JSON, then text), skips the other three calls, and keeps systemctl's words", () => {
    const calls = path.join(dir, "calls")
    // The recorded no-systemd systemctl, logging each call's first argument.
    writeFileSync(
      path.join(dir, "systemctl"),
      noSystemdShim.replace("#!/bin/sh\n", `#!/bin/sh\nprintf '%s\\n' "$1" >>${calls}\n`),
    )
    chmodSync(path.join(dir, "systemctl"), 0o755)
    const out = spawnSync("/bin/sh", ["-c", systemdServices.script({})], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` },
    })
    assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), ["list-units", "list-units"])
    const sections = splitSections(out.stdout)
    assert.deepEqual([...sections.keys()], ["units"])
    assert.equal(sections.get("units")?.exitCode, 1, "systemctl's own exit code")
    assert.ok(out.stderr.includes(NO_SYSTEMD))
    const r = systemdServices.parse(
      { stdout: out.stdout, stderr: out.stderr, exitCode: 0, durationMs: 0, bytes: 0, truncated: false },
      {},
    )
    assert.ok(Result.isFailure(r))
    assert.equal(r.failure.at, "units")
  })
})

for (const backend of testBackends()) {
  describe(`systemd_services rows on ${backend.name}`, () => {
    it("toRows output inserts into the migrated table and reads back", async () => {
      const rows = systemdServices.toRows(ok(parseSystemdServices(fixtureOutput())))
      const program = Effect.gen(function* () {
        const store = yield* Store
        const dev = yield* store.createDevice({ name: "sd-host", host: "10.0.0.8" })
        const time = new Date("2026-01-01T00:00:00Z")
        const n = yield* store.insertRows(systemdServices.table, rows.map((r) => ({ ...r, time, device_id: dev.id })))
        const back = yield* store.history({ table: systemdServices.table, deviceId: dev.id, limit: 1000 })
        return { n, back }
      })
      const { n, back } = await Effect.runPromise(Effect.provide(program, backend.layer(uniqueSchema("sdsvc"))))
      assert.equal(n, 119)
      const cron = back.find((r) => r["unit"] === "cron.service")
      assert.equal(cron?.["restarts"], 3)
      assert.equal(cron?.["main_pid"], 812)
      assert.equal((cron?.["data"] as { since: string }).since, "Mon 2024-01-01 10:00:00 UTC")
    })
  })
}

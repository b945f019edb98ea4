import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, test } from "node:test"
import { Result } from "effect"
import { ParseError, ValidationError } from "../src/domain/errors.ts"
import {
  decodeSmartExitStatus,
  diskFromSection,
  type DiskHealth,
  type DriveHealth,
  parseDiskstats,
  parseDriveHealth,
  parseLsblk,
  parseLsblkJson,
  parseSmartctlJson,
  parseSmartScan,
} from "../src/collectors/drive-health/parse-drive-health.ts"
import { MARKER, splitSections } from "../src/collectors/shared/sections.ts"
import { driveHealth, driveHealthScript } from "../src/collectors/drive-health/drive-health.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { driveHealthShims, LSBLK_JSON_FIXTURE } from "./harness/shims/drives.ts"

const ok = <A>(r: Result.Result<A, ParseError>, what: string): A => {
  if (Result.isFailure(r)) assert.fail(`${what}: unexpected ParseError: ${r.failure.message} at ${r.failure.at}`)
  return r.success
}
const parseErr = <A>(r: Result.Result<A, ParseError>, what: string): ParseError => {
  if (Result.isSuccess(r)) assert.fail(`${what}: expected a ParseError, got a value`)
  assert.ok(r.failure instanceof ParseError, `${what}: failure is a ParseError`)
  assert.equal(r.failure.dataType, "drive_health")
  assert.ok(r.failure.message.length > 10, `${what}: ParseError message names the problem`)
  return r.failure
}
const smart = (file: string): DiskHealth => ok(parseSmartctlJson(readFixture("smartctl", file)), file)

const commandResult = (stdout: string, extra: Partial<CommandResult> = {}): CommandResult => ({
  stdout,
  stderr: "",
  exitCode: 0,
  durationMs: 1,
  bytes: stdout.length,
  truncated: false,
  ...extra,
})
/** Frame a body exactly as sections.ts's `section()` does on the host. */
const frame = (name: string, body: string, rc: number): string =>
  `\n${MARKER} ${name}\n${body}\n${MARKER}-rc ${name} ${rc}\n`

describe("smartctl fixtures", () => {
  const files = listFixtures("smartctl")

  test("every smartctl fixture parses with the parser its name selects", () => {
    assert.ok(files.length >= 40)
    for (const f of files) {
      const text = readFixture("smartctl", f)
      if (/_scan(_|\.)/.test(f)) {
        const scan = ok(parseSmartScan(text), f)
        assert.ok(scan.devices.length > 0, `${f}: scan lists devices`)
      } else {
        const d = ok(parseSmartctlJson(text), f)
        assert.ok(d.device_path.startsWith("/dev/"), `${f}: device path`)
      }
    }
  })

  test("scan output given to the device parser is a ParseError that says so", () => {
    const e = parseErr(parseSmartctlJson(readFixture("smartctl", "telegraf_scan.json")), "scan as device")
    assert.match(e.message, /--scan/)
  })

  test("SATA HDD with 304 reallocated sectors", () => {
    const d = smart("exporter_sata-hdd_st3500418as_reallocated-304.json")
    assert.equal(d.protocol, "ATA")
    assert.equal(d.model, "ST3500418AS")
    assert.equal(d.ata?.reallocated_sectors, 304)
    assert.equal(d.ata?.pending_sectors, 0)
    assert.equal(d.ata?.offline_uncorrectable, 0)
    assert.equal(d.temperature_c, 33)
    assert.equal(d.power_on_hours, 44668)
    assert.equal(d.power_cycles, 26)
    assert.equal(d.rotation_rate_rpm, 7200)
    assert.equal(d.ssd, false)
    assert.equal(d.smart_passed, true)
    assert.equal(d.status, "warning")
    assert.deepEqual(d.reasons, ["reallocated_sectors=304"])
  })

  test("failing USB-bridged HDD: smart_status failed, exit 216 decoded", () => {
    const d = smart("scrutiny_usb-jmicron_hitachi-hdd_smart-failed.json")
    assert.equal(d.status, "failing")
    assert.equal(d.smart_passed, false)
    assert.equal(d.device_type, "usbjmicron")
    assert.equal(d.exit_status, 216)
    assert.deepEqual(d.exit_flags, [
      "disk_failing",
      "prefail_attributes_below_threshold",
      "error_log_has_errors",
      "self_test_log_has_errors",
    ])
    assert.equal(d.ata?.reallocated_sectors, 1975)
    assert.equal(d.ata?.pending_sectors, 8)
    assert.ok(d.reasons.includes("smart_status_failed"))
    assert.ok(d.reasons.includes("attribute_failing_now:Reallocated_Sector_Ct"))
    assert.equal(d.firmware, "MS1OA650")
    assert.equal(d.capacity_bytes, 500107862016)
  })

  test("exit 64 (error log has errors) plus CRC errors is a warning, JSON still parsed", () => {
    const d = smart("exporter_sata-hdd_hgst-hus724020ale640_exit64.json")
    assert.deepEqual(d.exit_flags, ["error_log_has_errors"])
    assert.equal(d.status, "warning")
    assert.deepEqual(d.reasons, ["exit:error_log_has_errors", "crc_errors=12"])
    assert.equal(d.ata?.crc_errors, 12)
    assert.equal(d.power_on_hours, 83425)
    // attribute 194 raw value is packed (Min/Max); temperature comes from temperature.current
    assert.equal(d.temperature_c, 26)
    assert.ok((d.ata?.attributes.length ?? 0) > 10, "full attribute table kept")
  })

  test("exit 4 (a SMART command failed) is only a flag", () => {
    const d = smart("exporter_sata-ssd_kingston-sa400_exit4.json")
    assert.deepEqual(d.exit_flags, ["smart_command_failed"])
    assert.equal(d.ssd, true)
    assert.equal(d.ata?.reallocated_sectors, null, "SA400 has no attribute 5")
    assert.equal(d.status, "ok")
  })

  test("NVMe health log", () => {
    const d = smart("exporter_nvme_hgst-sn200-husmr7632.json")
    assert.equal(d.protocol, "NVMe")
    assert.equal(d.ssd, true)
    assert.equal(d.capacity_bytes, 3204045602816)
    assert.deepEqual(
      { ...d.nvme },
      {
        critical_warning: 0,
        percentage_used: 5,
        available_spare: 100,
        available_spare_threshold: 10,
        media_errors: 0,
        unsafe_shutdowns: 29,
        error_log_entries: 34,
        data_units_read: 790641770,
        data_units_written: 2824080560,
      },
    )
    assert.equal(d.temperature_c, 40)
    assert.equal(d.power_on_hours, 482)
    assert.equal(d.power_cycles, 53)
    assert.equal(d.status, "ok")
  })

  test("NVMe with media errors is a warning", () => {
    const d = smart("scrutiny_nvme_samsung-970evo_failed.json")
    assert.equal(d.nvme?.media_errors, 7)
    assert.equal(d.nvme?.percentage_used, 3)
    assert.equal(d.status, "warning")
    assert.deepEqual(d.reasons, ["nvme_media_errors=7"])
    assert.equal(d.serial, "S466NX0M776250H")
  })

  test("SAS disk: grown defects and error counter log", () => {
    const d = smart("exporter_sas_hitachi-h109060sesun600g.json")
    assert.equal(d.protocol, "SCSI")
    assert.equal(d.transport, "SAS (SPL-4)")
    assert.equal(d.model, "HITACHI H109060SESUN600G")
    assert.equal(d.firmware, "A31A")
    assert.equal(d.rotation_rate_rpm, 10020)
    assert.equal(d.capacity_bytes, 600127266816)
    assert.equal(d.power_on_hours, 22364)
    assert.equal(d.power_cycles, 70)
    assert.equal(d.temperature_c, 26)
    assert.deepEqual({ ...d.scsi }, {
      grown_defects: 0,
      uncorrected_errors: 0,
      uncorrected_read: 0,
      uncorrected_write: 0,
      uncorrected_verify: 0,
    })
    assert.equal(d.status, "ok")
    const old = smart("scrutiny_sas_seagate-st1200mm0088_v6.7.json")
    assert.equal(old.model, "SEAGATE ST1200MM0088")
    assert.equal(old.firmware, "N004")
    assert.equal(old.scsi?.uncorrected_verify, null, "smartctl 6.7 log has no verify row")
    assert.equal(old.smartctl_version, "6.7")
    // SCSI "SMART disabled" (IEC mode page) with health data is still read, not "unsupported"
    const disabled = smart("exporter_sas_seagate-st373453lc.json")
    assert.equal(disabled.smart_enabled, false)
    assert.equal(disabled.status, "ok")
    const defects = smart("scrutiny_sas_seagate-st4000nm0043.json")
    assert.equal(defects.scsi?.grown_defects, 56)
    assert.equal(defects.status, "warning")
  })

  test("error-only JSON is a disk with status error, not a parse failure", () => {
    const d = smart("scrutiny_error_no-device.json")
    assert.equal(d.status, "error")
    assert.equal(d.exit_status, 2)
    assert.deepEqual(d.exit_flags, ["device_open_failed"])
    assert.match(d.message ?? "", /Open failed/)
    assert.equal(d.device_path, "/dev/sda", "taken from smartctl argv")
  })

  test("RAID volume without SMART data is unsupported; its 0 °C is no reading", () => {
    const d = smart("scrutiny_scsi_intel-raid1-volume.json")
    assert.equal(d.status, "unsupported")
    assert.equal(d.temperature_c, null)
    assert.equal(d.model, "Intel Raid 1 Volume")
  })

  test("SSD with rotation_rate 0, smart_support bool/object, minimal health", () => {
    const sm = smart("exporter_sata-ssd_samsung-sm863_rotation0.json")
    assert.equal(sm.ssd, true)
    assert.equal(sm.rotation_rate_rpm, null)
    assert.equal(smart("scrutiny_info_sata_smart-support-bool.json").smart_available, true)
    assert.equal(smart("scrutiny_info_sata_smart-support-object.json").smart_enabled, true)
    const min = smart("scrutiny_sat_pass-minimal.json")
    assert.equal(min.status, "ok")
    assert.equal(min.smart_passed, true)
  })

  test("scan outputs", () => {
    const scan = ok(parseSmartScan(readFixture("smartctl", "telegraf_scan.json")), "scan")
    assert.deepEqual(scan.devices[1], { name: "/dev/nvme0", info_name: "/dev/nvme0", type: "nvme", protocol: "NVMe" })
    const mega = ok(parseSmartScan(readFixture("smartctl", "telegraf_scan_megaraid.json")), "megaraid scan")
    assert.equal(mega.devices.length, 10)
    assert.equal(mega.devices[3]?.type, "megaraid,8")
    parseErr(parseSmartScan(readFixture("smartctl", "exporter_nvme_micron-7450.json")), "device JSON as scan")
  })

  test("exit status bitmask", () => {
    assert.deepEqual(decodeSmartExitStatus(0), [])
    assert.deepEqual(decodeSmartExitStatus(4), ["smart_command_failed"])
    assert.deepEqual(decodeSmartExitStatus(64), ["error_log_has_errors"])
    assert.deepEqual(decodeSmartExitStatus(3), ["command_line_error", "device_open_failed"])
    assert.deepEqual(decodeSmartExitStatus(127), [
      "command_line_error",
      "device_open_failed",
      "smart_command_failed",
      "disk_failing",
      "prefail_attributes_below_threshold",
      "attributes_below_threshold_in_past",
      "error_log_has_errors",
    ])
    assert.deepEqual(decodeSmartExitStatus(256), [])
    assert.deepEqual(decodeSmartExitStatus(-1), [])
  })
})

describe("per-disk sections (standby, permissions, missing tool)", () => {
  // Synthetic, in the exact shape smartmontools prints (ataprint.cpp: jinf "Device is in %s mode, exit(%d)").
  const standbyJson =
    `{"json_format_version":[1,0],"smartctl":{"version":[7,3],"exit_status":2,"messages":[{"string":"Device is in STANDBY mode, exit(2)","severity":"information"}]},"device":{"name":"/dev/sdb","info_name":"/dev/sdb [SAT]","type":"sat","protocol":"ATA"}}`
  const deniedJson =
    `{"smartctl":{"version":[7,4],"exit_status":2,"messages":[{"string":"Smartctl open device: /dev/sda failed: Permission denied","severity":"error"}]}}`

  test("standby: recorded, never an error", () => {
    const d = diskFromSection("/dev/sdb", standbyJson, 2)
    assert.equal(d.status, "standby")
    assert.deepEqual(d.exit_flags, ["device_open_failed"])
    assert.match(d.message ?? "", /STANDBY/)
  })

  test("permission problems from smartctl JSON and from sudo -n", () => {
    assert.equal(diskFromSection("/dev/sda", deniedJson, 2).status, "permission_denied")
    const sudo = diskFromSection("/dev/sda", "sudo: a password is required", 1)
    assert.equal(sudo.status, "permission_denied")
    assert.equal(sudo.message, "sudo: a password is required")
    const eperm = diskFromSection("/dev/nvme0", "Smartctl open device: /dev/nvme0 failed: Operation not permitted", 2)
    assert.equal(eperm.status, "permission_denied")
  })

  test("missing smartctl, empty output and broken JSON are disks with status error", () => {
    const missing = diskFromSection("/dev/sda", "sh: 1: smartctl: not found", 127)
    assert.equal(missing.status, "error")
    assert.deepEqual(missing.reasons, ["smartctl_missing"])
    assert.equal(diskFromSection("/dev/sda", "", 1).status, "error")
    const broken = diskFromSection("/dev/sda", '{"smartctl": {', 0)
    assert.equal(broken.status, "error")
    assert.match(broken.message ?? "", /invalid JSON/)
  })

  test("a virtio disk smartctl cannot identify is unsupported", () => {
    // Shape smartctl 7.x prints for /dev/vda (synthetic): error message, exit 1, no device object.
    const body =
      `{"smartctl":{"version":[7,3],"exit_status":1,"messages":[{"string":"/dev/vda: Unable to detect device type","severity":"error"}]}}`
    const d = diskFromSection("/dev/vda", body, 1)
    assert.equal(d.status, "unsupported")
    assert.deepEqual(d.exit_flags, ["command_line_error"])
  })

  test("shell exit code is used when the JSON carries none", () => {
    const body = readFixture("smartctl", "scrutiny_sas_seagate-st4000nm0043.json")
    const d = diskFromSection("/dev/sdz", body, 64)
    assert.equal(d.exit_status, 64)
    assert.deepEqual(d.exit_flags, ["error_log_has_errors"])
    assert.equal(d.status, "warning")
    assert.equal(d.device_path, "/dev/sdz")
  })
})

describe("drives fixtures (lsblk, /proc/diskstats)", () => {
  // df outputs live in this shared folder but belong to a filesystem-usage type, not drive_health.
  const notDriveHealth = (f: string) => f.includes("__df")
  const files = listFixtures("drives")

  test("every drives fixture is claimed: parses, gives a ParseError, or is explicitly another type's", () => {
    for (const f of files) {
      const text = readFixture("drives", f)
      if (notDriveHealth(f)) continue
      if (f.includes("diskstats")) {
        assert.ok(ok(parseDiskstats(text), f).length > 0, f)
      } else if (f.includes("lsblk_simple")) {
        assert.match(parseErr(parseLsblk(text), f).message, /not machine-readable/)
      } else if (f.includes("lsblk")) {
        assert.ok(ok(parseLsblk(text), f).devices.length > 0, f)
      } else {
        assert.fail(`${f}: no drive_health parser claims this fixture`)
      }
    }
    assert.equal(files.filter(notDriveHealth).length, 6)
  })

  test("lsblk -J -b: nested children flattened, sizes exact", () => {
    const r = ok(parseLsblkJson(readFixture("drives", LSBLK_JSON_FIXTURE)), "diskEye")
    const by = (n: string) => r.devices.find((d) => d.name === n)
    assert.equal(r.devices.filter((d) => d.parent === null).length, 6)
    assert.equal(r.devices.length, 20)
    assert.equal(by("sda")?.size_bytes, 500107862016)
    assert.equal(by("sda")?.model, "HDD 500GB")
    assert.equal(by("sda")?.transport, "sata")
    assert.equal(by("sdc")?.size_bytes, 0)
    const root = by("vg_system-lv_root")
    assert.equal(root?.path, "/dev/mapper/vg_system-lv_root")
    assert.equal(root?.kname, "dm-1")
    assert.equal(root?.parent, "nvme1n1p2")
    assert.deepEqual(root?.mountpoints, ["/"])
  })

  test("lsblk -J with human sizes and padded models", () => {
    const r = ok(parseLsblk(readFixture("drives", "node-debug-dashboard__lsblk-J_talos-longhorn-iscsi.json")), "talos")
    const sda = r.devices.find((d) => d.name === "sda")
    assert.equal(sda?.model, "PNY CS900 240GB")
    assert.equal(sda?.size_bytes, null)
    assert.equal(sda?.size_text, "223.6G")
    assert.equal(sda?.rotational, false)
    assert.equal(r.devices.find((d) => d.name === "sdc")?.model, "VIRTUAL-DISK")
    assert.deepEqual(r.devices.find((d) => d.name === "sda4")?.mountpoints, ["/host/var"])
  })

  test("lsblk -P pairs, with and without lsblk warnings", () => {
    const p = ok(parseLsblk(readFixture("drives", "insights__lsblk-P-pairs.txt")), "pairs")
    assert.equal(p.devices.length, 7)
    assert.equal(p.devices[0]?.model, "DVD+-RW DVD8801")
    assert.equal(p.devices[1]?.rotational, true)
    assert.equal(p.devices[1]?.size_text, "149G")
    assert.deepEqual(p.devices[4]?.mountpoints, ["/"])
    const f = ok(parseLsblk(readFixture("drives", "insights__lsblk_failed-path-errors.txt")), "failed path")
    assert.equal(f.warnings.length, 4)
    assert.equal(f.devices.length, 1)
    assert.equal(f.devices[0]?.model, "PERC H710P")
  })

  test("/proc/diskstats: 14, 18 and 20 field lines", () => {
    const jc = ok(parseDiskstats(readFixture("drives", "jc__proc-diskstats.txt")), "jc")
    assert.equal(jc.length, 15)
    const sda = jc.find((d) => d.name === "sda")
    assert.equal(sda?.reads_completed, 14200)
    assert.equal(sda?.bytes_read, 892828 * 512)
    assert.equal(sda?.bytes_written, 715384 * 512)
    assert.equal(sda?.flushes_completed, 0)
    const ne = ok(parseDiskstats(readFixture("drives", "node_exporter__proc-diskstats.txt")), "node_exporter")
    const dev = (n: string) => ne.find((d) => d.name === n)
    assert.equal(dev("sda")?.discards_completed, null)
    assert.equal(dev("sda")?.weighted_io_time_ms, 82621804)
    assert.equal(dev("sdb")?.discards_completed, 68851)
    assert.equal(dev("sdb")?.flushes_completed, null)
    assert.equal(dev("sdc")?.flushes_completed, 1555)
    assert.equal(dev("sdc")?.flush_time_ms, 1944)
    assert.match(parseErr(parseDiskstats("   8 0 sda 1 2 3\n"), "short").message, /fields/)
    assert.equal(parseErr(parseDiskstats("8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n"), "nan").at, "line 1")
  })
})

describe("drive_health composed parser", () => {
  const lsblkJson = readFixture("drives", LSBLK_JSON_FIXTURE)
  const stats = readFixture("drives", "jc__proc-diskstats.txt")

  test("inventory fills what smartctl could not say; IO totals attached by kernel name", () => {
    const stdout = frame("lsblk", lsblkJson, 0) +
      frame("diskstats", stats, 0) +
      frame("smart:/dev/sda", "sudo: a password is required", 1) +
      frame("smart:/dev/nvme0n1", readFixture("smartctl", "scrutiny_nvme_samsung-970evo_failed.json"), 0)
    const d = ok(parseDriveHealth(commandResult(stdout), { sudo: "true" }), "composed")
    assert.equal(d.sudo, true)
    assert.equal(d.disks.length, 2)
    const [sda, nvme] = d.disks
    assert.equal(sda?.status, "permission_denied")
    assert.equal(sda?.model, "HDD 500GB", "model from lsblk")
    assert.equal(sda?.capacity_bytes, 500107862016)
    assert.equal(sda?.io?.reads_completed, 14200)
    assert.equal(nvme?.model, "Samsung SSD 970 EVO 500GB", "smartctl wins over lsblk")
    assert.equal(nvme?.io, null, "jc diskstats has no nvme0n1")
    const rows = driveHealth.toRows(d)
    assert.equal(rows.length, 2)
    assert.deepEqual({ ...rows[1], data: undefined }, {
      device_path: "/dev/nvme0n1",
      model: "Samsung SSD 970 EVO 500GB",
      serial: "S466NX0M776250H",
      protocol: "NVMe",
      status: "warning",
      smart_passed: true,
      temperature_c: 35,
      power_on_hours: 12798,
      reallocated_sectors: null,
      pending_sectors: null,
      uncorrectable_sectors: null,
      percentage_used: 3,
      data: undefined,
    })
  })

  test("missing optional tools are data, missing sections and bad JSON are ParseErrors", () => {
    const noLsblk = ok(
      parseDriveHealth(commandResult(frame("lsblk", "", 127) + frame("diskstats", "", 1)), {}),
      "no lsblk",
    )
    assert.equal(noLsblk.inventory.available, false)
    assert.equal(noLsblk.diskstats.available, false)
    assert.deepEqual(noLsblk.disks, [])
    assert.match(
      parseErr(parseDriveHealth(commandResult(frame("diskstats", stats, 0)), {}), "no lsblk section").message,
      /lsblk/,
    )
    assert.match(
      parseErr(
        parseDriveHealth(commandResult(frame("lsblk", "{oops", 0) + frame("diskstats", stats, 0)), {}),
        "bad lsblk",
      ).message,
      /invalid JSON/,
    )
    assert.match(
      parseErr(
        parseDriveHealth(commandResult(frame("lsblk", lsblkJson, 0) + frame("diskstats", "1 2", 0)), {}),
        "bad diskstats",
      ).at ?? "",
      /diskstats line 1/,
    )
    const truncated = commandResult(frame("lsblk", lsblkJson, 0), { truncated: true })
    assert.match(parseErr(parseDriveHealth(truncated, {}), "truncated").message, /truncated/)
  })

  test("script params are validated and quoted", () => {
    assert.throws(() => driveHealthScript({ sudo: "yes" }), ValidationError)
    assert.throws(() => driveHealthScript({ device: "/dev/sda; reboot" }), ValidationError)
    assert.throws(() => driveHealthScript({ device: "/etc/passwd" }), ValidationError)
    assert.throws(() => driveHealthScript({ device: "/dev/../etc/shadow" }), ValidationError)
    assert.match(driveHealthScript({ sudo: "true" }), /sudo -n smartctl -j -a -n standby "\$dev"/)
    assert.doesNotMatch(driveHealthScript({}), /sudo/)
  })
})

describe("script + shims through /bin/sh", () => {
  const run = (script: string): CommandResult => {
    const dir = mkdtempSync(path.join(tmpdir(), "drive-health-shims-"))
    try {
      for (const [tool, body] of Object.entries(driveHealthShims)) {
        const p = path.join(dir, tool)
        writeFileSync(p, body)
        chmodSync(p, 0o755)
      }
      const r = spawnSync("/bin/sh", ["-c", script], {
        env: { ...process.env, PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` },
        encoding: "utf8",
      })
      const stdout = r.stdout ?? ""
      return commandResult(stdout, { stderr: r.stderr ?? "", exitCode: r.status ?? -1, bytes: stdout.length })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  test("discovery loop: three disks, exit codes carried, parse agrees with script", () => {
    const result = run(driveHealthScript({}))
    assert.equal(result.stderr, "")
    const sections = splitSections(result.stdout)
    assert.equal(sections.get("smart:/dev/sda")?.exitCode, 64, "shim exit status reaches the section")
    const d: DriveHealth = ok(driveHealth.parse(result, {}), "shim run")
    assert.deepEqual(d.disks.map((x) => x.device_path), ["/dev/sda", "/dev/sdb", "/dev/nvme0n1"])
    assert.deepEqual(d.disks.map((x) => x.status), ["warning", "ok", "warning"])
    assert.deepEqual(d.disks[0]?.reasons, ["exit:error_log_has_errors"])
    assert.equal(d.disks[0]?.model, "WDC WD5002ABYS-02B1B0")
    assert.equal(d.disks[1]?.protocol, "SCSI")
    assert.equal(d.inventory.available, true)
    assert.equal(
      d.inventory.devices.length,
      ok(parseLsblkJson(readFixture("drives", LSBLK_JSON_FIXTURE)), "lsblk").devices.length,
    )
    // /proc/diskstats is the test machine's own file: only its presence is predictable.
    assert.equal(d.diskstats.available, existsSync("/proc/diskstats"))
    assert.equal(driveHealth.toRows(d).length, 3)
  })

  test("device param: one disk, smartctl open failure is a disk with status error", () => {
    const d = ok(driveHealth.parse(run(driveHealthScript({ device: "/dev/sdd" })), {}), "one device")
    assert.equal(d.disks.length, 1)
    assert.equal(d.disks[0]?.device_path, "/dev/sdd")
    assert.equal(d.disks[0]?.status, "error")
    assert.equal(d.disks[0]?.exit_status, 2)
    assert.equal(d.disks[0]?.model, "Card Reader", "inventory fallback")
  })
})

describe("robustness: truncated and mutated input never throws", () => {
  // Small deterministic PRNG so failures are reproducible.
  const rng = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const mutations = (text: string, seed: number): Array<string> => {
    const r = rng(seed)
    const out: Array<string> = []
    for (let i = 0; i < 12; i++) out.push(text.slice(0, Math.floor(r() * text.length)))
    for (let i = 0; i < 12; i++) {
      const chars = [...text]
      for (let k = 0; k < 4; k++) chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 128))
      out.push(chars.join(""))
    }
    return out
  }
  const total = <A>(r: Result.Result<A, ParseError>, what: string) => {
    if (Result.isFailure(r)) assert.ok(r.failure instanceof ParseError, what)
  }

  test("smartctl, scan, lsblk, diskstats parsers", () => {
    for (const f of listFixtures("smartctl")) {
      for (const [i, m] of mutations(readFixture("smartctl", f), f.length).entries()) {
        total(parseSmartctlJson(m), `${f}#${i}`)
        total(parseSmartScan(m), `${f}#${i} scan`)
        assert.ok(typeof diskFromSection("/dev/x", m, 0).status === "string")
      }
    }
    for (const f of listFixtures("drives")) {
      for (const [i, m] of mutations(readFixture("drives", f), f.length).entries()) {
        total(parseLsblk(m), `${f}#${i}`)
        total(parseDiskstats(m), `${f}#${i} diskstats`)
      }
    }
    // Wrong JSON shapes in the right syntax.
    for (
      const odd of [
        "null",
        "[]",
        "42",
        '"x"',
        '{"blockdevices":[{"name":1}]}',
        '{"blockdevices":[{"name":"a","type":"disk","children":7}]}',
        '{"smartctl":null,"device":[]}',
      ]
    ) {
      total(parseLsblk(odd), odd)
      total(parseSmartctlJson(odd), odd)
      total(parseSmartScan(odd), odd)
    }
  })

  test("composed parser on cut script output", () => {
    const stdout = frame("lsblk", readFixture("drives", LSBLK_JSON_FIXTURE), 0) +
      frame("diskstats", readFixture("drives", "procfs__proc-diskstats.txt"), 0) +
      frame("smart:/dev/sda", readFixture("smartctl", "exporter_sata-hdd_toshiba-mg09aca18te.json"), 0)
    for (const [i, m] of mutations(stdout, 7).entries()) total(parseDriveHealth(commandResult(m), {}), `cut#${i}`)
  })
})

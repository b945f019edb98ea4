import assert from "node:assert/strict"
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { after, describe, it } from "node:test"
import { PGlite } from "@electric-sql/pglite"
import { Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import {
  parsePctList,
  parsePvesmStatus,
  parseQmList,
  parseVirshDominfo,
  parseVirshList,
  parseVirshNodeinfo,
  parseVmStatus,
  type VmStatus,
} from "../src/collectors/vm-status/parse-vm-status.ts"
import { section } from "../src/collectors/shared/sections.ts"
import { vmStatus } from "../src/collectors/vm-status/vm-status.ts"
import { shq } from "../src/domain/quote.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { runScriptWithShims, vmStatusShims } from "./harness/shims/vms.ts"
import { mutations as mutate, ok, parseErrorOf } from "./harness/results.ts"

const CATEGORY = "vms"

/** Which parser reads which recorded output (by file name); a new fixture without a rule fails the suite. */
const parserFor = (file: string): (text: string) => Result.Result<unknown, ParseError> => {
  if (file.includes("virsh-list") || file.includes("virsh-r-list")) return parseVirshList
  if (file.includes("virsh-dominfo")) return parseVirshDominfo
  if (file.includes("qm-list")) return parseQmList
  if (file.includes("pvesm-status")) return parsePvesmStatus
  throw new Error(`no parser rule for fixture ${file}`)
}

const parseError = (r: Result.Result<unknown, ParseError>): ParseError => parseErrorOf(r, "vm_status")

const mutations = (text: string, seed: number, count: number): Array<string> =>
  mutate(text, seed, count, [":", " ", "\n", "-", "0", "9", "{", '"', "\t", "x", "%", "@"])

/** Output of a script made of real section() framing around given bodies and exit codes. */
const framed = (parts: ReadonlyArray<readonly [name: string, body: string, rc: number]>): CommandResult =>
  runScriptWithShims(
    {},
    parts.map(([name, body, rc]) => section(name, `printf '%s\\n' ${shq(body)}; (exit ${rc})`)).join("\n"),
  )

describe("vm_status fixtures", () => {
  for (const file of listFixtures(CATEGORY)) {
    it(`${file}: parses with its parser`, () => {
      // Every recorded vms output is well-formed: each must parse (none is expected to be refused).
      const result = parserFor(file)(readFixture(CATEGORY, file))
      ok(result)
    })
  }

  it("older virsh list --all: wide columns, paused and shut off domains", () => {
    const rows = ok(parseVirshList(readFixture(CATEGORY, "insights__virsh-list-all_older-wide-columns.txt")))
    assert.equal(rows.length, 13)
    assert.deepEqual(rows[0], { id: "2", name: "rhel7.4", state_raw: "running" })
    assert.deepEqual(rows[1], { id: "4", name: "rhel7.0", state_raw: "paused" })
    assert.deepEqual(rows[6], { id: null, name: "fedora-saio_fedoraSaio", state_raw: "shut off" })
    assert.equal(rows.filter((r) => r.state_raw === "shut off").length, 11)
  })

  it("misaligned virsh -r list row still splits into id, name, state", () => {
    const rows = ok(parseVirshList(readFixture(CATEGORY, "libvirt-whmcs__virsh-r-list_older-format.txt")))
    assert.deepEqual(rows, [{ id: "35", name: "nextcloud_a.119.36.74", state_raw: "running" }])
  })

  it("list followed by nodeinfo: the list stops at its blank line, nodeinfo parses from the rest", () => {
    const text = readFixture(CATEGORY, "libvirt__virsh-list_and_nodeinfo.txt")
    assert.deepEqual(ok(parseVirshList(text)), [{ id: "1", name: "test", state_raw: "running" }])
    const node = ok(parseVirshNodeinfo(text.slice(text.indexOf("\n\n") + 2)))
    assert.deepEqual(node, {
      cpu_model: "i686",
      cpus: 16,
      cpu_mhz: 1400,
      sockets: 2,
      cores_per_socket: 2,
      threads_per_core: 2,
      numa_cells: 2,
      memory_bytes: 3145728 * 1024,
    })
  })

  it("dominfo: uuid, vcpus, memory in bytes, persistence, autostart", () => {
    const d = ok(parseVirshDominfo(readFixture(CATEGORY, "libvirt__virsh-dominfo_fc4.txt")))
    assert.equal(d.id, "2")
    assert.equal(d.name, "fc4")
    assert.equal(d.uuid, "ef861801-45b9-11cb-88e3-afbfe5370493")
    assert.equal(d.vcpus, 1)
    assert.equal(d.max_memory_bytes, 261072 * 1024)
    assert.equal(d.memory_bytes, 131072 * 1024)
    assert.equal(d.persistent, true)
    assert.equal(d.autostart, false)
    assert.equal(d.cpu_time_seconds, null)
  })

  it("qm list: right-aligned VMIDs, a name with a space, PIDs, sizes", () => {
    const rows = ok(parseQmList(readFixture(CATEGORY, "it-stuff__proxmox-8.3__qm-list.txt")))
    assert.equal(rows.length, 8)
    assert.deepEqual(rows[1], {
      vmid: 104,
      name: "VM 104",
      status: "stopped",
      memory_bytes: 24000 * 1024 * 1024,
      bootdisk_bytes: 128 * 1024 ** 3,
      pid: 0,
    })
    assert.equal(rows.find((r) => r.vmid === 191)?.name, "BNW-W25S-PG")
    assert.equal(rows.filter((r) => r.status === "running").length, 6)
  })

  it("pvesm status: KiB sizes to bytes, usage percent", () => {
    const storages = ok(parsePvesmStatus(readFixture(CATEGORY, "it-stuff__proxmox-8.3__pvesm-status.txt")))
    assert.deepEqual(
      storages.map((s) => s.name),
      ["fastpool", "isopool", "local", "saspool", "satapool"],
    )
    assert.equal(storages[0]?.total_bytes, 1934547328 * 1024)
    assert.equal(storages[0]?.used_percent, 7.05)
    assert.equal(storages[4]?.available_bytes, 17063580416 * 1024)
  })

  it("pct list: the blank Lock column is cut at the header's offsets", () => {
    // No recorded `pct list` exists in the fixtures; these lines follow pct's printf("%-10s %-10s %-12s %-20s").
    const line = (a: string, b: string, c: string, d: string) =>
      `${a.padEnd(10)} ${b.padEnd(10)} ${c.padEnd(12)} ${d.padEnd(20)}`
    const text = [
      line("VMID", "Status", "Lock", "Name"),
      line("100", "running", "", "web"),
      line("101", "stopped", "backup", "db one"),
    ].join("\n")
    assert.deepEqual(ok(parsePctList(text)), [
      { vmid: 100, status: "running", lock: null, name: "web" },
      { vmid: 101, status: "stopped", lock: "backup", name: "db one" },
    ])
    assert.deepEqual(ok(parsePctList("")), [])
  })

  it("malformed outputs give ParseErrors that say what is wrong", () => {
    assert.match(parseError(parseVirshList("")).message, /printed nothing/)
    assert.match(parseError(parseVirshList(" Id Name State\nrow\n")).message, /dashed rule/)
    const list = readFixture(CATEGORY, "libvirt__virsh-list_3-running.txt")
    const e = parseError(parseVirshList(`${list.trimEnd()}\nthis is not a row`))
    assert.match(e.message, /not 'Id Name State'/)
    assert.equal(e.at, "line 6")
    assert.match(parseError(parseQmList("VMID NAME\n1 x\n")).message, /header/)
    assert.match(parseError(parseVirshDominfo("Id: 3\n")).message, /Name/)
    assert.match(
      parseError(parsePvesmStatus(readFixture(CATEGORY, "it-stuff__proxmox-8.3__qm-list.txt"))).message,
      /header/,
    )
  })

  it("truncated or mutated fixtures never throw: a value or a ParseError", () => {
    for (const file of listFixtures(CATEGORY)) {
      const text = readFixture(CATEGORY, file)
      for (const variant of mutations(text, file.length, 60)) {
        for (
          const parse of [
            parseVirshList,
            parseVirshDominfo,
            parseVirshNodeinfo,
            parseQmList,
            parsePctList,
            parsePvesmStatus,
          ]
        ) {
          const r = (parse as (t: string) => Result.Result<unknown, ParseError>)(variant)
          if (Result.isFailure(r)) {
            assert.ok(r.failure instanceof ParseError)
            assert.ok(r.failure.message.length > 0)
          }
        }
      }
    }
  })
})

describe("vm_status script against shimmed hypervisors", () => {
  const run = () => runScriptWithShims(vmStatusShims, vmStatus.script({}))

  it("libvirt and Proxmox sections parse together", () => {
    const s: VmStatus = ok(vmStatus.parse(run(), {}))
    assert.deepEqual(s.hypervisors, {
      libvirt: { status: "ok", exit_code: 0 },
      proxmox_qemu: { status: "ok", exit_code: 0 },
      proxmox_lxc: { status: "ok", exit_code: 0 },
    })
    const libvirt = s.vms.filter((v) => v.hypervisor === "libvirt")
    assert.deepEqual(
      libvirt.map((v) => v.name),
      ["fv0", "fc4", "fc5"],
    )
    const fc4 = libvirt[1]
    assert.equal(fc4?.uuid, "ef861801-45b9-11cb-88e3-afbfe5370493")
    assert.equal(fc4?.vcpus, 1)
    assert.equal(fc4?.memory_bytes, 131072 * 1024)
    // fv0 has no recorded dominfo: listed, not enriched.
    assert.equal(libvirt[0]?.vcpus, null)
    assert.equal(s.vms.filter((v) => v.hypervisor === "proxmox-qemu").length, 8)
    assert.equal(s.vms.filter((v) => v.hypervisor === "proxmox-lxc").length, 0)
    assert.equal(s.node?.cpus, 16)
    const pbs = s.vms.find((v) => v.name === "PBS")
    assert.equal(pbs?.state, "running")
    assert.equal(pbs?.pid, 3031)
  })

  it("rows: one per VM with a stable vm_id (uuid, else name; Proxmox VMID)", () => {
    const rows = vmStatus.toRows(ok(vmStatus.parse(run(), {})))
    assert.equal(rows.length, 11)
    assert.deepEqual(rows[1], {
      vm_id: "ef861801-45b9-11cb-88e3-afbfe5370493",
      name: "fc4",
      hypervisor: "libvirt",
      state: "running",
      vcpus: 1,
      memory_bytes: 131072 * 1024,
      data: ok(vmStatus.parse(run(), {})).vms[1],
    })
    assert.equal(rows[0]?.["vm_id"], "fv0")
    assert.equal(rows.find((r) => r["name"] === "VM 104")?.["vm_id"], "104")
  })

  it("no hypervisor tools: every hypervisor missing, no VMs, no error", (t) => {
    const sbin = ["virsh", "qm", "pct"].some((tool) =>
      ["/usr/local/sbin", "/usr/sbin", "/sbin"].some((d) => existsSync(`${d}/${tool}`))
    )
    if (sbin) return t.skip("this machine has a hypervisor tool in an sbin dir the script adds to PATH")
    const s = ok(vmStatus.parse(runScriptWithShims({}, vmStatus.script({}), { hostTools: ["id", "head"] }), {}))
    assert.deepEqual(s.hypervisors, {
      libvirt: { status: "missing", exit_code: 127 },
      proxmox_qemu: { status: "missing", exit_code: 127 },
      proxmox_lxc: { status: "missing", exit_code: 127 },
    })
    assert.deepEqual(s.vms, [])
    assert.equal(s.node, null)
  })

  it("a failing tool is reported as failed, not parsed and not an error", () => {
    const s = ok(
      parseVmStatus(
        framed([
          ["virsh_list", "", 1],
          ["virsh_dominfo", "", 0],
          ["virsh_nodeinfo", "", 1],
          ["qm_list", readFixture(CATEGORY, "it-stuff__proxmox-8.3__qm-list.txt"), 0],
          ["pct_list", "", 127],
        ]),
      ),
    )
    assert.equal(s.hypervisors.libvirt.status, "failed")
    assert.equal(s.hypervisors.proxmox_lxc.status, "missing")
    assert.equal(s.vms.length, 8)
  })

  it("states are normalised across hypervisors, the raw state is kept", () => {
    const s = ok(
      parseVmStatus(
        framed([
          ["virsh_list", readFixture(CATEGORY, "insights__virsh-list-all_older-wide-columns.txt"), 0],
          ["virsh_dominfo", "", 0],
          ["virsh_nodeinfo", "", 127],
          ["qm_list", "", 127],
          ["pct_list", "", 127],
        ]),
      ),
    )
    assert.deepEqual(
      s.vms.slice(0, 3).map((v) => [v.name, v.state, v.state_raw, v.id]),
      [
        ["rhel7.4", "running", "running", "2"],
        ["rhel7.0", "paused", "paused", "4"],
        ["centos6.8-router", "stopped", "shut off", null],
      ],
    )
    assert.equal(s.vms.filter((v) => v.state === "stopped").length, 11)
  })

  it("a missing section or truncated output is a ParseError", () => {
    const e = parseError(parseVmStatus(framed([["virsh_list", "", 127]])))
    assert.match(e.message, /section 'virsh_dominfo' missing/)
    const full = run()
    assert.match(parseError(parseVmStatus({ ...full, truncated: true })).message, /truncated/)
  })

  it("a section's ParseError keeps its message when vm_status names the section", () => {
    const blank: ReadonlyArray<readonly [string, string, number]> = [
      ["virsh_list", "", 127],
      ["virsh_dominfo", "", 0],
      ["virsh_nodeinfo", "", 127],
      ["qm_list", "", 127],
      ["pct_list", "", 127],
    ]
    const withSection = (name: string, body: string) =>
      parseVmStatus(framed(blank.map(([n, b, rc]) => (n === name ? [n, body, 0] as const : [n, b, rc]))))
    const list = parseError(withSection("virsh_list", " Id Name State\nrow"))
    assert.match(list.message, /dashed rule/)
    assert.match(list.at ?? "", /^virsh_list: /)
    const qm = parseError(withSection("qm_list", "VMID NAME\n1 x"))
    assert.match(qm.message, /header/)
    assert.match(qm.at ?? "", /^qm_list/)
  })

  it("mutated script output never throws", () => {
    const full = run()
    for (const variant of mutations(full.stdout, 7, 200)) {
      const r = parseVmStatus({ ...full, stdout: variant })
      if (Result.isFailure(r)) assert.ok(r.failure instanceof ParseError)
    }
  })
})

describe("vm_status table", () => {
  let db: PGlite | undefined
  after(async () => {
    await db?.close()
  })

  it("migration runs twice and takes the rows toRows makes", async () => {
    db = await PGlite.create()
    const sql = (file: string) => readFileSync(path.resolve(process.cwd(), "sql", file), "utf8")
    await db.exec(sql("001_init.sql"))
    await db.exec(sql("050_vm_status.sql"))
    await db.exec(sql("050_vm_status.sql"))
    await db.query("INSERT INTO devices (name, host) VALUES ('a', 'h')")
    const rows = vmStatus.toRows(ok(vmStatus.parse(runScriptWithShims(vmStatusShims, vmStatus.script({})), {})))
    for (const r of rows) {
      await db.query(
        `INSERT INTO vm_status (time, device_id, vm_id, name, hypervisor, state, vcpus, memory_bytes, data)
         VALUES (now(), 1, $1, $2, $3, $4, $5, $6, $7)`,
        [r["vm_id"], r["name"], r["hypervisor"], r["state"], r["vcpus"], r["memory_bytes"], JSON.stringify(r["data"])],
      )
    }
    const stored = await db.query<{ n: number; mem: string }>(
      "SELECT count(*)::int AS n, sum(memory_bytes)::text AS mem FROM vm_status WHERE hypervisor = 'proxmox-qemu'",
    )
    assert.deepEqual(stored.rows, [{
      n: 8,
      mem: String((4096 + 24000 + 4096 + 8192 + 16384 * 3 + 4096) * 1024 * 1024),
    }])
  })
})

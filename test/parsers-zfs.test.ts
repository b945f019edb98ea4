import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { after, describe, it } from "node:test"
import { Result } from "effect"
import { ParseError, ValidationError } from "../src/domain/errors.ts"
import { splitSections } from "../src/collectors/shared/sections.ts"
import {
  parseArcstats,
  parseZfsDatasetList,
  parseZfsSnapshotList,
  parseZpoolIostat,
  parseZpoolList,
  parseZpoolStatus,
  parseZpoolStatusJson,
  ZFS_SECTIONS,
  type ZfsPoolStatus,
  type ZfsVdev,
} from "../src/collectors/zfs/parse-zfs.ts"
import { zfs, zfsSnapshotRows } from "../src/collectors/zfs/zfs.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { zfsLegacyShims, zfsShims } from "./harness/shims/zfs.ts"

const CATEGORY = "zfs"
const GiB = 1024 ** 3
const TiB = 1024 ** 4

const ok = <A>(r: Result.Result<A, ParseError>, label = "parse"): A => {
  if (Result.isFailure(r)) assert.fail(`${label} failed: ${r.failure.message} (at ${r.failure.at ?? "?"})`)
  return r.success
}

const failure = <A>(r: Result.Result<A, ParseError>): ParseError => {
  if (Result.isSuccess(r)) assert.fail("expected a ParseError, got a value")
  assert.ok(r.failure instanceof ParseError)
  assert.equal(r.failure.dataType, "zfs")
  return r.failure
}

/** Every parser a fixture is fed to, chosen by file name; `error` names the expected problem. */
type Check = { readonly parse: (text: string) => Result.Result<unknown, ParseError>; readonly error?: RegExp }

const checksFor = (file: string): Array<Check> => {
  if (file.endsWith(".json")) return [{ parse: parseZpoolStatusJson }]
  if (file.includes("zpool-status")) return [{ parse: parseZpoolStatus }]
  if (file.includes("zpool-list")) return [{ parse: (t) => parseZpoolList(t) }]
  if (file.includes("zpool-iostat")) return [{ parse: parseZpoolIostat }]
  if (file.includes("name-usedsnap")) {
    // A dataset listing (`-o name,usedsnap`): fine as datasets, rejected as snapshots.
    return [
      { parse: (t) => parseZfsDatasetList(t, ["name", "usedsnap"]) },
      { parse: (t) => parseZfsSnapshotList(t, ["name", "usedsnap"]), error: /'bpool' is not a snapshot name/ },
    ]
  }
  if (file.includes("snapshots-name-used-creation")) {
    return [{ parse: (t) => parseZfsSnapshotList(t, ["name", "used", "creation"]) }]
  }
  return []
}

const find = (v: ZfsVdev | null, name: string): ZfsVdev | undefined => {
  if (v === null) return undefined
  if (v.name === name) return v
  for (const c of v.children) {
    const hit = find(c, name)
    if (hit !== undefined) return hit
  }
  return undefined
}

const onlyPool = (file: string): ZfsPoolStatus => {
  const pools = ok(parseZpoolStatus(readFixture(CATEGORY, file)), file)
  assert.equal(pools.length, 1)
  return pools[0] as ZfsPoolStatus
}

const jsonPools = (file: string): Array<ZfsPoolStatus> => ok(parseZpoolStatusJson(readFixture(CATEGORY, file)), file)

describe("zfs fixtures: every file parses or fails with a named problem", () => {
  for (const file of listFixtures(CATEGORY)) {
    it(file, () => {
      const checks = checksFor(file)
      assert.ok(checks.length > 0, `no parser chosen for ${file}`)
      const text = readFixture(CATEGORY, file)
      for (const check of checks) {
        const r = check.parse(text)
        if (check.error === undefined) ok(r, file)
        else assert.match(failure(r).message, check.error)
      }
    })
  }
})

describe("zpool status (text)", () => {
  it("raidz2 with a write error on one disk", () => {
    const p = onlyPool("asokolsky__zpool-status_raidz2-write-error.txt")
    assert.equal(p.name, "tank")
    assert.equal(p.state, "ONLINE")
    assert.match(p.status ?? "", /^One or more devices has experienced an unrecoverable error\. {2}An attempt/)
    assert.equal(p.see, "https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-9P")
    const raidz = p.root?.children[0]
    assert.equal(raidz?.name, "raidz2-0")
    assert.equal(raidz?.type, "raidz2")
    assert.deepEqual(raidz?.children.map((c) => c.name), ["sde", "sdd", "sdc", "sdb", "sda"])
    assert.equal(find(p.root, "sda")?.write_errors, 1)
    assert.deepEqual(p.totals, { read_errors: 0, write_errors: 1, cksum_errors: 0 })
    assert.equal(p.scan?.state, "finished")
    assert.equal(p.scan?.function, "scrub")
    assert.equal(p.scan?.repaired_bytes, 0)
    assert.equal(p.scan?.duration_seconds, 7 * 3600 + 12 * 60 + 57)
    assert.equal(p.scan?.ended_at, "2023-01-17T18:12:00.000Z")
    assert.equal(p.data_errors, 0)
  })

  it("resilver in progress with replacing-0, UNAVAIL GUID and (resilvering) note", () => {
    const p = onlyPool("himmAllRight-blog__zpool-status_resilver-in-progress-replacing.txt")
    assert.equal(p.state, "DEGRADED")
    const replacing = find(p.root, "replacing-0")
    assert.equal(replacing?.type, "replacing")
    assert.equal(replacing?.state, "DEGRADED")
    const [old, fresh] = replacing?.children ?? []
    assert.equal(old?.name, "4676737554230074290")
    assert.equal(old?.state, "UNAVAIL")
    assert.equal(old?.note, "was /dev/disk/by-id/ata-TOSHIBA_DT01ACA300_365XDT3KS")
    assert.equal(fresh?.name, "sdd")
    assert.equal(fresh?.note, "(resilvering)")
    assert.equal(p.scan?.function, "resilver")
    assert.equal(p.scan?.state, "in_progress")
    assert.equal(p.scan?.started_at, "2019-01-12T11:29:36.000Z")
    assert.equal(p.scan?.percent_done, 0.01)
    assert.equal(p.scan?.eta, "123h32m")
    assert.equal(p.scan?.total_bytes, Math.round(1.03 * TiB))
    assert.equal(p.scan?.repaired_bytes, Math.round(72.2 * 1024 ** 2))
  })

  it("legacy resilver wording and a checksum error needing clear", () => {
    const p = onlyPool("himmAllRight-blog__zpool-status_cksum-errors-needs-clear.txt")
    assert.equal(find(p.root, "ata-TOSHIBA_DT01ACA300_365XDT3KS")?.cksum_errors, 2)
    assert.equal(p.totals.cksum_errors, 2)
    assert.equal(p.scan?.function, "resilver")
    assert.equal(p.scan?.duration_seconds, 0)
    assert.equal(p.scan?.repaired_bytes, Math.round(1.14 * 1024 ** 2))
    const done = onlyPool("himmAllRight-blog__zpool-status_resilver-complete.txt")
    assert.equal(done.scan?.duration_seconds, 4 * 3600 + 8 * 60)
  })

  it("illumos wording: ' scrub: none requested' and 'cannot open'", () => {
    const p = onlyPool("jc__zpool-status-v_degraded-illumos.txt")
    assert.equal(p.scan?.state, "none")
    assert.equal(p.see, "http://www.sun.com/msg/ZFS-8000-2Q")
    const disk = find(p.root, "c1t1d0")
    assert.equal(disk?.state, "UNAVAIL")
    assert.equal(disk?.note, "cannot open")
    assert.equal(find(p.root, "mirror-0")?.children.length, 2)
  })

  it("three pools without blank lines, old 'N days' durations and a canceled scrub", () => {
    const pools = ok(parseZpoolStatus(readFixture(CATEGORY, "jc__zpool-status-v_3-single-disk-pools.txt")))
    assert.deepEqual(pools.map((p) => p.name), ["zhgstera6", "zint500", "zsam53"])
    assert.equal(pools[0]?.scan?.state, "canceled")
    assert.equal(pools[0]?.scan?.ended_at, "2022-08-19T15:33:19.000Z")
    assert.equal(pools[1]?.scan?.duration_seconds, 19 * 60 + 47)
    assert.equal(pools[2]?.root?.children[0]?.name, "Portable_SSD_T5-S49WNP0N120517B:8")
  })

  it("scrub progress without an estimate, removed and unavailable devices", () => {
    const progress = onlyPool("zpool-status-exporter__zpool-status_04-scrub-progress.txt")
    assert.equal(progress.scan?.state, "in_progress")
    assert.equal(progress.scan?.scanned_bytes, 704 * GiB)
    assert.equal(progress.scan?.issued_bytes, 0)
    assert.equal(progress.scan?.percent_done, 0)
    assert.equal(progress.scan?.eta, null)
    const removed = onlyPool("zpool-status-exporter__zpool-status_06-removed.txt")
    assert.equal(find(removed.root, "drive0-part1")?.state, "REMOVED")
    const unavail = onlyPool("zpool-status-exporter__zpool-status_07-unavail.txt")
    assert.equal(find(unavail.root, "12345678901234567890")?.cksum_errors, 100980)
    assert.equal(unavail.totals.cksum_errors, 100980)
    const corrupted = onlyPool("zpool-status-exporter__zpool-status_01-corrupted.txt")
    assert.equal(find(corrupted.root, "loop3")?.note, "corrupted data")
    assert.equal(corrupted.data_errors, null)
  })

  it("data errors, cancel and new pools", () => {
    const corrupt = onlyPool("zpool-status-exporter__zpool-status_02-online-data-corruption.txt")
    assert.equal(corrupt.data_errors, 1)
    assert.equal(corrupt.scan?.errors, 1)
    assert.equal(corrupt.scan?.duration_seconds, 14 * 3600 + 7 * 60)
    assert.match(corrupt.errors_text ?? "", /permission denied/)
    const cancel = onlyPool("zpool-status-exporter__zpool-status_09-scrub-cancel.txt")
    assert.equal(cancel.scan?.state, "canceled")
    assert.match(cancel.action ?? "", /See zpool-features\(7\) for details\.$/)
    const fresh = onlyPool("zpool-status-exporter__zpool-status_10-new-pool.txt")
    assert.equal(fresh.scan, null)
    assert.equal(fresh.data_errors, 0)
  })

  it("-c vendor,model,size columns (flat, abbreviated listing)", () => {
    const p = onlyPool("openzfs-man__zpool-status-c_vendor-model-size.txt")
    assert.equal(p.name, "tank")
    const mirror = p.root?.children[0]
    assert.equal(mirror?.name, "mirror-0")
    assert.deepEqual(mirror?.children.map((c) => c.name), ["U1", "U10", "U11", "U12", "U13", "U14"])
    assert.deepEqual(find(p.root, "U1")?.extra, { vendor: "SEAGATE", model: "ST8000NM0075", size: "7.3T" })
    assert.equal(find(p.root, "U1")?.note, null)
  })

  it("log, cache and spare groups; nicenum counters; -v file lists", () => {
    const text = [
      "  pool: tank",
      " state: ONLINE",
      "  scan: scrub in progress since Mon Mar  3 01:00:00 2025",
      "\t1.50T / 2.00T scanned at 1.20G/s, 1.00T / 2.00T issued at 800M/s",
      "\t0B repaired, 50.00% done, 00:21:50 to go",
      "config:",
      "",
      "\tNAME        STATE     READ WRITE CKSUM",
      "\ttank        ONLINE       0     0     0",
      "\t  mirror-0  ONLINE       0     0     0",
      "\t    sda     ONLINE    1.2K     0     0",
      "\t    sdb     ONLINE       0     0     3",
      "\tlogs",
      "\t  nvme0n1   ONLINE       0     0     0",
      "\tcache",
      "\t  nvme1n1   ONLINE       0     0     0",
      "\tspares",
      "\t  sdc       AVAIL",
      "\t  sdd       INUSE     currently in use",
      "",
      "errors: Permanent errors have been detected in the following files:",
      "",
      "        /tank/a",
      "        /tank/b",
    ].join("\n")
    const [p] = ok(parseZpoolStatus(text))
    assert.deepEqual(p?.groups.map((g) => [g.kind, g.vdevs.map((v) => v.name)]), [
      ["logs", ["nvme0n1"]],
      ["cache", ["nvme1n1"]],
      ["spares", ["sdc", "sdd"]],
    ])
    const spare = p?.groups[2]?.vdevs[1]
    assert.equal(spare?.state, "INUSE")
    assert.equal(spare?.note, "currently in use")
    assert.equal(spare?.read_errors, null)
    assert.equal(find(p?.root ?? null, "sda")?.read_errors, Math.round(1.2 * 1024))
    assert.equal(p?.totals.cksum_errors, 3)
    assert.equal(p?.scan?.percent_done, 50)
    assert.equal(p?.scan?.eta, "00:21:50")
    assert.equal(p?.scan?.issued_bytes, TiB)
    assert.equal(p?.data_errors, 2)
  })

  it("'no pools available' is an empty list; unrelated text is a named error", () => {
    assert.deepEqual(ok(parseZpoolStatus("no pools available\n")), [])
    assert.match(failure(parseZpoolStatus("permission denied\n")).message, /no 'pool:' line/)
    assert.match(failure(parseZpoolStatus("  pool: x\nconfig:\n")).message, /no 'state:' line/)
  })
})

describe("zpool status -j (JSON)", () => {
  it("with-errors: counters, scan errors, epoch times", () => {
    const [p] = jsonPools("check_zpools__zpool-status-j_with-errors.json")
    assert.equal(p?.name, "zpool-data")
    assert.deepEqual(p?.totals, { read_errors: 5, write_errors: 2, cksum_errors: 1 })
    assert.equal(p?.scan?.errors, 3)
    assert.equal(p?.scan?.state, "finished")
    assert.equal(p?.scan?.ended_at, new Date(1764050414 * 1000).toISOString())
    assert.equal(p?.scan?.duration_seconds, 12)
    assert.equal(p?.root?.type, "root")
  })

  it("4 pools; GUIDs beyond 2^53 kept exact", () => {
    const pools = jsonPools("check_zpools__zpool-status-j_4-pools-ok.json")
    assert.deepEqual(pools.map((p) => p.name), ["rpool", "zpool-hdd", "zpool-nvme", "zpool-ssd"])
    assert.equal(pools[0]?.root?.extra["guid"], "17068583395379267683")
    assert.equal(pools[3]?.scan?.duration_seconds, 1764055279 - 1764050404)
    const degraded = jsonPools("check_zpools__zpool-status-j_degraded.json")
    assert.equal(degraded[0]?.state, "DEGRADED")
  })

  it("raidz + dedup mirror + special, string numbers and -c columns", () => {
    const [p] = jsonPools("openzfs-man__zpool-status-j-c_raidz-dedup-special.json")
    assert.equal(p?.root?.state, "ONLINE")
    const raidz = p?.root?.children[0]
    assert.equal(raidz?.type, "raidz1")
    assert.equal(raidz?.children.length, 3)
    assert.equal(raidz?.children[0]?.extra["model"], "WDC WD40EFZX-68AWUN0")
    assert.deepEqual(p?.groups.map((g) => g.kind).sort(), ["dedup", "special"])
    const dedup = p?.groups.find((g) => g.kind === "dedup")
    assert.equal(dedup?.vdevs[0]?.name, "mirror-2")
    assert.equal(dedup?.vdevs[0]?.children.length, 2)
    assert.equal(p?.scan, null)
  })

  it("a scan in progress gives a percentage from issued/to_examine", () => {
    const doc = {
      output_version: { command: "zpool status", vers_major: 0, vers_minor: 1 },
      pools: {
        p: {
          name: "p",
          state: "ONLINE",
          scan_stats: {
            function: "RESILVER",
            state: "SCANNING",
            start_time: 1700000000,
            end_time: 0,
            to_examine: 200,
            examined: 150,
            issued: 50,
            processed: 10,
            errors: 0,
          },
          vdevs: {
            p: { name: "p", vdev_type: "root", state: "ONLINE", read_errors: 0, write_errors: 0, checksum_errors: 0 },
          },
        },
      },
    }
    const [p] = ok(parseZpoolStatusJson(JSON.stringify(doc)))
    assert.equal(p?.scan?.function, "resilver")
    assert.equal(p?.scan?.state, "in_progress")
    assert.equal(p?.scan?.percent_done, 25)
    assert.equal(p?.scan?.ended_at, null)
  })

  it("invalid JSON and wrong shapes are named", () => {
    assert.match(failure(parseZpoolStatusJson("{ not json")).message, /invalid JSON/)
    assert.match(failure(parseZpoolStatusJson("[]")).message, /not an object/)
    const status = { output_version: { command: "zpool status", vers_major: 0, vers_minor: 1 } }
    assert.match(
      failure(parseZpoolStatusJson(JSON.stringify({ ...status, pools: { a: 3 } }))).message,
      /pool 'a' is not an object/,
    )
    assert.match(failure(parseZpoolStatusJson('{"hello": 1}')).message, /not 'zpool status -j' output/)
  })
})

describe("zpool status -j: JSON of another command is refused", () => {
  /** Recordings kept with the tests (test/fixtures/zfs, see test/fixtures/SOURCES.md). */
  const local = (file: string) => readFileSync(path.resolve(process.cwd(), "test/fixtures/zfs", file), "utf8")

  it("zpool list -j (same 'pools' object) names the command it got", () => {
    const e = failure(parseZpoolStatusJson(local("openzfs-man__zpool-list-j.json")))
    assert.match(e.message, /output_version\.command is 'zpool list'/)
    assert.match(e.message, /'zpool status'/)
    assert.equal(e.at, "output_version.command")
  })

  it("zfs list -j (datasets, no pools) is not taken for 'no pools'", () => {
    const e = failure(parseZpoolStatusJson(local("openzfs-man__zfs-list-j-t-filesystem-snapshot.json")))
    assert.match(e.message, /output_version\.command is 'zfs list'/)
  })

  it("no output_version, or one without a command, is refused", () => {
    const pools = { p: { name: "p", state: "ONLINE" } }
    assert.match(failure(parseZpoolStatusJson(JSON.stringify({ pools }))).message, /no output_version\.command/)
    const odd = JSON.stringify({ output_version: { vers_major: 0 }, pools })
    assert.match(failure(parseZpoolStatusJson(odd)).message, /no output_version\.command/)
    const numeric = JSON.stringify({ output_version: { command: 7 }, pools })
    assert.match(failure(parseZpoolStatusJson(numeric)).message, /no output_version\.command/)
  })

  it("every recorded zpool status -j still parses, and an empty one is no pools", () => {
    for (const f of listFixtures(CATEGORY).filter((f) => f.endsWith(".json"))) {
      ok(parseZpoolStatusJson(readFixture(CATEGORY, f)), f)
    }
    const empty = { output_version: { command: "zpool status", vers_major: 0, vers_minor: 1 } }
    assert.deepEqual(ok(parseZpoolStatusJson(JSON.stringify(empty))), [])
  })

  it("through the zfs spec: a zpool list -j in the status section is a ParseError, not a pool list", () => {
    const sectionOf = (name: string, body: string) => `\n@@INFRA@@ ${name}\n${body}\n@@INFRA@@-rc ${name} 0\n`
    const stdout = sectionOf(ZFS_SECTIONS.pools, readFixture(CATEGORY, "netdata__zpool-list-p-v-L.txt")) +
      sectionOf(ZFS_SECTIONS.statusJson, local("openzfs-man__zpool-list-j.json"))
    assert.equal(splitSections(stdout).size, 2)
    const r = zfs.parse({ stdout, stderr: "", exitCode: 0, durationMs: 1, bytes: stdout.length, truncated: false }, {})
    assert.ok(Result.isFailure(r))
    assert.match((r.failure as ParseError).message, /output_version\.command is 'zpool list'/)
  })
})

describe("zpool list / iostat", () => {
  it("-p -v -L: pool and vdev rows", () => {
    const [p] = ok(parseZpoolList(readFixture(CATEGORY, "netdata__zpool-list-p-v-L.txt")))
    assert.equal(p?.name, "rpool")
    assert.equal(p?.size_bytes, 3985729650688)
    assert.equal(p?.alloc_bytes, 1647130456064)
    assert.equal(p?.fragmentation_percent, 55)
    assert.equal(p?.capacity_percent, 41)
    assert.equal(p?.dedup_ratio, 1)
    assert.deepEqual(p?.vdevs.map((v) => [v.name, v.depth]), [["mirror-0", 1], ["nvme2n1p3", 2], ["nvme0n1p3", 2]])
  })

  it("logs and cache groups with UNAVAIL members", () => {
    const [p] = ok(parseZpoolList(readFixture(CATEGORY, "netdata__zpool-list-p-v-L_logs-cache-degraded.txt")))
    assert.equal(p?.health, "DEGRADED")
    const guid = p?.vdevs.find((v) => v.name === "14807975228228307538")
    assert.equal(guid?.group, "logs")
    assert.equal(guid?.health, "UNAVAIL")
    const sdb2 = p?.vdevs.find((v) => v.name === "sdb2")
    assert.equal(sdb2?.group, "cache")
    assert.equal(sdb2?.capacity_percent, 99)
  })

  it("human sizes, EXPANDSZ and a FAULTED pool with '-' fields", () => {
    const [data] = ok(parseZpoolList(readFixture(CATEGORY, "openzfs-man__zpool-list-v_expandsz.txt")))
    assert.equal(data?.size_bytes, Math.round(23.9 * GiB))
    assert.equal(data?.vdevs.find((v) => v.name === "sdb")?.expand_size_bytes, 10 * GiB)
    const pools = ok(parseZpoolList(readFixture(CATEGORY, "openzfs-man__zpool-list_faulted-pool.txt")))
    const zion = pools.find((p) => p.name === "zion")
    assert.equal(zion?.health, "FAULTED")
    assert.equal(zion?.size_bytes, null)
    assert.equal(pools.find((p) => p.name === "tank")?.capacity_percent, 32)
  })

  it("-H output in the script's column order; bad values and short rows are named", () => {
    const [p] = ok(parseZpoolList("tank\t1000\t400\t600\t12\t40\t1.00\tONLINE\t-\n"))
    assert.equal(p?.free_bytes, 600)
    assert.equal(p?.altroot, null)
    assert.match(failure(parseZpoolList("tank\t1000\t400\n")).message, /3 fields, expected 9/)
    assert.match(
      failure(parseZpoolList("tank\tlots\t400\t600\t12\t40\t1.00\tONLINE\t-\n")).message,
      /'lots' is not a size/,
    )
    assert.deepEqual(ok(parseZpoolList("no pools available\n")), [])
  })

  it("iostat -v and -c size", () => {
    const pools = ok(parseZpoolIostat(readFixture(CATEGORY, "jc__zpool-iostat-v.txt")))
    assert.deepEqual(pools.map((p) => p.name), ["zhgstera6", "zint500", "zsam53"])
    assert.equal(pools[1]?.write_ops, 9)
    assert.equal(pools[2]?.read_bytes_per_sec, Math.round(14.7 * 1024))
    assert.equal(pools[0]?.vdevs[0]?.name, "726060ALE614-K8JAPRGN:10")
    const [rpool] = ok(parseZpoolIostat(readFixture(CATEGORY, "openzfs-man__zpool-iostat-vc-size.txt")))
    assert.deepEqual(rpool?.vdevs[0]?.extra, { size: "70G" })
    assert.equal(rpool?.write_bytes_per_sec, Math.round(2.69 * 1024 ** 2))
    assert.match(failure(parseZpoolIostat("something else entirely")).message, /fields, expected at least 7/)
  })
})

describe("zfs list", () => {
  it("snapshots from a tabs-expanded listing", () => {
    const snaps = ok(
      parseZfsSnapshotList(
        readFixture(CATEGORY, "list-zfs-snapshots__zfs-list-snapshots-name-used-creation-Hp_tabs-expanded.txt"),
        ["name", "used", "creation"],
      ),
    )
    assert.equal(snaps.length, 22)
    assert.deepEqual(snaps[0], {
      dataset: "rpool/ROOT/debian",
      snapshot: "zfs-auto-snap_weekly-2020-08-09-0518",
      used_bytes: 14385152,
      refer_bytes: null,
      created_at: new Date(1596950323 * 1000).toISOString(),
    })
    assert.equal(snaps[20]?.used_bytes, 0)
  })

  it("datasets (usedsnap) and tab-separated rows with spaces in the mountpoint", () => {
    const sets = ok(
      parseZfsDatasetList(readFixture(CATEGORY, "list-zfs-snapshots__zfs-list-name-usedsnap-Hp_tabs-expanded.txt"), [
        "name",
        "usedsnap",
      ]),
    )
    assert.equal(sets.find((d) => d.name === "rpool/var/spool")?.used_by_snapshots_bytes, 2964692992)
    const [d] = ok(parseZfsDatasetList("tank/x\t100\t200\t50\t/mnt/my files\t1.52x\tfilesystem\n"))
    assert.equal(d?.mountpoint, "/mnt/my files")
    assert.equal(d?.compress_ratio, 1.52)
    assert.match(failure(parseZfsDatasetList("tank 1 2\n")).message, /3 fields where 7 were expected/)
  })
})

describe("arcstats", () => {
  const ARC = [
    "13 1 0x01 147 39984 4086367734 1125899906842624",
    "name                            type data",
    "hits                            4    9000",
    "misses                          4    1000",
    "c                               4    2147483648",
    "c_max                           4    4294967296",
    "size                            4    1073741824",
    "arc_no_grow                     4    0",
  ].join("\n")

  it("reads size, c_max and the hit ratio from kstat rows", () => {
    assert.deepEqual(ok(parseArcstats(ARC)), {
      available: true,
      size_bytes: 1073741824,
      target_bytes: 2147483648,
      max_size_bytes: 4294967296,
      hits: 9000,
      misses: 1000,
      hit_ratio: 0.9,
    })
  })

  it("missing rows and garbage are named", () => {
    assert.match(failure(parseArcstats("name type data\nhits 4 1\n")).message, /lacks size, c_max, misses/)
    assert.match(failure(parseArcstats(`${ARC}\nthis is not kstat`)).message, /unexpected arcstats line/)
  })
})

/** Output of the real script run by /bin/sh with the fake tools first on PATH. */
const tempDirs: Array<string> = []
after(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const runWithShims = (shims: Record<string, string>, script: string): CommandResult => {
  const dir = mkdtempSync(path.join(tmpdir(), "zfs-shims-"))
  tempDirs.push(dir)
  for (const [tool, body] of Object.entries(shims)) {
    const file = path.join(dir, tool)
    writeFileSync(file, body)
    chmodSync(file, 0o755)
  }
  const started = Date.now()
  const r = spawnSync("/bin/sh", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` },
  })
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.status ?? -1,
    durationMs: Date.now() - started,
    bytes: Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr),
    truncated: false,
  }
}

describe("zfs script through /bin/sh with shims", () => {
  const arcPresent = existsSync("/proc/spl/kstat/zfs/arcstats")

  it("OpenZFS ≥ 2.3: JSON status is used and the text form never runs", () => {
    const result = runWithShims(zfsShims, zfs.script({}))
    const sections = splitSections(result.stdout)
    assert.equal(sections.get(ZFS_SECTIONS.statusJson)?.exitCode, 0)
    assert.equal(sections.get(ZFS_SECTIONS.statusText)?.body, "")
    const data = ok(zfs.parse(result, {}))
    assert.equal(data.status_source, "json")
    assert.equal(data.pools.length, 1)
    const rpool = data.pools[0]
    assert.equal(rpool?.capacity?.size_bytes, 9981503995904)
    assert.equal(rpool?.capacity?.health, "DEGRADED")
    assert.equal(rpool?.status?.state, "DEGRADED")
    assert.equal(data.snapshots.items.length, 22)
    assert.equal(data.snapshots.items[0]?.refer_bytes, null)
    assert.equal(data.datasets.items.length, 11)
    assert.equal(data.arc.available, arcPresent)

    const [row] = zfs.toRows(data)
    assert.equal(row?.["pool"], "rpool")
    assert.equal(row?.["health"], "DEGRADED")
    assert.equal(row?.["size_bytes"], 9981503995904)
    assert.equal(row?.["alloc_bytes"], 3046188658688)
    assert.equal(row?.["free_bytes"], 6935315337216)
    assert.equal(row?.["capacity_percent"], 30)
    assert.equal(row?.["fragmentation_percent"], 9)
    assert.equal(row?.["scan_state"], "finished")
    assert.equal(row?.["read_errors"], 0)
    assert.ok(typeof row?.["data"] === "object")

    const snapRows = zfsSnapshotRows(data)
    assert.equal(snapRows.length, 22)
    assert.equal(snapRows[0]?.["dataset"], "rpool/ROOT/debian")
    assert.equal(snapRows[0]?.["used_bytes"], 14385152)
    assert.deepEqual(snapRows[0]?.["created_at"], new Date(1596950323 * 1000))
  })

  it("older zpool rejects -j: the text status is parsed instead", () => {
    const result = runWithShims(zfsLegacyShims, zfs.script({}))
    assert.equal(splitSections(result.stdout).get(ZFS_SECTIONS.statusJson)?.exitCode, 2)
    const data = ok(zfs.parse(result, {}))
    assert.equal(data.status_source, "text")
    // zpool list (rpool) and zpool status (Data) come from different recordings: both are kept.
    assert.deepEqual(data.pools.map((p) => [p.name, p.capacity !== null, p.status !== null]), [
      ["rpool", true, false],
      ["Data", false, true],
    ])
    const rows = zfs.toRows(data)
    assert.equal(rows[1]?.["scan_state"], "in_progress")
    assert.equal(rows[1]?.["health"], "DEGRADED")
    assert.equal(rows[0]?.["scan_state"], null)
  })

  it("snapshots=false skips the snapshot listing", () => {
    const result = runWithShims(zfsShims, zfs.script({ snapshots: "false" }))
    const data = ok(zfs.parse(result, {}))
    assert.deepEqual(data.snapshots, { available: false, items: [] })
    assert.deepEqual(zfsSnapshotRows(data), [])
  })

  it("a missing or failing zpool is a named ParseError", () => {
    const result = runWithShims({}, zfs.script({}))
    const err = failure(zfs.parse({ ...result, stdout: result.stdout }, {}))
    assert.match(err.message, /zpool is not installed|zpool list failed/)
    const broken = runWithShims(
      { zpool: "#!/bin/sh\necho 'failed to initialize the libzfs library' >&2\nexit 1\n" },
      zfs.script({}),
    )
    assert.match(failure(zfs.parse(broken, {})).message, /zpool list failed with exit code 1/)
    assert.match(failure(zfs.parse({ ...broken, stdout: "" }, {})).message, /section 'zpool_list' missing/)
  })
})

describe("zfs script parameters", () => {
  it("quotes a valid pool into every command and rejects invalid names", () => {
    const script = zfs.script({ pool: "tank.2" })
    assert.match(script, /zpool list -Hp -o [a-z,]+ tank\.2/)
    assert.match(script, /zfs list -Hp -t snapshot -o [a-z,]+ -r tank\.2/)
    assert.throws(() => zfs.script({ pool: "tank; rm -rf /" }), ValidationError)
    assert.throws(() => zfs.script({ pool: "-o" }), ValidationError)
    assert.throws(() => zfs.script({ snapshots: "maybe" }), ValidationError)
  })
})

/** Deterministic PRNG so a failing mutation can be reproduced. */
const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

const mutations = (text: string, rand: () => number): Array<string> => {
  const out: Array<string> = []
  for (const frac of [0.1, 0.33, 0.5, 0.77, 0.95]) out.push(text.slice(0, Math.floor(text.length * frac)))
  const lines = text.split("\n")
  for (let i = 0; i < 8; i++) {
    const copy = [...lines]
    copy.splice(Math.floor(rand() * copy.length), 1 + Math.floor(rand() * 3))
    out.push(copy.join("\n"))
    const chars = [...text]
    for (let k = 0; k < 5; k++) {
      chars[Math.floor(rand() * chars.length)] = 'x\t -:@{}"9%'[Math.floor(rand() * 11)] as string
    }
    out.push(chars.join(""))
  }
  return out
}

describe("robustness: truncated and mutated fixtures never throw", () => {
  const rand = prng(42)
  for (const file of listFixtures(CATEGORY)) {
    it(file, () => {
      const text = readFixture(CATEGORY, file)
      for (const check of checksFor(file)) {
        for (const variant of mutations(text, rand)) {
          const r = check.parse(variant)
          if (Result.isFailure(r)) {
            assert.ok(r.failure instanceof ParseError)
            assert.ok(r.failure.message.length > 0)
            // The catch-all in guard() means a parser threw something it did not mean to.
            assert.doesNotMatch(r.failure.message, /^unexpected input/)
          }
        }
      }
    })
  }

  it("the whole script output, cut anywhere", () => {
    const result = runWithShims(zfsShims, zfs.script({}))
    for (let cut = 0; cut < result.stdout.length; cut += 97) {
      const r = zfs.parse({ ...result, stdout: result.stdout.slice(0, cut) }, {})
      if (Result.isFailure(r)) {
        assert.ok(r.failure instanceof ParseError)
        assert.doesNotMatch(r.failure.message, /^unexpected input/)
      }
    }
  })
})

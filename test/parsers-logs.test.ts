import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import path from "node:path"
import { after, describe, it } from "node:test"
import { PGlite } from "@electric-sql/pglite"
import { Result } from "effect"
import { ParseError, ValidationError } from "../src/domain/errors.ts"
import { section } from "../src/collectors/shared/sections.ts"
import {
  type LogEntry,
  parseDmesgJson,
  parseDmesgText,
  parseJournalJson,
  parseJournalShort,
  parseSystemLogs,
  type SystemLogs,
} from "../src/collectors/system-logs/parse-system-logs.ts"
import { systemLogs } from "../src/collectors/system-logs/system-logs.ts"
import { latestCursorQuery } from "../src/store/repos/series.ts"
import { shq } from "../src/domain/quote.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { runScriptWithShims } from "./harness/shims/vms.ts"
import { mutations as mutate, ok, parseErrorOf } from "./harness/results.ts"

const CATEGORY = "logs"
const JOURNAL_FIXTURE = "beats__journalctl-json_sample-event.json"
const FIXTURE_CURSOR =
  "s=e82795fad4ce42b79fb3da0866d91f7e;i=4eb1b1;b=567980bb85ae41da8518f409570b0cb9;m=2bd4e2166;t=6200adaf0a66a;x=d9b1ac66921eaac9"

type Parser = (text: string) => Result.Result<ReadonlyArray<unknown>, ParseError>

/** Parser per recorded output, and whether that output is log entries (ok) or something else (a named error). */
const expectations: Record<string, { parser: Parser; outcome: "ok" | RegExp }> = {
  [JOURNAL_FIXTURE]: { parser: parseJournalJson, outcome: "ok" },
  "insights__dmesg_no-timestamps.txt": { parser: parseDmesgText, outcome: "ok" },
  "insights__dmesg_timestamps.txt": { parser: parseDmesgText, outcome: "ok" },
  // `journalctl --header` describes journal files; it holds no entries.
  "insights__journalctl-header.txt": { parser: parseJournalShort, outcome: /not a journalctl short-format line/ },
  "insights__journalctl_short.txt": { parser: parseJournalShort, outcome: "ok" },
  "insights__vmcore-dmesg_crash.txt": { parser: parseDmesgText, outcome: "ok" },
  "util-linux__dmesg-json_synthetic-input.json": { parser: parseDmesgJson, outcome: "ok" },
}

const parseError = (r: Result.Result<unknown, ParseError>): ParseError => parseErrorOf(r, "system_logs")

const mutations = (text: string, seed: number, count: number): Array<string> =>
  mutate(text, seed, count, ["{", "}", "[", "]", '"', "\\", ":", ",", "\n", " ", "<", "9"])

const framed = (parts: ReadonlyArray<readonly [name: string, body: string, rc: number]>): CommandResult =>
  runScriptWithShims(
    {},
    parts.map(([name, body, rc]) => section(name, `printf '%s\\n' ${shq(body)}; (exit ${rc})`)).join("\n"),
  )

/** The real journal record with some fields replaced (binary, null and repeated values). */
const recordWith = (patch: Record<string, unknown>): string =>
  JSON.stringify({ ...(JSON.parse(readFixture(CATEGORY, JOURNAL_FIXTURE)) as Record<string, unknown>), ...patch })

describe("system_logs fixtures", () => {
  it("every fixture has an expectation", () => {
    assert.deepEqual(listFixtures(CATEGORY), Object.keys(expectations).sort())
  })

  for (const file of listFixtures(CATEGORY)) {
    it(`${file}: ${expectations[file]?.outcome === "ok" ? "parses" : "is refused with a named reason"}`, () => {
      const e = expectations[file]
      assert.ok(e !== undefined, `no expectation for ${file}`)
      const r = e.parser(readFixture(CATEGORY, file))
      if (e.outcome === "ok") assert.ok(ok(r).length > 0)
      else assert.match(parseError(r).message, e.outcome)
    })
  }

  it("journal JSON (pretty-printed): cursor, time from µs, priority, unit, host, pid, boot", () => {
    const [e] = ok(parseJournalJson(readFixture(CATEGORY, JOURNAL_FIXTURE)))
    assert.deepEqual(e, {
      source: "journal",
      cursor: FIXTURE_CURSOR,
      time: "2024-08-19T15:20:55.230Z",
      time_text: null,
      monotonic_seconds: 11765.948774,
      priority: 6,
      facility: null,
      unit: "session-2.scope",
      identifier: "TestRestartsJournalctlOnError",
      hostname: "millennium-falcon",
      pid: 235728,
      message: "Count: 0000000001",
      boot_id: "567980bb85ae41da8518f409570b0cb9",
      transport: "stdout",
    })
  })

  it("journal JSON lines: the same entry compacted, twice, parses to two identical entries", () => {
    const line = readFixture(CATEGORY, JOURNAL_FIXTURE).replace(/\n/g, "")
    const pretty = ok(parseJournalJson(readFixture(CATEGORY, JOURNAL_FIXTURE)))
    assert.deepEqual(ok(parseJournalJson(`${line}\n${line}\n`)), [...pretty, ...pretty])
  })

  it("binary MESSAGE (byte array) decodes as lossy UTF-8; null MESSAGE stays null; repeated values join", () => {
    const bytes = [...new TextEncoder().encode("Grüße "), 0xff, 0x0a, 0x41]
    assert.equal(ok(parseJournalJson(recordWith({ MESSAGE: bytes })))[0]?.message, "Grüße \uFFFD\nA")
    assert.equal(ok(parseJournalJson(recordWith({ MESSAGE: null })))[0]?.message, null)
    assert.equal(ok(parseJournalJson(recordWith({ MESSAGE: ["first", [0x73, 0x65, 0x63]] })))[0]?.message, "first\nsec")
    // No _SYSTEMD_UNIT: the syslog identifier names the source.
    assert.equal(ok(parseJournalJson(recordWith({ _SYSTEMD_UNIT: null })))[0]?.unit, "TestRestartsJournalctlOnError")
  })

  it("journal JSON errors name the entry and the problem", () => {
    const noCursor = parseError(parseJournalJson(recordWith({ __CURSOR: null })))
    assert.match(noCursor.message, /no __CURSOR/)
    assert.equal(noCursor.at, "entry 1 (line 1)")
    assert.match(parseError(parseJournalJson(recordWith({ MESSAGE: { a: 1 } }))).message, /field MESSAGE/)
    assert.match(parseError(parseJournalJson("-- No entries --\n")).message, /expected a JSON object/)
    const cut = readFixture(CATEGORY, JOURNAL_FIXTURE).slice(0, 200)
    assert.match(parseError(parseJournalJson(cut)).message, /unterminated/)
  })

  it("dmesg with and without printk timestamps", () => {
    const ts = ok(parseDmesgText(readFixture(CATEGORY, "insights__dmesg_timestamps.txt")))
    assert.equal(ts.length, 34)
    assert.deepEqual(ts[1], {
      seconds: 0,
      priority: null,
      facility: null,
      message: "tsc: Detected 2693.827 MHz processor",
    })
    assert.equal(ts[33]?.seconds, 10424.756954)
    const plain = ok(parseDmesgText(readFixture(CATEGORY, "insights__dmesg_no-timestamps.txt")))
    assert.equal(plain.length, 17)
    assert.equal(plain[0]?.seconds, null)
    assert.equal(plain[7]?.message, "  alloc irq_desc for 34 on node 0")
    // One timestamped line in an otherwise untimed buffer.
    assert.deepEqual(plain[15], {
      seconds: 8.687252,
      priority: null,
      facility: null,
      message: "HP HPSA Driver (v 3.4.4-1-RH2) 2.5.0",
    })
    assert.match(parseError(parseDmesgText("ok\n\u0000\u0001")).message, /NUL byte/)
  })

  it("vmcore-dmesg crash excerpt: the oops line with its timestamp", () => {
    const lines = ok(parseDmesgText(readFixture(CATEGORY, "insights__vmcore-dmesg_crash.txt")))
    assert.equal(lines.length, 12)
    assert.deepEqual(lines[3], {
      seconds: 345.72687,
      priority: null,
      facility: null,
      message: "BUG: unable to handle kernel NULL pointer dereference at 00000000000005ec",
    })
  })

  it("dmesg --json: raw prival split into level and facility", () => {
    const lines = ok(parseDmesgJson(readFixture(CATEGORY, "util-linux__dmesg-json_synthetic-input.json")))
    assert.equal(lines.length, 106)
    assert.deepEqual(lines[3], { seconds: 27, priority: 3, facility: 0, message: "example[3]" })
    assert.deepEqual(lines[105], { seconds: 4557523, priority: 150 & 7, facility: 150 >> 3, message: "example[105]" })
    assert.match(parseError(parseDmesgJson('{"dmesg": [{"pri": 1}]}')).message, /"msg"/)
    assert.match(parseError(parseDmesgJson('{"other": []}')).message, /"dmesg" array/)
  })

  it("journalctl short text: host, identifier with a slash, pid; no year so no absolute time", () => {
    const entries = ok(parseJournalShort(readFixture(CATEGORY, "insights__journalctl_short.txt")))
    assert.equal(entries.length, 9)
    const [first] = entries
    assert.equal(first?.time_text, "May 18 15:13:34")
    assert.equal(first?.time, null)
    assert.equal(first?.hostname, "lxc-rhel68-sat56")
    assert.equal(first?.identifier, "jabberd/sm")
    assert.equal(first?.pid, 11057)
    assert.equal(entries[8]?.message, "(root) LIST (root)")
    assert.equal(entries[8]?.hostname, "boy-bona")
  })

  it("truncated or mutated fixtures never throw", () => {
    for (const file of listFixtures(CATEGORY)) {
      const text = readFixture(CATEGORY, file)
      for (const variant of mutations(text, file.length, 90)) {
        for (const parse of [parseJournalJson, parseDmesgText, parseDmesgJson, parseJournalShort] as Array<Parser>) {
          const r = parse(variant)
          if (Result.isFailure(r)) assert.ok(r.failure instanceof ParseError && r.failure.message.length > 0)
        }
      }
    }
  })
})

describe("system_logs script against a shimmed journalctl", () => {
  const collect = (params: Record<string, string>, hostTools?: ReadonlyArray<string>): SystemLogs => {
    // Hermetic runs take journalctl away: only the dmesg shim and the named host tools remain.
    const shims = hostTools === undefined ? systemLogsShims : { dmesg: systemLogsShims["dmesg"] as string }
    return ok(
      systemLogs.parse(runScriptWithShims(shims, systemLogs.script(params), hostTools ? { hostTools } : {}), params),
    )
  }

  it("first read: the journal's entry, and its cursor to continue from", () => {
    const s = collect({})
    assert.equal(s.source, "journal")
    assert.deepEqual(s.journal, { status: "ok", exit_code: 0 })
    assert.equal(s.entries.length, 1)
    assert.equal(s.entries[0]?.message, "Count: 0000000001")
    assert.equal(s.next_cursor, FIXTURE_CURSOR)
    assert.equal(s.more, false)
  })

  it("after the newest cursor nothing is re-read", () => {
    const s = collect({ after_cursor: FIXTURE_CURSOR })
    assert.deepEqual(s.entries, [])
    assert.equal(s.next_cursor, FIXTURE_CURSOR)
  })

  it("unit and priority filters reach journalctl", () => {
    assert.equal(collect({ unit: "nginx.service" }).entries.length, 0)
    assert.equal(collect({ unit: "session-2.scope" }).entries.length, 1)
    assert.equal(collect({ priority: "err" }).entries.length, 0)
    assert.equal(collect({ priority: "info" }).entries.length, 1)
  })

  it("reading after a cursor up to the limit says more may be waiting", () => {
    const s = collect({ after_cursor: "s=0;i=1", limit: "1" })
    assert.equal(s.entries.length, 1)
    assert.equal(s.more, true)
  })

  it("rows carry the entry's own time and its cursor", () => {
    const rows = systemLogs.toRows(collect({}))
    assert.deepEqual(rows, [
      {
        time: "2024-08-19T15:20:55.230Z",
        cursor: FIXTURE_CURSOR,
        unit: "session-2.scope",
        priority: 6,
        message: "Count: 0000000001",
        data: collect({}).entries[0],
      },
    ])
  })

  it("without journalctl: dmesg --json, placed in time from boot, with resumable cursors", () => {
    const tools = ["id", "cat", "awk", "head"]
    const s = collect({}, tools)
    assert.equal(s.source, "dmesg")
    assert.deepEqual(s.journal, { status: "missing", exit_code: 127 })
    assert.equal(s.entries.length, 106)
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1])
    const last = s.entries[105] as LogEntry
    assert.equal(last.time, new Date((btime + 4557523) * 1000).toISOString())
    assert.equal(last.message, "example[105]")
    assert.match(last.cursor ?? "", /^dmesg;b=[0-9a-f]{32};t=4557523\.000000;n=0$/)
    assert.equal(s.next_cursor, last.cursor)
    // Resuming: nothing after the last one; the newest 10 without a cursor.
    assert.deepEqual(collect({ after_cursor: last.cursor as string }, tools).entries, [])
    const after100 = collect({ after_cursor: s.entries[100]?.cursor as string }, tools)
    assert.deepEqual(
      after100.entries.map((e) => e.message),
      ["example[101]", "example[102]", "example[103]", "example[104]", "example[105]"],
    )
    assert.equal(collect({ limit: "10" }, tools).entries[0]?.message, "example[96]")
  })

  it("params are validated and quoted", () => {
    for (
      const bad of [
        { after_cursor: "s=1'; rm -rf /" },
        { unit: "x.service; reboot" },
        { priority: "9" },
        { priority: "loud" },
        { limit: "0" },
        { limit: "10001" },
        { limit: "ten" },
        { since: "yesterday'" },
      ]
    ) {
      assert.throws(() => systemLogs.script(bad), (e: unknown) => e instanceof ValidationError, JSON.stringify(bad))
    }
    const script = systemLogs.script({
      after_cursor: FIXTURE_CURSOR,
      unit: "getty@tty1.service",
      since: "2024-08-19 10:00",
    })
    assert.ok(script.includes(`'--after-cursor=${FIXTURE_CURSOR}'`))
    assert.ok(script.includes("-u getty@tty1.service"))
    assert.ok(script.includes("'--since=2024-08-19 10:00'"))
    assert.ok(systemLogs.script({ priority: "warning" }).includes("-p 4"))
  })

  it("journalctl failing, missing sections and truncation are ParseErrors", () => {
    assert.match(parseError(parseSystemLogs(framed([["journal", "", 1]]))).message, /exited with code 1/)
    assert.match(parseError(parseSystemLogs(framed([["boot", "", 0]]))).message, /'journal' missing/)
    assert.match(parseError(parseSystemLogs(framed([["journal", "", 127]]))).message, /no 'dmesg' section/)
    const full = runScriptWithShims(systemLogsShims, systemLogs.script({}))
    assert.match(parseError(parseSystemLogs({ ...full, truncated: true })).message, /truncated/)
  })

  it("a journal or dmesg ParseError keeps its message when system_logs names the section", () => {
    const journal = parseError(parseSystemLogs(framed([["journal", "-- No entries --", 0]])))
    assert.match(journal.message, /expected a JSON object/)
    assert.match(journal.at ?? "", /^journal: /)
    const dmesg = parseError(parseSystemLogs(framed([["journal", "", 127], ["dmesg", '{"dmesg": [{"pri": 1}]}', 0]])))
    assert.match(dmesg.message, /"msg"/)
    assert.match(dmesg.at ?? "", /^dmesg/)
  })

  it("no journalctl and dmesg refused: no entries, not an error", () => {
    const s = ok(parseSystemLogs(framed([["journal", "", 127], ["dmesg", "", 1]])))
    assert.equal(s.source, "none")
    assert.deepEqual(s.dmesg, { status: "failed", exit_code: 1 })
    assert.deepEqual(s.entries, [])
  })

  it("mutated script output never throws", () => {
    const full = runScriptWithShims(systemLogsShims, systemLogs.script({}))
    for (const variant of mutations(full.stdout, 11, 200)) {
      const r = parseSystemLogs({ ...full, stdout: variant })
      if (Result.isFailure(r)) assert.ok(r.failure instanceof ParseError)
    }
  })
})

describe("system_logs table", () => {
  let db: PGlite | undefined
  after(async () => {
    await db?.close()
  })

  it("migration runs; a cursor is stored once per device; the newest cursor is found", async () => {
    db = await PGlite.create()
    const sql = (file: string) => readFileSync(path.resolve(process.cwd(), "sql", file), "utf8")
    await db.exec(sql("001_init.sql"))
    await db.exec(sql("051_system_logs.sql"))
    await db.exec(sql("051_system_logs.sql")) // idempotent
    await db.query("INSERT INTO devices (name, host) VALUES ('a', 'h')")
    const [row] = systemLogs.toRows(collect())
    const insert = `INSERT INTO system_logs (time, device_id, cursor, unit, priority, message, data)
      VALUES ($1, 1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, cursor) WHERE cursor IS NOT NULL DO NOTHING`
    const values = [
      row?.["time"],
      row?.["cursor"],
      row?.["unit"],
      row?.["priority"],
      row?.["message"],
      JSON.stringify(row?.["data"]),
    ]
    assert.equal((await db.query(insert, values)).affectedRows, 1)
    assert.equal((await db.query(insert, values)).affectedRows, 0)
    await assert.rejects(db.query(insert.replace(/ ON CONFLICT[\s\S]*$/, ""), values), /duplicate key/)
    await db.query(insert, [row?.["time"], "s=newer", null, null, null, "{}"])
    const latest = await db.query<{ cursor: string }>(latestCursorQuery, [1])
    assert.deepEqual(latest.rows, [{ cursor: "s=newer" }])
    const stored = await db.query<{ time: Date }>("SELECT time FROM system_logs WHERE cursor = $1", [FIXTURE_CURSOR])
    assert.equal(stored.rows[0]?.time.toISOString(), "2024-08-19T15:20:55.230Z")
  })

  const collect = () => ok(systemLogs.parse(runScriptWithShims(systemLogsShims, systemLogs.script({})), {}))
})

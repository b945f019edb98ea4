/**
 * Hostile content from a real sshd host (issue 7): a 50 MB file, binary bytes, invalid UTF-8,
 * NUL and lone surrogates headed for the database, a million-line log, and output that never
 * ends. Reads stay bounded: a result marked `truncated` (audit "partial") or a typed
 * `ssh_output_too_large`, never a 500, never unbounded memory.
 */
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import { noRetry } from "../src/domain/schedules.ts"
import { type DataTypeSpec, params } from "../src/pipeline/DataType.ts"
import { allDataTypes } from "../src/collectors/index.ts"
import { shq } from "../src/domain/quote.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const dir = mkdtempSync(path.join(os.tmpdir(), "infra-hostile-"))
chmodSync(dir, 0o755)
const file = (name: string) => path.join(dir, name)
const CAP = 1024 * 1024

/** Test data types: a file read as text (tolerant parser) and as JSON (strict parser). */
const catFile: DataTypeSpec<{ chars: number; lines: number; replacements: number }> = {
  name: "cat_file",
  description: "test: a file's text",
  table: "",
  ttlSeconds: 0,
  params: params({ path: "file to read" }),
  timeout: "20 seconds",
  retry: noRetry,
  maxOutputBytes: CAP,
  script: (p) => `cat -- ${shq(String(p["path"] ?? ""))}`,
  parse: (r) =>
    Result.succeed({
      chars: r.stdout.length,
      lines: r.stdout.split("\n").length,
      replacements: (r.stdout.match(/\uFFFD/g) ?? []).length,
    }),
  toRows: () => [],
}
const jsonFile: DataTypeSpec<unknown> = {
  name: "json_file",
  description: "test: a file parsed as JSON",
  table: "",
  ttlSeconds: 0,
  params: params({ path: "file to read" }),
  timeout: "20 seconds",
  retry: noRetry,
  maxOutputBytes: CAP,
  script: catFile.script,
  parse: (r) => {
    try {
      return Result.succeed(JSON.parse(r.stdout) as unknown)
    } catch (e) {
      return Result.fail(new ParseError({ dataType: "json_file", message: (e as Error).message.slice(0, 100) }))
    }
  },
  toRows: () => [],
}

const journalLine = (message: string) =>
  JSON.stringify({
    __CURSOR: `s=1;i=${randomBytes(4).toString("hex")}`,
    __REALTIME_TIMESTAMP: "1700000000000000",
    PRIORITY: "3",
    _SYSTEMD_UNIT: "hostile.service",
    MESSAGE: message,
  })

const shims: Record<string, string> = {
  // mode file picks the hostile journal: NUL/surrogates/invalid UTF-8, or a million lines.
  journalctl: [
    "#!/bin/sh",
    `case "$(cat ${file("journal-mode")})" in`,
    `  million) yes ${shq(journalLine("spam"))} | head -n 1000000 ;;`,
    `  *) cat ${file("hostile.jsonl")} ;;`,
    "esac",
  ].join("\n"),
  docker: `#!/bin/sh\ncase "$1" in logs) exec yes 'never ending output' ;; *) exit 0 ;; esac`,
}

let sshd: SshdHandle
before(async () => {
  // 50 MB "config file", 256 KB of random bytes, invalid UTF-8, a 50 MB JSON document.
  const big = openSync(file("big.conf"), "w")
  const line = "server_name example.org; # padding padding padding padding padding padding\n"
  const chunk = line.repeat(Math.ceil((1024 * 1024) / line.length))
  for (let i = 0; i < 50; i++) writeSync(big, chunk)
  closeSync(big)
  writeFileSync(file("random.bin"), randomBytes(256 * 1024))
  writeFileSync(
    file("bad-utf8.txt"),
    Buffer.from([0x61, 0xff, 0xfe, 0x0a, 0xc3, 0x28, 0xe2, 0x82, 0x0a, 0xf0, 0x90, 0x28, 0x62]),
  )
  writeFileSync(file("big.json"), `[${`"${"x".repeat(1000)}",`.repeat(50 * 1024)}"end"]`)
  writeFileSync(
    file("hostile.jsonl"),
    Buffer.concat([
      Buffer.from(`${journalLine("nul\u0000byte")}\n${journalLine("lone \ud800 surrogate")}\n`),
      Buffer.from(`${journalLine("invalid-utf8-follows:")}\n`.replace("follows:", "follows:\udfff")),
      Buffer.from(`${journalLine("\u202e\u0007\u001b[31m escapes")}\n`),
    ]),
  )
  writeFileSync(file("journal-mode"), "hostile")
  sshd = await startSshd({ address: "127.0.0.11", shims })
})
after(() => {
  stopAllSshd()
  rmSync(dir, { recursive: true, force: true })
})

const backend = testBackends()[0]!
const specs = [...allDataTypes, catFile, jsonFile]
const device = () => ({
  name: "hostile",
  host: sshd.host,
  port: sshd.port,
  username: sshd.user,
  private_key_path: sshd.privateKeyPath,
})

describe("hostile content from a real host", () => {
  test("bounded reads: truncated results are marked and audited as partial; unparsable cuts are typed", async () => {
    await withSecureApp(backend, { specs, ssh: { connectTimeoutMs: 3000, commandTimeoutMs: 20_000 } }, async (t) => {
      assert.equal((await t.request("POST", "/api/devices?probe=false", { body: device() })).status, 201)
      const rssBefore = process.memoryUsage().rss

      const big = await t.request("GET", `/api/devices/hostile/cat_file?path=${encodeURIComponent(file("big.conf"))}`)
      assert.equal(big.status, 200, JSON.stringify(big.body).slice(0, 300))
      assert.equal(big.body.truncated, true)
      assert.ok(big.body.data.chars <= CAP, `${big.body.data.chars} chars kept`)
      const bigAudit = await t.request("GET", "/api/audit?device=hostile&data_type=cat_file")
      assert.equal(bigAudit.body.entries[0].status, "partial")

      const json = await t.request("GET", `/api/devices/hostile/json_file?path=${encodeURIComponent(file("big.json"))}`)
      assert.equal(json.status, 502, JSON.stringify(json.body).slice(0, 300))
      assert.equal(json.body.error.code, "ssh_output_too_large")
      assert.match(json.body.error.message, /cut at the size cap/)

      const binary = await t.request(
        "GET",
        `/api/devices/hostile/cat_file?path=${encodeURIComponent(file("random.bin"))}`,
      )
      assert.equal(binary.status, 200)
      assert.equal(binary.body.truncated, undefined)
      assert.ok(binary.body.data.replacements > 0, "invalid UTF-8 becomes U+FFFD")

      const utf8 = await t.request(
        "GET",
        `/api/devices/hostile/cat_file?path=${encodeURIComponent(file("bad-utf8.txt"))}`,
      )
      assert.equal(utf8.status, 200)
      assert.ok(utf8.body.data.replacements >= 3)

      // NUL, lone surrogates and terminal escapes in log messages reach the database safely.
      const logs = await t.request("GET", "/api/devices/hostile/system_logs")
      assert.equal(logs.status, 200, JSON.stringify(logs.body).slice(0, 500))
      const history = await t.request("GET", "/api/devices/hostile/system_logs/history?limit=100")
      assert.equal(history.status, 200, JSON.stringify(history.body).slice(0, 500))
      assert.ok(history.body.count >= 3, `rows stored: ${history.body.count}`)
      assert.ok(history.body.rows.some((r: any) => String(r.message).includes("nul\uFFFDbyte")))

      // A million-line journal: cut at the 32 MB cap, then either a partial result or a typed error.
      writeFileSync(file("journal-mode"), "million")
      const started = Date.now()
      const million = await t.request("GET", "/api/devices/hostile/system_logs?unit=spam.service&force_refresh=true")
      assert.notEqual(million.status, 500, JSON.stringify(million.body).slice(0, 300))
      if (million.status === 200) assert.equal(million.body.truncated, true)
      else assert.equal(million.body.error.code, "ssh_output_too_large")
      const millionAudit = await t.request("GET", "/api/audit?device=hostile&data_type=system_logs&limit=1")
      assert.equal(millionAudit.body.entries[0].status, million.status === 200 ? "partial" : "error")

      // Output that never ends (`yes`): stopped at the cap, promptly, as a typed error.
      const endless = await t.request("GET", "/api/devices/hostile/containers/web/logs")
      assert.equal(endless.status, 502, JSON.stringify(endless.body).slice(0, 300))
      assert.equal(endless.body.error.code, "ssh_output_too_large")
      assert.ok(Date.now() - started < 60_000, `hostile reads took ${Date.now() - started} ms`)

      const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024
      assert.ok(grown < 600, `memory grew by ${grown.toFixed(0)} MB`)
      // The host is still usable afterwards (the cut shell was replaced).
      const after = await t.request(
        "GET",
        `/api/devices/hostile/cat_file?path=${encodeURIComponent(file("bad-utf8.txt"))}`,
      )
      assert.equal(after.status, 200)
    })
  })
})

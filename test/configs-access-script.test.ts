import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Result } from "effect"
import { configFiles, configFilesScript, parseConfigFiles } from "../src/collectors/config-files/config-files.ts"
import { configRestoreScript, parseConfigRestore } from "../src/collectors/config-files/config-restore.ts"
import { configScanScript, parseConfigScan } from "../src/collectors/config-files/config-scan.ts"
import type { CommandResult } from "../src/ssh/Ssh.ts"
import { globMatches } from "../src/domain/globs.ts"
import { hostGlobCheck, staticPrefix } from "../src/collectors/config-files/host-globs.ts"

/**
 * The host side of the glob check, run with this machine's /bin/sh (dash on Debian): it matches
 * physical paths like pathname expansion does (the same answers as globMatches), resolves
 * symlinks in any component, and keeps a watched directory that is itself a symlink working.
 */
let root: string
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "cfg-access-script-"))
})
after(() => rmSync(root, { recursive: true, force: true }))

const sh = (script: string): CommandResult => {
  const stdout = execFileSync("/bin/sh", ["-c", script], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  return { stdout, stderr: "", exitCode: 0, durationMs: 0, bytes: stdout.length, truncated: false }
}

/** Which of `paths` the host check accepts for `globs` (paths taken as physical). */
const hostAccepts = (globs: ReadonlyArray<string>, paths: ReadonlyArray<string>): Array<boolean> => {
  const script = [
    "(",
    ...hostGlobCheck(globs),
    ...paths.map((p) => `if _inglobs '${p.replace(/'/g, `'\\''`)}'; then echo 1; else echo 0; fi`),
    ")",
  ].join("\n")
  return sh(script).stdout.trim().split("\n").map((x) => x === "1")
}

describe("host glob check", () => {
  test("static prefix of a glob", () => {
    assert.deepEqual(staticPrefix("/config/nginx/proxy-confs/*.conf"), {
      dir: "/config/nginx/proxy-confs",
      rest: "*.conf",
    })
    assert.deepEqual(staticPrefix("/opt/*/docker-compose.yml"), { dir: "/opt", rest: "*/docker-compose.yml" })
    assert.deepEqual(staticPrefix("/etc/app.conf"), { dir: "/etc", rest: "app.conf" })
    assert.deepEqual(staticPrefix("/*.conf"), { dir: "/", rest: "*.conf" })
  })

  test("matches physical paths exactly as globMatches does (* and ? never cross /, dotfiles)", () => {
    const globs = [
      "/w/*.conf",
      "/opt/*/docker-compose.yml",
      "/etc/systemd/system/?.service",
      "/x/[ab]*.env",
      "/x/[!c]z.env",
      "/sp ace/it's *.conf",
      "/exact/file.yml",
    ]
    const paths = [
      "/w/a.conf",
      "/w/sub/a.conf",
      "/w/.hidden.conf",
      "/w/a.conf.bak",
      "/w/.conf",
      "/opt/app/docker-compose.yml",
      "/opt/app/deeper/docker-compose.yml",
      "/opt/docker-compose.yml",
      "/opt/.git/docker-compose.yml",
      "/etc/systemd/system/a.service",
      "/etc/systemd/system/ab.service",
      "/x/a1.env",
      "/x/c1.env",
      "/x/az.env",
      "/x/cz.env",
      "/sp ace/it's a.conf",
      "/sp ace/it's a/b.conf",
      "/exact/file.yml",
      "/exact/file.yml2",
      "/etc/shadow",
      "/w",
      "/",
    ]
    const host = hostAccepts(globs, paths)
    const expected = paths.map((p) => globs.some((g) => globMatches(g, p)))
    assert.deepEqual(
      paths.map((p, i) => [p, host[i]]),
      paths.map((p, i) => [p, expected[i]]),
    )
  })
})

describe("config_files, config_scan and config_restore scripts", () => {
  test("content only where the physical path is inside the globs", () => {
    const w = path.join(root, "files")
    mkdirSync(path.join(w, "watched", "sub"), { recursive: true })
    mkdirSync(path.join(w, "outside"), { recursive: true })
    mkdirSync(path.join(w, "real"), { recursive: true })
    writeFileSync(path.join(w, "outside", "secret"), "SECRET\n")
    writeFileSync(path.join(w, "watched", "a.conf"), "a\n")
    writeFileSync(path.join(w, "watched", "sub", "b.conf"), "b\n")
    writeFileSync(path.join(w, "real", "c.conf"), "c\n")
    symlinkSync(path.join(w, "outside", "secret"), path.join(w, "watched", "leak.conf"))
    symlinkSync("../outside/secret", path.join(w, "watched", "relative leak.conf"))
    symlinkSync("a.conf", path.join(w, "watched", "inside.conf"))
    symlinkSync(path.join(w, "watched", "leak.conf"), path.join(w, "watched", "chain.conf"))
    symlinkSync(path.join(w, "outside"), path.join(w, "watched", "dirlink"))
    symlinkSync(path.join(w, "real"), path.join(w, "linked"))
    symlinkSync(path.join(w, "nowhere"), path.join(w, "watched", "dangling.conf"))
    const globs = [`${w}/watched/*.conf`, `${w}/linked/*.conf`]
    const paths = [
      `${w}/watched/a.conf`,
      `${w}/watched/leak.conf`,
      `${w}/watched/relative leak.conf`,
      `${w}/watched/inside.conf`,
      `${w}/watched/chain.conf`,
      `${w}/watched/dirlink/secret`,
      `${w}/watched/sub/b.conf`,
      `${w}/watched/../outside/secret`,
      `${w}/linked/c.conf`,
      `${w}/watched/dangling.conf`,
      `${w}/watched/missing.conf`,
    ]
    const out = parseConfigFiles(sh(configFilesScript(paths, globs, 1024)), paths, 1024)
    assert.ok(Result.isSuccess(out))
    const files = out.success.files
    const secret = path.join(w, "outside", "secret")
    assert.deepEqual(files.map((f) => [f.status, f.target]), [
      ["ok", null],
      ["outside", secret],
      ["outside", secret],
      ["ok", null],
      ["outside", secret],
      ["outside", secret],
      ["outside", `${w}/watched/sub/b.conf`],
      ["outside", secret],
      ["ok", null],
      ["missing", null],
      ["missing", null],
    ])
    assert.ok(files.every((f) => f.status === "ok" || (f.content_base64 === null && f.sha256 === null)))
    assert.ok(!JSON.stringify(files).includes(Buffer.from("SECRET\n").toString("base64")))
    const text = (i: number) => Buffer.from(files[i]?.content_base64 ?? "", "base64").toString("utf8")
    assert.deepEqual([text(0), text(3), text(8)], ["a\n", "a\n", "c\n"])

    // The spec refuses to run without globs.
    assert.throws(() => configFiles.script({ paths: JSON.stringify(paths) }), { _tag: "ValidationError" })

    // config_scan: links out of the globs come back with their target and no hash.
    const scan = parseConfigScan(sh(configScanScript(globs)), globs)
    assert.ok(Result.isSuccess(scan))
    assert.deepEqual(
      scan.success.files.map((f) => path.basename(f.path)).sort(),
      ["a.conf", "c.conf", "inside.conf"],
    )
    assert.deepEqual(
      scan.success.outside.map((f) => [path.basename(f.path), f.target]).sort(),
      [["chain.conf", secret], ["leak.conf", secret], ["relative leak.conf", secret]],
    )
  })

  test("restore refuses to write through a path that resolves outside the globs", () => {
    const w = path.join(root, "restore")
    mkdirSync(path.join(w, "watched"), { recursive: true })
    mkdirSync(path.join(w, "outside"), { recursive: true })
    mkdirSync(path.join(w, "real"), { recursive: true })
    const secret = path.join(w, "outside", "secret")
    writeFileSync(secret, "SECRET\n")
    symlinkSync(secret, path.join(w, "watched", "leak.conf"))
    symlinkSync(path.join(w, "real"), path.join(w, "linked"))
    writeFileSync(path.join(w, "watched", "a.conf"), "a\n")
    symlinkSync("a.conf", path.join(w, "watched", "inside.conf"))
    const globs = JSON.stringify([`${w}/watched/*.conf`, `${w}/linked/*.conf`])
    const restore = (p: string, content: string) => {
      const params = {
        path: p,
        globs,
        content_base64: Buffer.from(content).toString("base64"),
        stamp: "7",
        validator: "none",
      }
      const out = parseConfigRestore(sh(configRestoreScript(params)), params)
      assert.ok(Result.isSuccess(out))
      return out.success
    }
    const refused = restore(`${w}/watched/leak.conf`, "OVERWRITTEN\n")
    assert.equal(refused.written, false)
    assert.equal(refused.outside_target, secret)
    assert.equal(readFileSync(secret, "utf8"), "SECRET\n")
    const dotdot = restore(`${w}/watched/../outside/secret`, "OVERWRITTEN\n")
    assert.equal(dotdot.outside_target, secret)
    assert.equal(readFileSync(secret, "utf8"), "SECRET\n")

    // Inside: written (through the watched symlinked directory, and through an inside symlink).
    const linked = restore(`${w}/linked/new.conf`, "new\n")
    assert.equal(linked.written, true, JSON.stringify(linked))
    assert.equal(readFileSync(path.join(w, "real", "new.conf"), "utf8"), "new\n")
    const through = restore(`${w}/watched/inside.conf`, "via link\n")
    assert.equal(through.written, true)
    assert.equal(readFileSync(path.join(w, "watched", "a.conf"), "utf8"), "via link\n")
    assert.equal(through.backup, `${w}/watched/a.conf.infrastructor.bak.7`)
    assert.equal(readFileSync(through.backup ?? "", "utf8"), "a\n")

    assert.throws(
      () => configRestoreScript({ path: `${w}/watched/a.conf`, content_base64: "", stamp: "1" }),
      { _tag: "ValidationError" },
    )
  })
})

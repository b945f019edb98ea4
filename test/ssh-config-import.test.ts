/**
 * ~/.ssh/config: Include, Match and ProxyJump in the pure reader, checked against OpenSSH itself
 * (`ssh -G -F file alias` prints what ssh would use), and the import operation's per-host warnings.
 */
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import { Caller, localCaller } from "../src/app/caller.ts"
import { Devices } from "../src/app/devices.ts"
import { devicesFromSshConfig } from "../src/app/ssh-config-import.ts"
import {
  MAX_INCLUDE_DEPTH,
  parseProxyJump,
  parseSshConfig,
  resolveSshHostDetail,
  type SshConfigIo,
} from "../src/ssh/ssh-config.ts"
import { fileSystemIo } from "../src/ssh/target.ts"
import { runIn, withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"

let dir: string
let mainFile: string
const localUser = os.userInfo().username

const write = (file: string, lines: ReadonlyArray<string>) => {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, lines.join("\n") + "\n")
}

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "infra-ssh-config-"))
  mainFile = path.join(dir, "config")
  write(path.join(dir, "conf.d", "10-nas.conf"), ["Host nas", "  HostName 192.168.50.10"])
  write(path.join(dir, "conf.d", "20-app.conf"), ["Host app", "  HostName app.example.com", "  User deploy"])
  write(path.join(dir, "conf.d", "README"), ["Host not-included", "  User nobody"])
  write(path.join(dir, "web-extra"), [
    "User webuser",
    "Port 8022",
    "Host web-special",
    "  HostName special.example.com",
    "Host nas",
    "  User wrong-included-under-web",
  ])
  write(mainFile, [
    "# real-world shaped config",
    `Include ${dir}/conf.d/*.conf`,
    "Host web-*",
    `  Include ${dir}/web-extra`,
    "  ForwardAgent yes",
    "Host bastion",
    "  HostName 10.9.8.7",
    "  User jumper",
    "  Port 2022",
    "Host db-1",
    "  ProxyJump bastion",
    "Host db-2",
    "  ProxyJump jumper@bastion:2022,ops@10.1.1.1",
    "Host direct",
    "  ProxyJump none",
    "Match host 192.168.50.*",
    "  User lanuser",
    "Match originalhost nas",
    "  Port 2200",
    "Match user deploy",
    "  IdentityFile /keys/deploy",
    "Match !host *.example.com",
    "  ServerAliveInterval 30",
    'Match exec "false"',
    "  User never",
    "Match all",
    "  User fallback",
  ])
})
after(() => rmSync(dir, { recursive: true, force: true }))

/** What OpenSSH resolves for an alias: `ssh -G` prints the effective options, one per line. */
const opensshResolves = (alias: string) => {
  const out = execFileSync("ssh", ["-G", "-F", mainFile, alias], { encoding: "utf8", stdio: "pipe" })
  const values = new Map<string, Array<string>>()
  for (const line of out.split("\n")) {
    const space = line.indexOf(" ")
    if (space < 0) continue
    const key = line.slice(0, space)
    values.set(key, [...(values.get(key) ?? []), line.slice(space + 1)])
  }
  const proxyJump = values.get("proxyjump")?.[0]
  return {
    hostName: values.get("hostname")?.[0],
    user: values.get("user")?.[0],
    port: Number(values.get("port")?.[0]),
    proxyJump: proxyJump === undefined || proxyJump === "none" ? undefined : proxyJump,
    identityFiles: values.get("identityfile") ?? [],
  }
}

const blocks = () =>
  parseSshConfig(readFileSync(mainFile, "utf8"), {
    file: mainFile,
    io: fileSystemIo,
    home: dir,
    baseDir: dir,
  })

describe("ssh config: Include, Match, ProxyJump against ssh -G", () => {
  for (const alias of ["nas", "app", "db-1", "db-2", "direct", "web-1", "web-special", "bastion", "unknown"]) {
    test(`${alias} resolves as OpenSSH resolves it`, () => {
      const ours = resolveSshHostDetail(blocks(), alias, { home: dir, localUser })
      const theirs = opensshResolves(alias)
      assert.deepEqual(ours.problems, [])
      assert.equal(ours.hostName, theirs.hostName)
      assert.equal(ours.user ?? localUser, theirs.user)
      assert.equal(ours.port ?? 22, theirs.port)
      // ssh -G prints hops normalised (`ops@[10.1.1.1]`): compare them parsed.
      const hops = (v: string | undefined) => (v === undefined ? undefined : parseProxyJump(v))
      assert.deepEqual(hops(ours.proxyJump), hops(theirs.proxyJump))
      if (ours.identityFiles.length > 0) assert.deepEqual(ours.identityFiles, theirs.identityFiles)
    })
  }

  test("what the reader resolved, spelled out", () => {
    const r = (alias: string) => resolveSshHostDetail(blocks(), alias, { home: dir, localUser })
    // Include by glob (sorted, README not matched); Match host sees the HostName set so far.
    assert.deepEqual([r("nas").hostName, r("nas").user, r("nas").port], ["192.168.50.10", "lanuser", 2200])
    // Match user sees the User set so far.
    assert.deepEqual(r("app").identityFiles, ["/keys/deploy"])
    // Include inside Host web-*: its leading options and its own Host blocks hold only under web-*.
    assert.deepEqual([r("web-1").user, r("web-1").port], ["webuser", 8022])
    assert.equal(r("web-special").hostName, "special.example.com")
    assert.equal(r("db-2").proxyJump, "jumper@bastion:2022,ops@10.1.1.1")
    assert.equal(r("direct").proxyJump, undefined)
    assert.equal(r("not-included").user, "fallback")
  })

  test("unsupported options and Match criteria are warnings for the hosts they concern", () => {
    const warnings = (alias: string) => resolveSshHostDetail(blocks(), alias, { home: dir, localUser }).warnings
    const nas = warnings("nas")
    assert.ok(nas.some((w) => /Match exec false is not supported/.test(w)), nas.join("\n"))
    assert.ok(nas.some((w) => /option serveraliveinterval \(.*config:23\)/.test(w)), nas.join("\n"))
    // app is *.example.com: the negated Match does not apply, so no warning for its option.
    assert.ok(!warnings("app").some((w) => w.includes("serveraliveinterval")))
    assert.ok(warnings("web-1").some((w) => w.includes("forwardagent")))
    assert.ok(!warnings("nas").some((w) => w.includes("forwardagent")))
  })
})

describe("Include details", () => {
  /** An in-memory file system for the reader. */
  const memoryIo = (files: Record<string, string>): SshConfigIo => ({
    readFile: (file) => files[file],
    listDir: (d) => {
      const prefix = d.endsWith("/") ? d : `${d}/`
      const names = Object.keys(files).filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length))
      return names.length === 0 ? undefined : [...new Set(names.map((n) => n.split("/")[0]!))]
    },
  })
  const env = { home: "/home/me", localUser: "me" }

  test("relative paths start in ~/.ssh, ~/ is the home; globs match in any component, sorted", () => {
    const io = memoryIo({
      "/home/me/.ssh/config.d/b": "Host box\n  Port 2\n",
      "/home/me/.ssh/config.d/a": "Host box\n  Port 1\n  User from-a\n",
      "/home/me/.ssh/config.d/.hidden": "Host box\n  HostName hidden\n",
      "/home/me/other/x/hosts": "Host box\n  HostName from-tilde\n",
    })
    const parsed = parseSshConfig("Include config.d/*\nInclude ~/other/*/hosts\n", { io, home: "/home/me" })
    assert.deepEqual(
      [resolveSshHostDetail(parsed, "box", env).port, resolveSshHostDetail(parsed, "box", env).user],
      [1, "from-a"],
    )
    assert.equal(resolveSshHostDetail(parsed, "box", env).hostName, "from-tilde")
  })

  test("a recursive Include stops at the depth limit with a warning, never overflows", () => {
    const io = memoryIo({ "/home/me/.ssh/loop": "Host looped\n  User l\nInclude loop\n" })
    const parsed = parseSshConfig("Include loop\n", { io, home: "/home/me" })
    const r = resolveSshHostDetail(parsed, "looped", env)
    assert.equal(r.user, "l")
    assert.ok(r.warnings.some((w) => w.includes(`deeper than ${MAX_INCLUDE_DEPTH}`)), r.warnings.join("\n"))
    // OpenSSH refuses the same file outright.
    writeFileSync(path.join(dir, "loop"), `Include ${path.join(dir, "loop")}\n`)
    assert.throws(() => execFileSync("ssh", ["-G", "-F", path.join(dir, "loop"), "x"], { stdio: "pipe" }))
  })

  test("an Include inside a Host block that does not apply contributes nothing", () => {
    const io = memoryIo({ "/home/me/.ssh/inc": "User inc\nHost *\n  Port 99\n" })
    const parsed = parseSshConfig("Host other\n  Include inc\n  Port 5\n", { io, home: "/home/me" })
    assert.deepEqual([resolveSshHostDetail(parsed, "box", env).user, resolveSshHostDetail(parsed, "box", env).port], [
      undefined,
      undefined,
    ])
    // For `other`: the include's leading User, its Host * (under Host other), then Port 5 is too late.
    assert.deepEqual(
      [resolveSshHostDetail(parsed, "other", env).user, resolveSshHostDetail(parsed, "other", env).port],
      ["inc", 99],
    )
  })
})

describe("ProxyJump values", () => {
  test("hops: user@host:port, [v6]:port, ssh:// URIs, chains; bad ones say why", () => {
    assert.deepEqual(parseProxyJump("bastion"), [{ user: undefined, host: "bastion", port: undefined }])
    assert.deepEqual(parseProxyJump("ops@jump.example:2222, ssh://u@[2001:db8::1]:22"), [
      { user: "ops", host: "jump.example", port: 2222 },
      { user: "u", host: "2001:db8::1", port: 22 },
    ])
    for (const bad of ["", "a,,b", "@host", "user@:22", "host:0", "host:99999", "host:x", "a b"]) {
      assert.equal(typeof parseProxyJump(bad), "string", bad)
    }
  })
})

describe("import", () => {
  test("devices carry ProxyJump and a per-host warning list; Include in request text is not followed", () => {
    const text = [
      "Include /etc/passwd",
      "Host jumped",
      "  HostName 10.0.0.5",
      "  ProxyJump ops@bastion:2222",
      "  IdentityFile /k/one",
      "  IdentityFile /k/two",
      "Host plain",
      "  HostName 10.0.0.6",
      "  ProxyCommand nc %h %p",
      "Match canonical all",
      "  User never",
    ].join("\n")
    const { inputs } = devicesFromSshConfig(text)
    const jumped = inputs.find((i) => i.input.name === "jumped")!
    assert.equal(jumped.input.proxyJump, "ops@bastion:2222")
    assert.ok(jumped.warnings.some((w) => /Include \/etc\/passwd: Include is not followed for config text/.test(w)))
    assert.ok(jumped.warnings.some((w) => /only the first IdentityFile/.test(w)))
    assert.ok(jumped.warnings.some((w) => /Match canonical, all|Match canonical/.test(w)))
    const plain = inputs.find((i) => i.input.name === "plain")!
    assert.equal(plain.input.proxyJump, null)
    assert.ok(plain.warnings.some((w) => /option proxycommand/.test(w)))
  })

  test("the server's own config follows Include (from ~/.ssh)", () => {
    const { inputs } = devicesFromSshConfig(`Include ${dir}/conf.d/*.conf\n`, undefined, {
      io: fileSystemIo,
      home: dir,
      localUser,
    })
    assert.deepEqual(inputs.map((i) => [i.input.name, i.input.host]), [["nas", "192.168.50.10"], [
      "app",
      "app.example.com",
    ]])
  })

  for (const backend of testBackends().slice(0, 1)) {
    test(`the import operation stores proxy_jump and reports warnings (${backend.name})`, async () => {
      await withTestApp(backend, {}, async (t) => {
        const result = await runIn(
          t,
          Devices.use((d) =>
            d.importSshConfig({
              configText: "Host behind\n  HostName 10.0.0.9\n  ProxyJump ops@bastion:2222\n  Compression yes\n" +
                "Host badjump\n  ProxyJump user@:1\n",
            })
          ).pipe(Effect.provide(Caller.layer(localCaller("library", "test")))),
        ) as {
          added: Array<{ name: string; proxy_jump: string | null; warnings: Array<string> }>
          failed: Array<{ host: string; error: string }>
        }
        const behind = result.added.find((d) => d.name === "behind")
        assert.equal(behind?.proxy_jump, "ops@bastion:2222")
        assert.ok(behind?.warnings.some((w) => w.includes("compression")), JSON.stringify(behind))
        assert.deepEqual(result.failed.map((f) => f.host), ["badjump"])
        const stored = await t.request("GET", "/api/devices/behind")
        assert.equal(stored.body.proxy_jump, "ops@bastion:2222")
      })
    })
  }
})

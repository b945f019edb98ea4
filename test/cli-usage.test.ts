/**
 * The command line as a user meets it, through the real process (Node runs the compiled tree,
 * Deno the sources): help for every command, the version, and exit status 0 ok, 1 failure,
 * 2 usage error. Help, version and usage errors must not open the store: the data directory they
 * are given is never created, and the entry module does not load the runtime.
 */
import assert from "node:assert/strict"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, test } from "node:test"
import { fileURLToPath } from "node:url"
import { allDataTypes, pollableDataTypes } from "../src/collectors/index.ts"
import { commands } from "../src/cli/commands.ts"
import { runCli, staticImports } from "./harness/cli.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
// Under Node the tests run from <outDir>/test; package.json and the sources are in the repository root.
const root = (() => {
  for (let dir = here;; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "src", "cli", "bin.ts"))) return dir
    if (path.dirname(dir) === dir) throw new Error("repository root not found")
  }
})()
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string }

const tmp = mkdtempSync(path.join(os.tmpdir(), "infra-cli-usage-"))
after(() => rmSync(tmp, { recursive: true, force: true }))

/** For help, version and usage errors: a data directory that must still not exist afterwards. */
const untouched = path.join(tmp, "never-created")
const light = { INFRA_DATA_DIR: untouched, DATABASE_URL: "", INFRA_CONFIG: "", INFRA_LOG_LEVEL: "error" }
const cli = (...args: Array<string>) => runCli(args, light)

describe("help", () => {
  test("--help, -h and help print every command, exit 0", () => {
    const outputs = [cli("--help"), cli("-h"), cli("help")]
    for (const r of outputs) {
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stderr, "")
      for (const c of commands) assert.ok(r.stdout.includes(`  ${[...c.path, ...c.args].join(" ")} `), c.path.join(" "))
      assert.match(r.stdout, /exit status: 0 ok, 1 failure, 2 usage error/)
    }
    assert.equal(outputs[1]?.stdout, outputs[0]?.stdout)
    assert.equal(outputs[2]?.stdout, outputs[0]?.stdout)
  })

  test("each command's --help equals `help COMMAND` and lists exactly its options", () => {
    for (const c of commands.filter((c) => c.path[0] !== "help")) {
      const flag = cli(...c.path, "--help")
      const topic = cli("help", ...c.path)
      assert.equal(flag.code, 0, `${c.path.join(" ")}: ${flag.stderr}`)
      assert.equal(topic.code, 0, topic.stderr)
      assert.equal(flag.stdout, topic.stdout)
      assert.ok(flag.stdout.startsWith(`usage: infrastructor ${c.path.join(" ")}`), flag.stdout)
      for (const o of c.options) assert.ok(flag.stdout.includes(`--${o}`), `${c.path.join(" ")} --${o}`)
    }
  })

  test("device add --help: its arguments and options; help wins over a missing NAME", () => {
    const r = cli("device", "add", "--help")
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^usage: infrastructor device add NAME \[--host HOST\] \[--port N\]/)
    assert.match(r.stdout, /--transport ssh\|local/)
    assert.doesNotMatch(r.stdout, /--scope/, "another command's option")
  })

  test("token --help and help token list the token commands; a required option is not shown as optional", () => {
    const group = cli("token", "--help")
    assert.equal(group.code, 0, group.stderr)
    assert.equal(cli("help", "token").stdout, group.stdout)
    for (const sub of ["create", "list", "revoke ID"]) assert.match(group.stdout, new RegExp(`token ${sub} `))
    const create = cli("help", "token", "create")
    assert.match(create.stdout, /^usage: infrastructor token create --name NAME \[--scope read\|write\]/)
  })

  test("collect --help names the data types collect can read", () => {
    const r = cli("collect", "--help")
    const listed = /DATA_TYPE is one of: ([^.]*)\./.exec(r.stdout)?.[1]?.split(/,\s*/).map((s) => s.trim())
    assert.ok(listed !== undefined, r.stdout)
    const collectable = allDataTypes.filter((s) => s.internal !== true).map((s) => s.name)
    for (const t of pollableDataTypes) assert.ok(listed.includes(t), `${t} is pollable but not listed`)
    for (const t of listed) assert.ok(collectable.includes(t), `${t} is listed but not collectable`)
  })

  test("help for something unknown is a usage error with the nearest command", () => {
    const r = cli("help", "devices")
    assert.equal(r.code, 2)
    assert.match(r.stderr, /unknown help topic 'devices'; did you mean 'device'\?/)
  })
})

describe("version", () => {
  test("--version, -V and version print package.json's version", () => {
    for (const flag of ["--version", "-V", "version"]) {
      const r = cli(flag)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, `infrastructor ${pkg.version}\n`)
    }
  })
})

describe("usage errors exit 2, on stderr, naming the problem", () => {
  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
    [[], /no command given[\s\S]*usage: infrastructor <command>/],
    [["bogus"], /unknown command 'bogus'/],
    [["devcie", "list"], /unknown command 'devcie'; did you mean 'device'\?/],
    [["device"], /device needs a command: add, list, rm/],
    [["device", "remove", "x"], /unknown device command 'remove' \(add, list, rm\)/],
    [["device", "add"], /device add needs NAME\nusage: infrastructor device add NAME/],
    [["device", "rm"], /device rm needs NAME/],
    [["collect", "localhost"], /collect needs DATA_TYPE/],
    [["token", "revoke"], /token revoke needs ID/],
    [["token", "create"], /token create needs --name NAME/],
    [
      ["device", "add", "web", "--hots", "10.0.0.1"],
      /unknown option '--hots' for 'device add'; did you mean '--host'\?/,
    ],
    [["device", "list", "--host", "x"], /unknown option '--host' for 'device list'/],
    [["serve", "--port", "9000"], /unknown option '--port' for 'serve'/],
    [["device", "list", "--jsno"], /did you mean '--json'\?/],
    [["device", "list", "extra"], /unexpected argument 'extra'/],
    [["device", "add", "web", "--host"], /--host/],
    [["device", "list", "--json=yes"], /--json/],
    [["device", "add", "web", "--port", "abc"], /--port must be a number from 1 to 65535, not 'abc'/],
    [["device", "add", "web", "--transport", "telnet"], /--transport must be ssh or local/],
    [["token", "create", "--name", "ci", "--scope", "admin"], /--scope must be read or write/],
  ]
  for (const [args, message] of cases) {
    test(`infrastructor ${args.join(" ") || "(nothing)"}`, () => {
      const r = cli(...args)
      assert.equal(r.code, 2, `${r.stdout}${r.stderr}`)
      assert.equal(r.stdout, "")
      assert.match(r.stderr, /^infrastructor: /)
      assert.match(r.stderr, message)
    })
  }

  test("none of the above touched the data directory", () => {
    assert.equal(existsSync(untouched), false)
  })
})

describe("commands that run: exit 0 on success, 1 on failure", () => {
  const env = {
    INFRA_DATA_DIR: path.join(tmp, "data"),
    DATABASE_URL: "",
    INFRA_CONFIG: "",
    INFRA_LOG_LEVEL: "error",
    INFRA_LOCAL_DEVICE: "false",
  }

  test("removing a device that does not exist fails with 1 and names it", () => {
    const r = runCli(["device", "rm", "nope"], env)
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /^infrastructor: .*'nope'/)
  })

  test("add, list and remove succeed with 0; options may come before the command", () => {
    const add = runCli(["device", "add", "db-1", "--host", "127.0.0.9", "--port", "2200"], env)
    assert.equal(add.code, 0, add.stderr)
    assert.equal(JSON.parse(add.stdout).port, 2200)
    const list = runCli(["--json", "device", "list"], env)
    assert.equal(list.code, 0, list.stderr)
    assert.deepEqual(JSON.parse(list.stdout).map((d: { name: string }) => d.name), ["db-1"])
    const rm = runCli(["device", "rm", "db-1"], env)
    assert.equal(rm.code, 0, rm.stderr)
    assert.equal(rm.stdout, "removed db-1\n")
  })

  test("an unknown data type fails with 1 (the registry decides, not the parser)", () => {
    const r = runCli(["collect", "nowhere", "no_such_type"], env)
    assert.equal(r.code, 1, r.stderr)
  })
})

describe("the entry module stays light", () => {
  test("bin.ts loads no runtime, store, SSH, HTTP or MCP module before a command runs", () => {
    const loaded = [...staticImports(path.join(root, "src", "cli", "bin.ts"))]
    const heavy = ["effect", "@electric-sql/pglite", "postgres", "hono", "@hono/node-server", "ssh2", "yaml", "zod"]
    const bad = loaded.filter((m) =>
      heavy.some((h) => m === h || m.startsWith(`${h}/`)) || m.startsWith("@modelcontextprotocol/") ||
      m.endsWith(path.join("src", "cli", "main.ts")) || m.endsWith(path.join("src", "runtime.ts"))
    )
    assert.deepEqual(bad, [])
    assert.ok(loaded.some((m) => m.endsWith(path.join("src", "cli", "parse.ts"))), "the walk follows imports")
  })
})

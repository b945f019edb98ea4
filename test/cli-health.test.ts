/**
 * `infrastructor health` through the real process (Node runs the compiled tree, Deno the sources)
 * against a real `infrastructor serve`: exit 0 while it answers, 1 once it is gone (or for a port
 * nobody listens on, a server that is not healthy, one that never answers), 2 for a bad command
 * line. The default URL comes from the config as serve reads it (INFRA_HOST/INFRA_PORT, or the
 * file); INFRA_HEALTHCHECK_URL, what the image's healthcheck always read, still overrides.
 */
import assert from "node:assert/strict"
import type { ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import http from "node:http"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { fileURLToPath } from "node:url"
import { type CliResult, spawnCli, staticImports } from "./harness/cli.ts"

const tmp = mkdtempSync(path.join(os.tmpdir(), "infra-cli-health-"))
after(() => rmSync(tmp, { recursive: true, force: true }))

/** Nothing from the caller's environment picks the address: each test says what it means. */
const quiet = {
  INFRA_CONFIG: "",
  INFRA_HOST: "",
  INFRA_PORT: "",
  INFRA_HEALTHCHECK_URL: "",
  DATABASE_URL: "",
  INFRA_LOG_LEVEL: "error",
  INFRA_DATA_DIR: path.join(tmp, "never-created"),
}
/**
 * Runs `infrastructor health` without blocking this process: the fake servers below answer from
 * this test's own event loop.
 */
const health = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawnCli(["health", ...args], { ...quiet, ...env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()))
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()))
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })

/** A port that was free a moment ago: bound, then released. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })

let server: ChildProcess | undefined
let base = ""
let port = 0

before(async () => {
  server = spawnCli(["serve"], {
    ...quiet,
    INFRA_DATA_DIR: path.join(tmp, "data"),
    INFRA_HOST: "127.0.0.1",
    INFRA_PORT: "0",
    INFRA_LOCAL_DEVICE: "false",
    INFRA_SCHEDULE: "false",
  })
  let out = ""
  server.stderr?.on("data", (b: Buffer) => void (out += b.toString()))
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 90_000)
    server!.stdout?.on("data", (b: Buffer) => {
      out += b.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    server!.once("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)))
  })
  port = Number(new URL(base).port)
})

const stopServer = async () => {
  const child = server
  server = undefined
  if (child === undefined || child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.kill("SIGTERM")
  await exited
}
after(stopServer)

describe("health: a running server", () => {
  test("--url: exit 0, one line on stdout naming the URL and the store", async () => {
    const r = await health(["--url", `${base}/health`])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, "")
    assert.match(r.stdout, new RegExp(`^ok: ${base}/health \\(store ok, backend pglite, up \\d+ s\\)\\n$`))
  })

  test("--json prints what /health answered", async () => {
    const r = await health(["--url", `${base}/health`, "--json"])
    assert.equal(r.code, 0, r.stderr)
    const body = JSON.parse(r.stdout)
    assert.equal(body.status, "ok")
    assert.equal(body.store, "ok")
  })

  test("the default URL is serve's address: INFRA_HOST and INFRA_PORT, a wildcard host asked on loopback", async () => {
    for (const host of ["127.0.0.1", "0.0.0.0", ""]) {
      const r = await health([], { INFRA_HOST: host, INFRA_PORT: String(port) })
      assert.equal(r.code, 0, `${host}: ${r.stderr}`)
      assert.match(r.stdout, new RegExp(`^ok: http://127\\.0\\.0\\.1:${port}/health `))
    }
  })

  test("the default URL from a config file (--config, and INFRA_CONFIG); the environment wins over it", async () => {
    const file = path.join(tmp, "infrastructor.yaml")
    writeFileSync(file, `host: 0.0.0.0\nport: ${port}\n`)
    for (const [args, env] of [[["--config", file], {}], [[], { INFRA_CONFIG: file }]] as const) {
      const r = await health(args, env)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`^ok: http://127\\.0\\.0\\.1:${port}/health `))
    }
    const elsewhere = await freePort()
    const overridden = await health(["--config", file], { INFRA_PORT: String(elsewhere) })
    assert.equal(overridden.code, 1, overridden.stdout)
    assert.match(overridden.stderr, new RegExp(`127\\.0\\.0\\.1:${elsewhere}/health`))
  })

  test("INFRA_HEALTHCHECK_URL (the image's setting) overrides the config; --url overrides it", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/health`
    const r = await health([], { INFRA_HEALTHCHECK_URL: `${base}/health`, INFRA_PORT: "1" })
    assert.equal(r.code, 0, r.stderr)
    const flag = await health(["--url", closed], { INFRA_HEALTHCHECK_URL: `${base}/health` })
    assert.equal(flag.code, 1, flag.stdout)
  })
})

describe("health: exit 1 when not healthy, with the reason on one line of stderr", () => {
  test("a port nobody listens on: unreachable, connection refused", async () => {
    const url = `http://127.0.0.1:${await freePort()}/health`
    const r = await health(["--url", url])
    assert.equal(r.code, 1, r.stdout)
    assert.equal(r.stdout, "")
    assert.match(r.stderr, new RegExp(`^infrastructor: unreachable: ${url}: .*(ECONNREFUSED|refused)`, "i"))
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr)
  })

  test("a server that answers but is not healthy: a 503, a degraded store, a page that is not JSON", async () => {
    const answers: Record<string, [number, string]> = {
      "/down": [503, JSON.stringify({ status: "ok" })],
      "/degraded": [200, JSON.stringify({ status: "degraded", store: "unavailable", backend: "postgres" })],
      "/html": [200, "<html>hello</html>"],
    }
    const fake = http.createServer((req, res) => {
      const [status, body] = answers[req.url ?? ""] ?? [404, "{}"]
      res.writeHead(status, { "content-type": "application/json" }).end(body)
    })
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve))
    const at = `http://127.0.0.1:${(fake.address() as net.AddressInfo).port}`
    try {
      const down = await health(["--url", `${at}/down`])
      assert.equal(down.code, 1)
      assert.match(down.stderr, /^infrastructor: unhealthy: .*\/down answered HTTP 503/)
      const degraded = await health(["--url", `${at}/degraded`])
      assert.equal(degraded.code, 1)
      assert.match(degraded.stderr, /answered HTTP 200, status "degraded" \(store unavailable, backend postgres\)/)
      const html = await health(["--url", `${at}/html`])
      assert.equal(html.code, 1)
      assert.match(html.stderr, /answered HTTP 200 "<html>hello<\/html>"/)
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()))
    }
  })

  test("a server that never answers: gives up after --timeout", async () => {
    const sockets: Array<net.Socket> = []
    const silent = net.createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/health`
    try {
      const started = Date.now()
      const r = await health(["--url", url, "--timeout", "0.5"])
      assert.equal(r.code, 1, r.stdout)
      assert.match(r.stderr, /no answer within 0\.5 s/)
      assert.ok(Date.now() - started < 20_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  test("port 0 (any free port) cannot be asked: exit 1 saying to give --url", async () => {
    const r = await health([], { INFRA_PORT: "0" })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /port is 0.*--url/)
  })

  test("a bad INFRA_PORT or config file is reported as the configuration's problem", async () => {
    const r = await health([], { INFRA_PORT: "99999" })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /INFRA_PORT/)
    const file = path.join(tmp, "typo.yaml")
    writeFileSync(file, "prot: 8080\n")
    const typo = await health(["--config", file])
    assert.equal(typo.code, 1)
    assert.match(typo.stderr, /prot.*did you mean `port`\?/)
  })

  test("the same command says 1 once the real server has stopped", async () => {
    const url = `${base}/health`
    assert.equal((await health(["--url", url])).code, 0)
    await stopServer()
    const r = await health(["--url", url])
    assert.equal(r.code, 1, r.stdout)
    assert.match(r.stderr, /^infrastructor: unreachable: /)
  })
})

describe("health: exit 2 for a command line that cannot mean anything", () => {
  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
    [["--bogus"], /unknown option '--bogus' for 'health'/],
    [["--urll", "http://x/health"], /did you mean '--url'\?/],
    [["--url"], /--url/],
    [["--url", "ftp://example.org/health"], /--url must be an http:\/\/ or https:\/\/ URL/],
    [["--url", "not a url"], /--url must be an http:\/\/ or https:\/\/ URL/],
    [["--timeout", "0"], /--timeout must be a number of seconds from 0\.1 to 60/],
    [["--timeout", "soon"], /--timeout must be a number/],
    [["extra"], /unexpected argument 'extra'/],
  ]
  for (const [args, message] of cases) {
    test(`infrastructor health ${args.join(" ")}`, async () => {
      const r = await health(args)
      assert.equal(r.code, 2, `${r.stdout}${r.stderr}`)
      assert.equal(r.stdout, "")
      assert.match(r.stderr, /^infrastructor: /)
      assert.match(r.stderr, message)
      assert.match(r.stderr, /usage: infrastructor health/)
    })
  }

  test("health --help lists its options", async () => {
    const r = await health(["--help"])
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /^usage: infrastructor health \[--url URL\] \[--timeout SECONDS\] \[--json\] \[--config FILE\]/,
    )
    assert.equal(existsSync(quiet.INFRA_DATA_DIR), false, "health never opens a data directory")
  })
})

describe("health stays light", () => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const root = (() => {
    for (let dir = here;; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, "src", "cli", "health.ts"))) return dir
      if (path.dirname(dir) === dir) throw new Error("repository root not found")
    }
  })()

  test("health.ts statically loads only node built-ins and the config file lookup, never the runtime or a Schema", () => {
    const loaded = [...staticImports(path.join(root, "src", "cli", "health.ts"))]
    const bad = loaded.filter((m) => !m.startsWith("/") && !m.startsWith("node:"))
    assert.deepEqual(bad, [])
    const local = loaded.filter((m) => m.startsWith("/")).map((m) => path.relative(root, m).split(path.sep).join("/"))
    assert.deepEqual(local.sort(), ["src/cli/health.ts", "src/settings/config-file.ts"])
  })
})

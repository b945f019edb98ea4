/**
 * The single binary (issue 12): `npm run build:binary` (tools/build-binary/build.mjs) makes one
 * executable; here it runs where no Node is installed.
 *
 * 1. In a bare Debian root filesystem (`debootstrap --variant=minbase bookworm`, cached outside
 *    the repository and copied into a folder this test owns), by chroot: it answers `--version`,
 *    serves /health, and collects from a real sshd test host (the chroot shares the network).
 * 2. In the container image's root filesystem (tools/build-binary/rootfs.sh: the binary, the shared
 *    libraries it links and a passwd, nothing else), by chroot as the image's unprivileged user,
 *    and its HEALTHCHECK command. (tools/build-binary/image.sh builds the image itself with buildah.)
 *
 * Needs root, chroot and debootstrap (and Debian's mirror, once, to fill the cache): without them it
 * fails, it does not skip. The binary is built once per content of its inputs (cached in the temp
 * directory), so the Node and Deno runs of the suite share one build.
 */
import assert from "node:assert/strict"
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { after, before, describe, it } from "node:test"
import { fileURLToPath } from "node:url"
import { type SshdHandle, startSshd } from "./harness/sshd.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
/** The repository root: above test/ under Deno, above dist/test/ (or another outDir) under Node. */
const findRoot = (dir: string): string =>
  existsSync(path.join(dir, "tools/build-binary/build.mjs"))
    ? dir
    : path.dirname(dir) === dir
    ? assert.fail("tools/build-binary/build.mjs not found above the test")
    : findRoot(path.dirname(dir))
const root = findRoot(here)

const ROOTFS_CACHE = process.env["INFRA_ROOTFS_CACHE"] ?? "/var/cache/infrastructor-rootfs"
const DEBIAN_SUITE = "bookworm"
const IMAGE_UID = 10001

const isDeno = "Deno" in globalThis
/** Node, to run the build script (under Deno, the one on PATH). */
const nodeBin = isDeno ? "node" : process.execPath

/** Every input of the build, hashed: the same tree gives the same cached binary. */
const inputsHash = (): string => {
  const hash = createHash("sha256")
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) hash.update(path.relative(root, full)).update("\0").update(readFileSync(full))
    }
  }
  for (const dir of ["src", "sql", "tools/build-binary"]) walk(path.join(root, dir))
  for (const file of ["package.json", "package-lock.json"]) hash.update(readFileSync(path.join(root, file)))
  hash.update(execFileSync(nodeBin, ["--version"], { encoding: "utf8" }))
  return hash.digest("hex").slice(0, 16)
}

const buildBinary = (): { path: string; buildSeconds: number | null } => {
  const cached = path.join(os.tmpdir(), `infrastructor-binary-${inputsHash()}`, "infrastructor")
  if (existsSync(cached)) return { path: cached, buildSeconds: null }
  // Builds of other sources (114 MB each) go: one is kept.
  for (const old of readdirSync(os.tmpdir()).filter((f) => /^infrastructor-binary-[0-9a-f]{16}$/.test(f))) {
    rmSync(path.join(os.tmpdir(), old), { recursive: true, force: true })
  }
  const started = Date.now()
  const partial = `${path.dirname(cached)}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  // postject prints harmless "Can't find string offset" warnings: show its output only on failure.
  const build = spawnSync(nodeBin, ["tools/build-binary/build.mjs", "--out", path.join(partial, "infrastructor")], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  })
  assert.equal(build.status, 0, `npm run build:binary failed:\n${build.stdout}\n${build.stderr}`)
  rmSync(path.dirname(cached), { recursive: true, force: true })
  renameSync(partial, path.dirname(cached))
  return { path: cached, buildSeconds: (Date.now() - started) / 1000 }
}

/** The cached minbase root filesystem, made by debootstrap when absent. */
const debianRootfs = (): string => {
  const dir = path.join(ROOTFS_CACHE, `${DEBIAN_SUITE}-minbase`)
  if (existsSync(path.join(dir, ".complete"))) return dir
  mkdirSync(ROOTFS_CACHE, { recursive: true })
  const partial = `${dir}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  execFileSync("debootstrap", ["--variant=minbase", DEBIAN_SUITE, partial], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 900_000,
  })
  execFileSync("touch", [path.join(partial, ".complete")])
  rmSync(dir, { recursive: true, force: true })
  renameSync(partial, dir)
  return dir
}

const freePort = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, host, () => {
      const info = server.address()
      server.close(() => resolve(typeof info === "object" && info !== null ? info.port : 0))
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `env -i K=V... chroot [--userspec] ROOT argv...`: a bare environment, so nothing of the test
 * runner's (NODE_OPTIONS, NODE_EXTRA_CA_CERTS...) leaks in. (Deno's child_process adds the parent's
 * environment to the one given, so the `env` option alone would not do.)
 */
const chrootArgs = (
  rootDir: string,
  argv: ReadonlyArray<string>,
  env: Record<string, string>,
  userspec: string | undefined,
): Array<string> => [
  "-i",
  ...Object.entries({ PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", ...env }).map(([k, v]) => `${k}=${v}`),
  "chroot",
  ...(userspec === undefined ? [] : [`--userspec=${userspec}`]),
  rootDir,
  ...argv,
]

/** Runs argv in the chroot and returns its stdout; throws with stderr on a non-zero exit. */
const inChroot = (
  rootDir: string,
  argv: ReadonlyArray<string>,
  env: Record<string, string>,
  userspec?: string,
): string =>
  execFileSync("env", chrootArgs(rootDir, argv, env, userspec), {
    encoding: "utf8",
    timeout: 120_000,
  })

/** Mounts /proc in the root (as a container engine does); the returned function unmounts it. */
const mountProc = (rootDir: string): () => void => {
  const target = path.join(rootDir, "proc")
  mkdirSync(target, { recursive: true })
  execFileSync("mount", ["-t", "proc", "proc", target])
  return () => execFileSync("umount", ["-l", target])
}

interface Served {
  readonly child: ChildProcess
  readonly base: string
  /** Milliseconds from spawn to the first /health answering {status: "ok"}. */
  readonly healthyAfterMs: number
  output(): string
  /** SIGTERM, then true if it exited 0 (it drains and exits by itself). */
  stop(): Promise<boolean>
}

/** `serve` in the chroot on 127.0.0.1:port, once /health answers ok. */
const serveInChroot = async (
  rootDir: string,
  env: Record<string, string>,
  userspec?: string,
): Promise<Served> => {
  const port = await freePort("127.0.0.1")
  const started = Date.now()
  // env and chroot exec: the child's pid is the binary's, and SIGTERM reaches it.
  const child = spawn(
    "env",
    chrootArgs(
      rootDir,
      ["/usr/local/bin/infrastructor", "serve"],
      { ...env, INFRA_HOST: "127.0.0.1", INFRA_PORT: String(port) },
      userspec,
    ),
    { stdio: ["ignore", "pipe", "pipe"] },
  )
  let output = ""
  child.stdout?.on("data", (d) => (output += String(d)))
  child.stderr?.on("data", (d) => (output += String(d)))
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) =>
      // Deno's child_process reports a child it sent a signal as ended by that signal, even when
      // the child handled it and exited 0 (Node reports 0).
      resolve(code ?? (isDeno && signal === "SIGTERM" ? 0 : null)))
  )
  let exitCode: number | null | undefined
  void exited.then((code) => (exitCode = code))
  const base = `http://127.0.0.1:${port}`
  for (;;) {
    if (exitCode !== undefined) assert.fail(`serve exited with ${exitCode} before /health answered:\n${output}`)
    if (Date.now() - started > 180_000) {
      child.kill("SIGKILL")
      assert.fail(`/health did not answer within 180 s:\n${output}`)
    }
    const health = await fetch(`${base}/health`).then((r) => r.json() as Promise<{ status?: string }>, () => undefined)
    if (health?.status === "ok") break
    await sleep(100)
  }
  const healthyAfterMs = Date.now() - started
  return {
    child,
    base,
    healthyAfterMs,
    output: () => output,
    stop: async () => {
      if (exitCode === undefined) child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
      try {
        return (await exited) === 0
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

const api = async (base: string, method: string, route: string, token: string, body?: unknown) => {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed }
}

const bootstrapToken = `infra_${"5".repeat(12)}_${createHash("sha256").update(`binary-${process.pid}`).digest("hex")}`

describe("single binary", { timeout: 1_200_000 }, () => {
  let binary = ""
  let work = ""
  let sshd: SshdHandle

  before(async () => {
    const built = buildBinary()
    binary = built.path
    const size = statSync(binary).size
    console.log(
      `binary: ${(size / 1024 / 1024).toFixed(1)} MB` +
        (built.buildSeconds === null ? " (cached build)" : `, built in ${built.buildSeconds.toFixed(1)} s`),
    )
    work = mkdtempSync(path.join(os.tmpdir(), "infrastructor-binary-test-"))
    sshd = await startSshd()
  })

  after(() => {
    sshd?.stop()
    if (work === "") return
    // Never delete through a /proc still mounted in a root (if an unmount failed): leave it.
    const mounted = readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1]?.startsWith(work))
    if (mounted) console.log(`left ${work}: something is still mounted in it`)
    else rmSync(work, { recursive: true, force: true })
  })

  it("runs in a bare Debian root filesystem without Node: --version, /health, a collection over SSH", async () => {
    const cache = debianRootfs()
    const rootDir = path.join(work, "debian")
    const copyStarted = Date.now()
    execFileSync("cp", ["-a", "--reflink=auto", cache, rootDir])
    console.log(`rootfs copied in ${((Date.now() - copyStarted) / 1000).toFixed(1)} s`)
    // Nothing of Node in there: the binary carries its own runtime.
    assert.throws(() => inChroot(rootDir, ["/bin/sh", "-c", "command -v node nodejs deno bun"], {}))
    assert.equal(existsSync(path.join(rootDir, "usr/lib/node_modules")), false)

    copyFileSync(binary, path.join(rootDir, "usr/local/bin/infrastructor"))
    chmodSync(path.join(rootDir, "usr/local/bin/infrastructor"), 0o755)
    copyFileSync(sshd.privateKeyPath, path.join(rootDir, "root/test_key"))
    chmodSync(path.join(rootDir, "root/test_key"), 0o600)

    const unmount = mountProc(rootDir)
    try {
      const versionStarted = Date.now()
      const version = inChroot(rootDir, ["/usr/local/bin/infrastructor", "--version"], {})
      console.log(`--version answered in ${Date.now() - versionStarted} ms`)
      const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }
      assert.equal(version.trim(), `infrastructor ${pkg.version}`)

      const served = await serveInChroot(rootDir, {
        HOME: "/root",
        INFRA_DATA_DIR: "/var/lib/infrastructor",
        INFRA_LOCAL_DEVICE: "false",
        INFRA_SCHEDULE: "false",
        INFRA_BOOTSTRAP_TOKEN: bootstrapToken,
      })
      try {
        console.log(`serve: /health ok ${served.healthyAfterMs} ms after start (new data directory)`)
        // The bootstrap token was stored: without it the API is closed now.
        assert.equal((await fetch(`${served.base}/api/devices`)).status, 401)

        const added = await api(served.base, "POST", "/api/devices", bootstrapToken, {
          name: "sshd-host",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: "/root/test_key",
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        const metrics = await api(served.base, "GET", "/api/devices/sshd-host/system_metrics", bootstrapToken)
        assert.equal(metrics.status, 200, JSON.stringify(metrics.body))
        assert.equal(metrics.body.device, "sshd-host")
        assert.equal(metrics.body.cache, "miss")
        assert.ok(typeof metrics.body.data === "object" && metrics.body.data !== null)
        assert.ok(sshd.acceptedLogins() >= 1, "the binary logged in to the sshd test host")
        // What was collected went into PGlite inside the chroot.
        assert.ok(existsSync(path.join(rootDir, "var/lib/infrastructor/PG_VERSION")))
      } finally {
        assert.ok(await served.stop(), served.output())
      }
      assert.doesNotMatch(served.output(), new RegExp(bootstrapToken.slice(20)))

      // A second start reopens the data directory.
      const again = await serveInChroot(rootDir, {
        HOME: "/root",
        INFRA_DATA_DIR: "/var/lib/infrastructor",
        INFRA_LOCAL_DEVICE: "false",
        INFRA_SCHEDULE: "false",
      })
      try {
        console.log(`serve: /health ok ${again.healthyAfterMs} ms after start (existing data directory)`)
        const devices = await api(again.base, "GET", "/api/devices", bootstrapToken)
        assert.equal(devices.status, 200)
        assert.deepEqual(devices.body.devices.map((d: { name: string }) => d.name), ["sshd-host"])
      } finally {
        assert.ok(await again.stop(), again.output())
      }
    } finally {
      unmount()
    }
  })

  it("runs in the container image's root filesystem as its unprivileged user", async () => {
    const imageDir = path.join(work, "image")
    execFileSync("sh", [path.join(root, "tools/build-binary/rootfs.sh"), binary, imageDir], { stdio: "inherit" })
    // The two trees as the Dockerfile lays them on each other (the second one --chown'ed).
    const rootDir = path.join(imageDir, "rootfs")
    execFileSync("cp", ["-a", `${path.join(imageDir, "owned")}/.`, `${rootDir}/`])
    // The image is the binary, the libraries it links, and a few files: no shell, no Node.
    assert.equal(existsSync(path.join(rootDir, "bin/sh")), false)
    assert.equal(statSync(path.join(rootDir, "data")).uid, IMAGE_UID)

    const unmount = mountProc(rootDir)
    try {
      const user = `${IMAGE_UID}:${IMAGE_UID}`
      assert.match(inChroot(rootDir, ["/usr/local/bin/infrastructor", "--version"], {}, user), /^infrastructor /)
      const env = {
        HOME: "/home/infrastructor",
        INFRA_DATA_DIR: "/data",
        INFRA_LOCAL_DEVICE: "false",
        INFRA_SCHEDULE: "false",
      }
      const served = await serveInChroot(rootDir, env, user)
      try {
        // The image's HEALTHCHECK command.
        inChroot(
          rootDir,
          ["/usr/local/bin/infrastructor", "healthcheck"],
          { INFRA_HEALTHCHECK_URL: `${served.base}/health` },
          user,
        )
      } finally {
        assert.ok(await served.stop(), served.output())
      }
      assert.throws(() =>
        inChroot(
          rootDir,
          ["/usr/local/bin/infrastructor", "healthcheck"],
          { INFRA_HEALTHCHECK_URL: `${served.base}/health` },
          user,
        )
      )
      assert.equal(statSync(path.join(rootDir, "data/PG_VERSION")).uid, IMAGE_UID)
    } finally {
      unmount()
    }
  })
})

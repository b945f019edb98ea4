/**
 * The single binary's tests (test/binary.test.ts, test/binary-arm64.test.ts): building it once per
 * content of its inputs and architecture, the cached Debian root filesystems they run it in, and
 * running it there by chroot (`env -i ... chroot ROOT argv`).
 */
import assert from "node:assert/strict"
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

export type Arch = "x64" | "arm64"

export const isDeno = "Deno" in globalThis
/** Node, to run the build script (under Deno, the one on PATH). */
const nodeBin = isDeno ? "node" : process.execPath

/** The repository root: above test/harness/ under Deno, above dist/test/harness/ (or another outDir) under Node. */
const findRoot = (dir: string): string =>
  existsSync(path.join(dir, "tools/build-binary/build.mjs"))
    ? dir
    : path.dirname(dir) === dir
    ? assert.fail("tools/build-binary/build.mjs not found above the test")
    : findRoot(path.dirname(dir))
export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)))

export const ROOTFS_CACHE = process.env["INFRA_ROOTFS_CACHE"] ?? "/var/cache/infrastructor-rootfs"
export const DEBIAN_SUITE = "bookworm"

/** Every input of the build, hashed: the same tree (and the same INFRA_SEA_NODE) gives the same cached binary. */
const inputsHash = (arch: Arch): string => {
  const hash = createHash("sha256")
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) hash.update(path.relative(repoRoot, full)).update("\0").update(readFileSync(full))
    }
  }
  for (const dir of ["src", "sql", "tools/build-binary"]) walk(path.join(repoRoot, dir))
  for (const file of ["package.json", "package-lock.json"]) hash.update(readFileSync(path.join(repoRoot, file)))
  // The Node inside is pinned in tools/build-binary/node-runtime.mjs (hashed above), unless replaced.
  const override = process.env["INFRA_SEA_NODE"]
  hash.update(`${arch}\0${override === undefined ? "" : `${override}\0${statSync(override).mtimeMs}`}`)
  return hash.digest("hex").slice(0, 16)
}

/**
 * `npm run build:binary -- --arch ARCH`, cached in the temp directory by the hash of its inputs
 * (the Node and Deno runs of the suite share one build). buildSeconds is null for a cached build.
 */
export const buildBinary = (arch: Arch): { path: string; buildSeconds: number | null } => {
  const cached = path.join(os.tmpdir(), `infrastructor-binary-${arch}-${inputsHash(arch)}`, "infrastructor")
  if (existsSync(cached)) return { path: cached, buildSeconds: null }
  // Builds of other sources for this architecture (130-140 MB each) go: one per architecture is kept.
  const old = new RegExp(`^infrastructor-binary-(?:${arch}-)?[0-9a-f]{16}$`)
  for (const dir of readdirSync(os.tmpdir()).filter((f) => old.test(f))) {
    rmSync(path.join(os.tmpdir(), dir), { recursive: true, force: true })
  }
  const started = Date.now()
  const partial = `${path.dirname(cached)}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  // postject prints harmless "Can't find string offset" warnings: show its output only on failure.
  const build = spawnSync(
    nodeBin,
    ["tools/build-binary/build.mjs", "--arch", arch, "--out", path.join(partial, "infrastructor")],
    { cwd: repoRoot, encoding: "utf8", timeout: 600_000 },
  )
  assert.equal(build.status, 0, `npm run build:binary -- --arch ${arch} failed:\n${build.stdout}\n${build.stderr}`)
  rmSync(path.dirname(cached), { recursive: true, force: true })
  renameSync(partial, path.dirname(cached))
  return { path: cached, buildSeconds: (Date.now() - started) / 1000 }
}

/**
 * The cached minbase root filesystem of `arch`, made by debootstrap when absent: for this machine's
 * architecture a complete one; for another one (`foreign`) debootstrap's first stage only, which
 * unpacks the packages without running any of their code (no maintainer scripts: enough to have
 * the C and C++ runtime libraries and the dynamic loader in place).
 */
export const debianRootfs = (options: { readonly arch?: Arch; readonly foreign?: boolean } = {}): string => {
  const name = options.foreign ? `${DEBIAN_SUITE}-minbase-${options.arch}-foreign` : `${DEBIAN_SUITE}-minbase`
  const dir = path.join(ROOTFS_CACHE, name)
  if (existsSync(path.join(dir, ".complete"))) return dir
  mkdirSync(ROOTFS_CACHE, { recursive: true })
  const partial = `${dir}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  const args = [
    ...(options.arch === undefined ? [] : [`--arch=${options.arch}`]),
    "--variant=minbase",
    ...(options.foreign ? ["--foreign"] : []),
    DEBIAN_SUITE,
    partial,
  ]
  execFileSync("debootstrap", args, { stdio: ["ignore", "ignore", "inherit"], timeout: 900_000 })
  execFileSync("touch", [path.join(partial, ".complete")])
  rmSync(dir, { recursive: true, force: true })
  renameSync(partial, dir)
  return dir
}

export const freePort = (host: string): Promise<number> =>
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
export const inChroot = (
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
export const mountProc = (rootDir: string): () => void => {
  const target = path.join(rootDir, "proc")
  mkdirSync(target, { recursive: true })
  execFileSync("mount", ["-t", "proc", "proc", target])
  return () => execFileSync("umount", ["-l", target])
}

/** Removes a test's work directory, unless something is still mounted in it (an unmount failed). */
export const removeWork = (work: string): void => {
  // Never delete through a /proc still mounted in a root: leave it.
  const mounted = readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1]?.startsWith(work))
  if (mounted) console.log(`left ${work}: something is still mounted in it`)
  else rmSync(work, { recursive: true, force: true })
}

export interface Served {
  readonly child: ChildProcess
  readonly base: string
  /** Milliseconds from spawn to the first /health answering {status: "ok"}. */
  readonly healthyAfterMs: number
  output(): string
  /** SIGTERM, then true if it exited 0 (it drains and exits by itself). */
  stop(): Promise<boolean>
}

/**
 * `serve` in the chroot on 127.0.0.1:port, once /health answers ok. `command` runs the binary
 * (under an emulator for another architecture).
 */
export const serveInChroot = async (
  rootDir: string,
  env: Record<string, string>,
  options: { readonly userspec?: string; readonly command?: ReadonlyArray<string> } = {},
): Promise<Served> => {
  const port = await freePort("127.0.0.1")
  const started = Date.now()
  // env and chroot exec: the child's pid is the binary's (or the emulator's, which passes signals
  // on to it), and SIGTERM reaches it.
  const child = spawn(
    "env",
    chrootArgs(
      rootDir,
      [...(options.command ?? ["/usr/local/bin/infrastructor"]), "serve"],
      { ...env, INFRA_HOST: "127.0.0.1", INFRA_PORT: String(port) },
      options.userspec,
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

/** One API call with a bearer token; the body parsed as JSON when it is JSON. */
export const api = async (base: string, method: string, route: string, token: string, body?: unknown) => {
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

/** A bootstrap token (infra_<12 hex>_<64 hex>) for one test file. */
export const bootstrapTokenFor = (label: string): string =>
  `infra_${"5".repeat(12)}_${createHash("sha256").update(`${label}-${process.pid}`).digest("hex")}`

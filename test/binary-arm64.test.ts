/**
 * The linux-arm64 single binary (issue 12): `npm run build:binary -- --arch arm64` puts the blob
 * (made by the same pinned Node for x64, without code cache) into the pinned Node for arm64. Here
 * it is checked as a file (an arm64 ELF executable with the blob injected), then run on this x64
 * machine by qemu's user-mode emulator (qemu-user-static) in an arm64 Debian root filesystem
 * without Node: `--version`, `serve` answering /health, one collection from a real sshd test host.
 *
 * The root filesystem is debootstrap's first stage for arm64 (`--foreign`: the packages unpacked,
 * none of their code run, so no emulation is needed to make it), cached like test/binary.test.ts's
 * and copied into a folder this test owns. The binary runs in it by chroot, through the static
 * emulator copied in: nothing of this machine's files is visible to it (`qemu-aarch64-static -L
 * ROOT` would fall back to the host's files for paths the root lacks).
 *
 * Needs root, chroot, debootstrap and qemu-aarch64-static (and Debian's mirror and the npm registry,
 * once, to fill the caches): without them it fails, it does not skip. Everything runs emulated,
 * about ten times slower than natively: PGlite's first start takes tens of seconds.
 */
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, it } from "node:test"
import {
  api,
  bootstrapTokenFor,
  buildBinary,
  debianRootfs,
  inChroot,
  mountProc,
  removeWork,
  repoRoot,
  serveInChroot,
} from "./harness/binary.ts"
import { type SshdHandle, startSshd } from "./harness/sshd.ts"

const EM_AARCH64 = 183
const LOADER = "/lib/ld-linux-aarch64.so.1"
/** postject's sentinel, which it flips to `:1` in the executable it injects a blob into. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1"
const bootstrapToken = bootstrapTokenFor("binary-arm64")

/** The first bytes of a file. */
const head = (file: string, length: number): Buffer => {
  const buf = Buffer.alloc(length)
  const fd = openSync(file, "r")
  try {
    readSync(fd, buf, 0, length, 0)
  } finally {
    closeSync(fd)
  }
  return buf
}

/** ELF, 64-bit, little-endian, for AArch64. */
const assertArm64Elf = (file: string, type: "executable" | "shared object"): void => {
  const h = head(file, 20)
  assert.equal(h.subarray(0, 4).toString("latin1"), "\x7fELF", `${file} is an ELF file`)
  assert.equal(h[4], 2, `${file} is 64-bit`)
  assert.equal(h[5], 1, `${file} is little-endian`)
  assert.equal(h.readUInt16LE(16), type === "executable" ? 2 : 3, `${file} is an ${type}`)
  assert.equal(h.readUInt16LE(18), EM_AARCH64, `${file} is for AArch64`)
}

/** The emulator on PATH (it is static: it runs in a root filesystem of another architecture). */
const qemuAarch64 = (): string => {
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    const candidate = path.join(dir, "qemu-aarch64-static")
    if (dir !== "" && existsSync(candidate)) return candidate
  }
  return assert.fail("qemu-aarch64-static is not on PATH (apt-get install qemu-user-static)")
}

/** The binary is one artifact whichever runtime runs the suite: it is run once, from the Node suite. */
const underDeno = "Deno" in globalThis

describe("single binary for linux-arm64", {
  timeout: 600_000,
  skip: underDeno ? "the same binary as under Node: tested once, in the Node suite" : false,
}, () => {
  let binary = ""
  let work = ""
  let sshd: SshdHandle

  before(async () => {
    const built = buildBinary("arm64")
    binary = built.path
    console.log(
      `arm64 binary: ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MB` +
        (built.buildSeconds === null ? " (cached build)" : `, built in ${built.buildSeconds.toFixed(1)} s`),
    )
    work = mkdtempSync(path.join(os.tmpdir(), "infrastructor-binary-arm64-test-"))
    sshd = await startSshd()
  })

  after(() => {
    sshd?.stop()
    if (work !== "") removeWork(work)
  })

  it("is an arm64 ELF executable, loaded by the arm64 glibc loader, with the blob injected", () => {
    assertArm64Elf(binary, "executable")
    const bytes = readFileSync(binary)
    // PT_INTERP's string is near the start of the file.
    assert.ok(bytes.subarray(0, 4096).includes(LOADER), `${binary} names ${LOADER} as its interpreter`)
    assert.ok(bytes.includes(SEA_FUSE), "postject flipped the SEA fuse: a blob is injected")
  })

  it("runs under qemu in an arm64 Debian root filesystem without Node: --version, /health, a collection", async () => {
    const cacheStarted = Date.now()
    const cache = debianRootfs({ arch: "arm64", foreign: true })
    const rootDir = path.join(work, "debian-arm64")
    execFileSync("cp", ["-a", "--reflink=auto", cache, rootDir])
    console.log(`arm64 rootfs ready (cache, copy) in ${((Date.now() - cacheStarted) / 1000).toFixed(1)} s`)
    // debootstrap's first stage unpacked libc6, libgcc-s1 and libstdc++6: what Node links.
    const libDir = path.join(rootDir, "usr/lib/aarch64-linux-gnu")
    for (const lib of ["libc.so.6", "libm.so.6", "libgcc_s.so.1", "libstdc++.so.6"]) {
      assertArm64Elf(path.join(libDir, lib), "shared object")
    }
    assert.ok(existsSync(path.join(rootDir, LOADER)), `${LOADER} is in the root filesystem`)
    // Nothing of Node in there: the binary carries its own runtime.
    for (const p of ["usr/bin/node", "usr/bin/nodejs", "usr/local/bin/node", "usr/lib/node_modules"]) {
      assert.equal(existsSync(path.join(rootDir, p)), false, p)
    }

    const emulator = "/usr/bin/qemu-aarch64-static"
    copyFileSync(qemuAarch64(), path.join(rootDir, emulator))
    chmodSync(path.join(rootDir, emulator), 0o755)
    // base-files makes /usr/local/* in its maintainer script, which the first stage does not run.
    mkdirSync(path.join(rootDir, "usr/local/bin"), { recursive: true })
    copyFileSync(binary, path.join(rootDir, "usr/local/bin/infrastructor"))
    chmodSync(path.join(rootDir, "usr/local/bin/infrastructor"), 0o755)
    copyFileSync(sshd.privateKeyPath, path.join(rootDir, "root/test_key"))
    chmodSync(path.join(rootDir, "root/test_key"), 0o600)
    const command = [emulator, "/usr/local/bin/infrastructor"]

    const unmount = mountProc(rootDir)
    try {
      const versionStarted = Date.now()
      const version = inChroot(rootDir, [...command, "--version"], {})
      console.log(`--version (emulated) answered in ${Date.now() - versionStarted} ms`)
      const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }
      assert.equal(version.trim(), `infrastructor ${pkg.version}`)
      // The emulated process is an arm64 one: the kernel sees qemu, the program sees aarch64.
      assert.equal(inChroot(rootDir, [emulator, "/usr/bin/uname", "-m"], {}).trim(), "aarch64")

      const served = await serveInChroot(rootDir, {
        HOME: "/root",
        INFRA_DATA_DIR: "/var/lib/infrastructor",
        INFRA_LOCAL_DEVICE: "false",
        INFRA_SCHEDULE: "false",
        INFRA_BOOTSTRAP_TOKEN: bootstrapToken,
      }, { command })
      try {
        console.log(`serve (emulated): /health ok ${served.healthyAfterMs} ms after start (new data directory)`)
        assert.equal((await fetch(`${served.base}/api/devices`)).status, 401)
        const added = await api(served.base, "POST", "/api/devices", bootstrapToken, {
          name: "sshd-host",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: "/root/test_key",
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        const collectStarted = Date.now()
        const metrics = await api(served.base, "GET", "/api/devices/sshd-host/system_metrics", bootstrapToken)
        console.log(`system_metrics (emulated) collected in ${Date.now() - collectStarted} ms`)
        assert.equal(metrics.status, 200, JSON.stringify(metrics.body))
        assert.equal(metrics.body.device, "sshd-host")
        assert.equal(metrics.body.cache, "miss")
        assert.ok(typeof metrics.body.data === "object" && metrics.body.data !== null)
        assert.ok(sshd.acceptedLogins() >= 1, "the binary logged in to the sshd test host")
        // A SEA asset, read from inside the arm64 binary.
        const bundle = await fetch(`${served.base}/api/docs/swagger-ui-bundle.js`)
        assert.equal(bundle.status, 200)
        assert.match(await bundle.text(), /SwaggerUIBundle/)
        assert.ok(existsSync(path.join(rootDir, "var/lib/infrastructor/PG_VERSION")))
      } finally {
        assert.ok(await served.stop(), served.output())
      }
      assert.doesNotMatch(served.output(), new RegExp(bootstrapToken.slice(20)))
    } finally {
      unmount()
    }
  })
})

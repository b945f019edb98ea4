import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import ssh2 from "ssh2"
import type { AnyAuthMethod } from "ssh2"
import type { Device } from "../domain/device.ts"
import type { SshError } from "../domain/errors.ts"
import { sshError } from "./classify.ts"
import type { ResolvedSshOptions } from "./options.ts"
import { parseSshConfig, resolveSshHost } from "./ssh-config.ts"

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

export const resolveTarget = (device: Device, options: ResolvedSshOptions): SshTarget | SshError => {
  const home = os.homedir()
  const user = localUser()
  const resolved = resolveSshHost(parseSshConfig(readConfig(options.sshConfigPath)), device.host, {
    home,
    localUser: user,
  })
  if (resolved.problems.length > 0) {
    return sshError(device.name, "config", `${options.sshConfigPath}: ${resolved.problems.join("; ")}`)
  }
  const host = resolved.hostName
  const port = device.port ?? resolved.port ?? 22
  const username = device.username ?? resolved.user ?? user

  const auth: Array<AnyAuthMethod> = []
  if (device.privateKeyPath !== null) {
    const file = device.privateKeyPath.startsWith("~/")
      ? path.join(home, device.privateKeyPath.slice(2))
      : device.privateKeyPath
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
  const agent = process.env["SSH_AUTH_SOCK"]
  if (agent !== undefined && agent !== "") auth.push({ type: "agent", username, agent })
  if (device.privateKeyPath === null && resolved.identityFiles.length === 0) {
    for (const name of ["id_ed25519", "id_rsa", "id_ecdsa"]) {
      const file = path.join(options.sshDir, name)
      if (!existsSync(file)) continue
      const loaded = loadKey(file)
      if ("key" in loaded) auth.push({ type: "publickey", username, key: loaded.key })
    }
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
  }
}

import os from "node:os"
import path from "node:path"

export type HostKeyPolicy = "tofu" | "strict"

export interface SshOptions {
  /** TCP connect + SSH handshake + auth. */
  readonly connectTimeoutMs?: number | undefined
  /** Default per-command timeout (RunOptions.timeout overrides it). */
  readonly commandTimeoutMs?: number | undefined
  /** A connection with no command or stream for this long is closed. */
  readonly idleTimeoutMs?: number | undefined
  /** Persistent shell channels per connection (commands beyond it queue). */
  readonly shellsPerConnection?: number | undefined
  /** Default output cap (stdout + stderr) per command. */
  readonly maxOutputBytes?: number | undefined
  /** Commands allowed to wait for a shell on one connection before new ones are refused. */
  readonly maxQueuedCommands?: number | undefined
  /** tofu: trust and record an unknown host key; strict: refuse it. */
  readonly hostKeyPolicy?: HostKeyPolicy | undefined
  readonly sshConfigPath?: string | undefined
  /** Appended to host-key refusals, e.g. how to re-trust a host in this deployment. */
  readonly knownHostsNote?: string | undefined
  /** Where default identities (id_ed25519, id_rsa, id_ecdsa) are looked for; default ~/.ssh. */
  readonly sshDir?: string | undefined
  /**
   * OpenSSH known_hosts file whose keys count as trusted (hashed entries included); a key that
   * differs from the ones listed for a host is refused. Default `<sshDir>/known_hosts`; "" turns it off.
   */
  readonly knownHostsPath?: string | undefined
  /**
   * The system-wide known_hosts, read as well (OpenSSH's GlobalKnownHostsFile), same rules.
   * Default /etc/ssh/ssh_known_hosts; "" turns it off.
   */
  readonly globalKnownHostsPath?: string | undefined
}

export type ResolvedSshOptions =
  & {
    readonly [K in Exclude<keyof SshOptions, "knownHostsNote">]-?: Exclude<SshOptions[K], undefined>
  }
  & { readonly knownHostsNote: string | undefined }

/** Where OpenSSH keeps the system-wide known_hosts. */
export const defaultGlobalKnownHostsPath = "/etc/ssh/ssh_known_hosts"

export const resolveSshOptions = (options: SshOptions = {}): ResolvedSshOptions => {
  const sshDir = options.sshDir ?? path.join(os.homedir(), ".ssh")
  return {
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
    shellsPerConnection: Math.max(1, options.shellsPerConnection ?? 3),
    maxOutputBytes: options.maxOutputBytes ?? 16 * 1024 * 1024,
    maxQueuedCommands: options.maxQueuedCommands ?? 1000,
    hostKeyPolicy: options.hostKeyPolicy ?? "tofu",
    sshConfigPath: options.sshConfigPath ?? path.join(sshDir, "config"),
    knownHostsNote: options.knownHostsNote,
    sshDir,
    knownHostsPath: options.knownHostsPath ?? path.join(sshDir, "known_hosts"),
    globalKnownHostsPath: options.globalKnownHostsPath ?? defaultGlobalKnownHostsPath,
  }
}

/**
 * A pure reader for OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * `[marker] hostpatterns keytype base64-key [comment]`, where hostpatterns is a comma-separated
 * list of names, `[host]:port` forms, `*`/`?` wildcards and `!` negations, or one hashed entry
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Markers: `@revoked` (the key is refused) and
 * `@cert-authority` (a CA key: ssh2 does not verify host certificates, so such lines are kept but
 * never trust a plain key).
 */
import { createHmac } from "node:crypto"
import { Buffer } from "node:buffer"
import { sshFingerprint } from "./fingerprint.ts"
import { hostPatternsMatch } from "./ssh-config.ts"

export interface KnownHostsEntry {
  readonly line: number
  readonly marker: "revoked" | "cert-authority" | undefined
  /** Plain patterns, or a hashed name. */
  readonly hosts: { readonly patterns: ReadonlyArray<string> } | {
    readonly salt: Uint8Array
    readonly hash: Uint8Array
  }
  /** Key type as written (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...). */
  readonly keyType: string
  /** "SHA256:..." of the key blob, as ssh-keygen -l prints it. */
  readonly fingerprint: string
}

export interface KnownHostsParse {
  readonly entries: ReadonlyArray<KnownHostsEntry>
  /** Lines that are not comments or blank and could not be read. */
  readonly problems: ReadonlyArray<string>
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

const decode64 = (text: string): Uint8Array | undefined =>
  BASE64.test(text) ? new Uint8Array(Buffer.from(text, "base64")) : undefined

/** The key type the blob itself names (its first SSH string). */
const blobType = (blob: Uint8Array): string | undefined => {
  if (blob.length < 4) return undefined
  const length = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0)
  if (length === 0 || length > 64 || 4 + length > blob.length) return undefined
  return new TextDecoder().decode(blob.subarray(4, 4 + length))
}

export const parseKnownHosts = (text: string): KnownHostsParse => {
  const entries: Array<KnownHostsEntry> = []
  const problems: Array<string> = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === "" || trimmed.startsWith("#")) return
    const words = trimmed.split(/[ \t]+/)
    let marker: KnownHostsEntry["marker"]
    if (words[0]!.startsWith("@")) {
      const m = words.shift()!.toLowerCase()
      if (m === "@revoked") marker = "revoked"
      else if (m === "@cert-authority") marker = "cert-authority"
      else {
        problems.push(`line ${line}: unknown marker ${m}`)
        return
      }
    }
    const [hostField, keyType, keyText] = words
    if (hostField === undefined || keyType === undefined || keyText === undefined) {
      problems.push(`line ${line}: expected hosts, key type and key`)
      return
    }
    const blob = decode64(keyText)
    if (blob === undefined || blobType(blob) !== keyType) {
      problems.push(`line ${line}: the key is not valid base64 of a ${keyType} key`)
      return
    }
    let hosts: KnownHostsEntry["hosts"]
    if (hostField.startsWith("|1|")) {
      const [, , saltText, hashText] = hostField.split("|")
      const salt = saltText === undefined ? undefined : decode64(saltText)
      const hash = hashText === undefined ? undefined : decode64(hashText)
      if (salt === undefined || hash === undefined || hash.length !== 20) {
        problems.push(`line ${line}: malformed hashed host name`)
        return
      }
      hosts = { salt, hash }
    } else {
      hosts = { patterns: hostField.split(",").filter((p) => p !== "") }
    }
    entries.push({ line, marker, hosts, keyType, fingerprint: sshFingerprint(blob) })
  })
  return { entries, problems }
}

/** The name OpenSSH looks a host up by: `host` on port 22, `[host]:port` otherwise. */
export const knownHostsName = (host: string, port: number): string => port === 22 ? host : `[${host}]:${port}`

/** The `|1|salt|hash` form of a name, as `ssh-keygen -H` writes it (for tests and tooling). */
export const hashKnownHostsName = (name: string, salt: Uint8Array): string =>
  `|1|${Buffer.from(salt).toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`

const entryNames = (entry: KnownHostsEntry, name: string): boolean => {
  const hosts = entry.hosts
  if ("patterns" in hosts) return hostPatternsMatch(hosts.patterns, name)
  const mac = createHmac("sha1", hosts.salt).update(name).digest()
  return mac.length === hosts.hash.length && mac.equals(hosts.hash)
}

export interface KnownHostKeys {
  /** Plain keys listed for the host (not revoked, not CA keys); `file` when read by knownHostKeysIn. */
  readonly trusted: ReadonlyArray<{
    readonly keyType: string
    readonly fingerprint: string
    readonly line: number
    readonly file?: string | undefined
  }>
  /** Fingerprints marked @revoked for the host (or for everyone). */
  readonly revoked: ReadonlyArray<string>
  /** The file each revoked fingerprint is marked in (the first one), when read by knownHostKeysIn. */
  readonly revokedIn?: ReadonlyMap<string, string> | undefined
}

/** What known_hosts says of `host` on `port`. */
export const knownHostKeys = (entries: ReadonlyArray<KnownHostsEntry>, host: string, port: number): KnownHostKeys => {
  const name = knownHostsName(host, port)
  const trusted: Array<KnownHostKeys["trusted"][number]> = []
  const revoked: Array<string> = []
  for (const entry of entries) {
    if (!entryNames(entry, name)) continue
    if (entry.marker === "revoked") revoked.push(entry.fingerprint)
    else if (entry.marker === undefined) {
      trusted.push({ keyType: entry.keyType, fingerprint: entry.fingerprint, line: entry.line })
    }
  }
  return { trusted, revoked }
}

/** ssh2's host-key algorithm names for a known_hosts key type (RSA keys sign with several). */
export const hostKeyAlgorithmsFor = (keyType: string): ReadonlyArray<string> =>
  keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType]

/**
 * What several known_hosts files say of `host` on `port` together, as OpenSSH reads the user's file
 * and the system-wide one (GlobalKnownHostsFile, /etc/ssh/ssh_known_hosts): a key listed in any of
 * them is trusted, so a host listed in any must present one of those keys, and a key @revoked in any
 * is refused. Each key keeps the file it was listed in, for messages.
 */
export const knownHostKeysIn = (
  files: ReadonlyArray<{ readonly file: string; readonly text: string }>,
  host: string,
  port: number,
): KnownHostKeys => {
  const trusted: Array<KnownHostKeys["trusted"][number]> = []
  const revoked: Array<string> = []
  const revokedIn = new Map<string, string>()
  for (const { file, text } of files) {
    const keys = knownHostKeys(parseKnownHosts(text).entries, host, port)
    for (const key of keys.trusted) trusted.push({ ...key, file })
    for (const fingerprint of keys.revoked) {
      if (revokedIn.has(fingerprint)) continue
      revoked.push(fingerprint)
      revokedIn.set(fingerprint, file)
    }
  }
  return { trusted, revoked, revokedIn }
}

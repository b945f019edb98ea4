/**
 * ~/.ssh/known_hosts: the pure reader against lines made by OpenSSH's own tools (ssh-keyscan
 * against a test sshd, ssh-keygen -H for hashed names, ssh-keygen -F as the lookup oracle), and
 * the SSH layer trusting what it lists and refusing what differs from it.
 */
import assert from "node:assert/strict"
import { Buffer } from "node:buffer"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { Effect } from "effect"
import type { SshError } from "../src/domain/errors.ts"
import { resolveConfig } from "../src/settings/load.ts"
import { makeHostKeysMemory } from "../src/ssh/HostKeysMemory.ts"
import { resolveSshOptions } from "../src/ssh/options.ts"
import { hashKnownHostsName, knownHostKeys, knownHostsName, parseKnownHosts } from "../src/ssh/known-hosts.ts"
import { opensshFingerprint, sshDevice, withSsh } from "./harness/ssh-device.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

let a: SshdHandle
let b: SshdHandle
let rsa: SshdHandle
let dir: string

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "infra-known-hosts-"))
  a = await startSshd({ address: "127.0.0.21" })
  b = await startSshd({ address: "127.0.0.22" })
  rsa = await startSshd({ address: "127.0.0.23", hostKeyType: "rsa" })
})
after(() => {
  stopAllSshd()
  rmSync(dir, { recursive: true, force: true })
})

/** What `ssh-keyscan` prints for a server (one line per key, `[host]:port` form off port 22). */
const keyscan = (sshd: SshdHandle, type = "ed25519"): string =>
  execFileSync("ssh-keyscan", ["-t", type, "-p", String(sshd.port), sshd.host], { encoding: "utf8", stdio: "pipe" })

/** A known_hosts file with these lines, optionally hashed by `ssh-keygen -H`. */
const knownHostsFile = (name: string, text: string, hashed = false): string => {
  const file = path.join(dir, name)
  writeFileSync(file, text)
  if (hashed) {
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "pipe" })
    rmSync(`${file}.old`, { force: true })
  }
  return file
}

/** ssh-keygen -F: the lines OpenSSH itself finds for a name. */
const opensshFinds = (file: string, name: string): number => {
  try {
    const out = execFileSync("ssh-keygen", ["-F", name, "-f", file], { encoding: "utf8", stdio: "pipe" })
    return out.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length
  } catch {
    return 0 // exit 1: not found
  }
}

const publicKey = (sshd: SshdHandle): string => readFileSync(`${sshd.hostKeyPath}.pub`, "utf8").trim()
const keyOf = (sshd: SshdHandle): string => publicKey(sshd).split(" ").slice(0, 2).join(" ")
const fingerprint = (sshd: SshdHandle): string => opensshFingerprint(`${sshd.hostKeyPath}.pub`)

describe("known_hosts reader", () => {
  test("ssh-keyscan lines, plain and hashed by ssh-keygen -H, find the host like ssh-keygen -F does", () => {
    const scanned = keyscan(a)
    assert.match(scanned, /^\[127\.0\.0\.21\]:\d+ ssh-ed25519 /m)
    for (const hashed of [false, true]) {
      const file = knownHostsFile(`scan-${hashed}`, scanned + keyscan(b), hashed)
      const text = readFileSync(file, "utf8")
      if (hashed) assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /m)
      const parsed = parseKnownHosts(text)
      assert.deepEqual(parsed.problems, [])
      assert.equal(parsed.entries.length, 2)
      for (const [sshd, port] of [[a, a.port], [a, a.port + 1], [b, b.port], [b, 22]] as const) {
        const found = knownHostKeys(parsed.entries, sshd.host, port)
        const name = knownHostsName(sshd.host, port)
        assert.equal(found.trusted.length, opensshFinds(file, name), `${name} hashed=${hashed}`)
        if (port === sshd.port) assert.deepEqual(found.trusted.map((k) => k.fingerprint), [fingerprint(sshd)])
      }
    }
  })

  test("hashKnownHostsName agrees with ssh-keygen -H", () => {
    const file = knownHostsFile("hash-check", keyscan(a), true)
    const field = readFileSync(file, "utf8").split(" ")[0]!
    const salt = Buffer.from(field.split("|")[2]!, "base64")
    assert.equal(hashKnownHostsName(knownHostsName(a.host, a.port), salt), field)
  })

  test("patterns, negation, port 22 names, markers, comments and damaged lines", () => {
    const key = keyOf(a)
    const text = [
      "# comment",
      "",
      `nas,*.lan,!evil.lan ${key} user@machine`,
      `[db.example]:2222 ${key}`,
      `@cert-authority *.corp ${key}`,
      `@revoked revoked.lan ${key}`,
      "broken-line-without-key",
      `host ssh-ed25519 not*base64`,
      `host ssh-rsa ${key.split(" ")[1]}`,
      `@bogus host ${key}`,
      "|1|short|short ssh-ed25519 AAAA",
    ].join("\n")
    const parsed = parseKnownHosts(text)
    assert.equal(parsed.entries.length, 4)
    assert.equal(parsed.problems.length, 5)
    const trusted = (host: string, port = 22) => knownHostKeys(parsed.entries, host, port).trusted.length
    assert.equal(trusted("nas"), 1)
    assert.equal(trusted("NAS"), 1, "host names are case-insensitive")
    assert.equal(trusted("printer.lan"), 1)
    assert.equal(trusted("evil.lan"), 0, "negated pattern")
    assert.equal(trusted("nas", 2222), 0, "off port 22 the name is [nas]:2222")
    assert.equal(trusted("db.example", 2222), 1)
    assert.equal(trusted("db.example"), 0)
    assert.equal(trusted("x.corp"), 0, "a CA key trusts no plain key")
    assert.deepEqual(knownHostKeys(parsed.entries, "revoked.lan", 22).revoked, [fingerprint(a)])
    assert.doesNotThrow(() => parseKnownHosts("\u0000\n@\n|1|\n@revoked\n"))
  })
})

const run = (sshd: SshdHandle, options: Parameters<typeof withSsh>[0], store = makeHostKeysMemory()) =>
  withSsh(
    { connectTimeoutMs: 5000, ...options },
    (ssh) => Effect.result(ssh.run(sshDevice(sshd, "kh"), "echo ok")),
    store,
  )

describe("known_hosts in the SSH layer", () => {
  test("a key listed (hashed) in known_hosts is trusted under strict, and not copied to the store", async () => {
    const file = knownHostsFile("trusted", keyscan(a), true)
    const store = makeHostKeysMemory()
    const result = await run(a, { knownHostsPath: file, hostKeyPolicy: "strict" }, store)
    assert.equal(result._tag, "Success")
    assert.equal(await Effect.runPromise(store.get(`${a.host}:${a.port}`)), undefined)
  })

  test("an RSA host key listed in known_hosts is trusted", async () => {
    const file = knownHostsFile("rsa", keyscan(rsa, "rsa"))
    const result = await run(rsa, { knownHostsPath: file, hostKeyPolicy: "strict" })
    assert.equal(result._tag, "Success")
  })

  test("a key that differs from known_hosts is refused with ssh_host_key_mismatch, even when the store trusts it", async () => {
    // known_hosts says a's name has b's key.
    const file = knownHostsFile("mismatch", `[${a.host}]:${a.port} ${keyOf(b)}\n`, true)
    const trusting = makeHostKeysMemory([{
      hostPort: `${a.host}:${a.port}`,
      algorithm: "ssh-ed25519",
      fingerprint: fingerprint(a),
      firstSeen: new Date(0),
    }])
    for (const store of [makeHostKeysMemory(), trusting]) {
      const result = await run(a, { knownHostsPath: file }, store)
      assert.equal(result._tag, "Failure")
      const error = (result as { failure: SshError }).failure
      assert.equal(error.reason, "host_key_mismatch")
      assert.equal(error.code, "ssh_host_key_mismatch")
      assert.match(error.message, new RegExp(fingerprint(b).replace(/[+/]/g, "\\$&")))
    }
  })

  test("@revoked refuses the key; an empty path turns known_hosts off", async () => {
    const revoked = knownHostsFile("revoked", `@revoked * ${keyOf(a)}\n`)
    const refused = await run(a, { knownHostsPath: revoked })
    assert.equal(refused._tag, "Failure")
    assert.equal((refused as { failure: SshError }).failure.reason, "host_key_mismatch")
    const off = await run(a, { knownHostsPath: "" })
    assert.equal(off._tag, "Success")
  })

  test("a host known_hosts does not list falls back to the store's policy", async () => {
    const file = knownHostsFile("other", keyscan(b))
    assert.equal((await run(a, { knownHostsPath: file }))._tag, "Success")
    const strict = await run(a, { knownHostsPath: file, hostKeyPolicy: "strict" })
    assert.equal((strict as { failure: SshError }).failure.reason, "host_key_unknown")
  })

  test("ssh.known_hosts_path and ssh.global_known_hosts_path reach the SSH settings", () => {
    const config = resolveConfig({
      ssh: { known_hosts_path: "/etc/infra/known_hosts", global_known_hosts_path: "/etc/infra/global" },
    }, {})
    assert.equal(config.ssh.knownHostsPath, "/etc/infra/known_hosts")
    assert.equal(config.ssh.globalKnownHostsPath, "/etc/infra/global")
    assert.equal(resolveConfig({}, {}).ssh.knownHostsPath, undefined)
    assert.equal(resolveConfig({}, {}).ssh.globalKnownHostsPath, undefined)
    assert.equal(resolveSshOptions({}).globalKnownHostsPath, "/etc/ssh/ssh_known_hosts")
    assert.equal(resolveSshOptions({ globalKnownHostsPath: "" }).globalKnownHostsPath, "")
  })
})

describe("the system-wide known_hosts (/etc/ssh/ssh_known_hosts) in the SSH layer", () => {
  const missing = () => path.join(dir, "no-such-file")

  test("a key listed (hashed) only in the global file is trusted under strict, and not copied to the store", async () => {
    const global = knownHostsFile("global-trusted", keyscan(a), true)
    const store = makeHostKeysMemory()
    const result = await run(
      a,
      { knownHostsPath: missing(), globalKnownHostsPath: global, hostKeyPolicy: "strict" },
      store,
    )
    assert.equal(result._tag, "Success")
    assert.equal(await Effect.runPromise(store.get(`${a.host}:${a.port}`)), undefined)
    // The same under strict with neither file listing it: refused, so the global file made the difference.
    const without = await run(a, {
      knownHostsPath: missing(),
      globalKnownHostsPath: missing(),
      hostKeyPolicy: "strict",
    })
    assert.equal((without as { failure: SshError }).failure.reason, "host_key_unknown")
  })

  test("a key that differs from the global file is refused, naming that file, even when the store trusts it", async () => {
    const global = knownHostsFile("global-mismatch", `[${a.host}]:${a.port} ${keyOf(b)}\n`, true)
    const trusting = makeHostKeysMemory([{
      hostPort: `${a.host}:${a.port}`,
      algorithm: "ssh-ed25519",
      fingerprint: fingerprint(a),
      firstSeen: new Date(0),
    }])
    for (const store of [makeHostKeysMemory(), trusting]) {
      const result = await run(a, { knownHostsPath: missing(), globalKnownHostsPath: global }, store)
      assert.equal(result._tag, "Failure")
      const error = (result as { failure: SshError }).failure
      assert.equal(error.reason, "host_key_mismatch")
      assert.ok(error.message.includes(global), error.message)
      assert.ok(error.message.includes(fingerprint(b)), error.message)
    }
    // "" turns the global file off: the same store then decides.
    const off = await run(a, { knownHostsPath: missing(), globalKnownHostsPath: "" }, trusting)
    assert.equal(off._tag, "Success")
  })

  test("@revoked in the global file refuses a key the user's file trusts", async () => {
    const user = knownHostsFile("user-trusts", keyscan(a))
    const global = knownHostsFile("global-revoked", `@revoked * ${keyOf(a)}\n`)
    const result = await run(a, { knownHostsPath: user, globalKnownHostsPath: global })
    assert.equal(result._tag, "Failure")
    const error = (result as { failure: SshError }).failure
    assert.equal(error.reason, "host_key_mismatch")
    assert.ok(error.message.includes(global), error.message)
  })

  test("the two files together: a key listed in either is trusted; one listed in neither is refused", async () => {
    // The user's file lists another key for a; the global one lists a's own.
    const user = knownHostsFile("user-other", `[${a.host}]:${a.port} ${keyOf(b)}\n`)
    const global = knownHostsFile("global-own", keyscan(a), true)
    assert.equal((await run(a, { knownHostsPath: user, globalKnownHostsPath: global }))._tag, "Success")
    const neither = await run(a, { knownHostsPath: user, globalKnownHostsPath: user })
    assert.equal((neither as { failure: SshError }).failure.reason, "host_key_mismatch")
  })
})

test("known_hosts is read per connection: an edited file changes the next verdict", async () => {
  const good = knownHostsFile("swap-good", keyscan(a))
  const bad = knownHostsFile("swap-bad", `[${a.host}]:${a.port} ${keyOf(b)}\n`)
  const live = path.join(dir, "swap-live")
  copyFileSync(good, live)
  assert.equal((await run(a, { knownHostsPath: live }))._tag, "Success")
  copyFileSync(bad, live)
  assert.equal((await run(a, { knownHostsPath: live }))._tag, "Failure")
})

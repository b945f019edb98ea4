/**
 * Real OpenSSH servers inside a private network namespace, for ProxyJump tests: the namespace is
 * joined to ours by one veth pair, so a server listening on the namespace's veth address is
 * reachable from the test process, while one on the namespace's own loopback is reachable only
 * from inside the namespace (e.g. from a jump host running there). Needs root and iproute2.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { TEST_USER } from "./sshd.ts"

const SSHD = "/usr/sbin/sshd"

export interface Netns {
  readonly name: string
  /** Our end of the veth pair. */
  readonly hostAddress: string
  /** The namespace's end: reachable from the test process. */
  readonly nsAddress: string
  /** One client key accepted by every server in the namespace. */
  readonly privateKeyPath: string
  readonly dir: string
  remove(): void
}

export interface NetnsSshd {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly hostKeyPath: string
  readonly logPath: string
  /** "Accepted publickey ... from <address>" lines: one per login, with its source address. */
  acceptedFrom(): Array<string>
  stop(): void
}

const cleanups = new Set<() => void>()
let exitHook = false
const onExit = (cleanup: () => void) => {
  cleanups.add(cleanup)
  if (!exitHook) {
    exitHook = true
    process.on("exit", () => {
      for (const c of [...cleanups].reverse()) c()
    })
  }
}

const run = (cmd: string, args: ReadonlyArray<string>) => execFileSync(cmd, args, { stdio: "pipe", encoding: "utf8" })

const ensureTestUser = () => {
  mkdirSync("/run/sshd", { recursive: true })
  try {
    execFileSync("id", [TEST_USER], { stdio: "ignore" })
  } catch {
    try {
      run("useradd", ["-m", "-s", "/bin/sh", TEST_USER])
    } catch (e) {
      try {
        execFileSync("id", [TEST_USER], { stdio: "ignore" })
      } catch {
        throw e
      }
    }
  }
  run("usermod", ["-p", "*", TEST_USER])
}

const keygen = (type: string, file: string) => {
  rmSync(file, { force: true })
  rmSync(`${file}.pub`, { force: true })
  run("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "infrastructor-test", "-f", file])
}

/** A fresh namespace `infra-pj-<pid>-<n>` joined to ours by a /30 on a veth pair. */
export const createNetns = (): Netns => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server`)
  ensureTestUser()
  const n = Math.floor(Math.random() * 60) + 1
  const name = `infra-pj-${process.pid}-${n}`
  const short = `${process.pid % 100000}${n}`.slice(-7)
  const hostIf = `vpj${short}h`
  const nsIf = `vpj${short}n`
  // 10.231.<x>.<4k+1|4k+2>: one /30 per namespace.
  const x = process.pid % 250
  const base = 4 * n
  const hostAddress = `10.231.${x}.${base + 1}`
  const nsAddress = `10.231.${x}.${base + 2}`
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-netns-"))
  chmodSync(dir, 0o755)
  const remove = () => {
    try {
      run("ip", ["netns", "del", name])
    } catch {
      // already gone
    }
    try {
      run("ip", ["link", "del", hostIf])
    } catch {
      // removed with the namespace
    }
    rmSync(dir, { recursive: true, force: true })
    cleanups.delete(remove)
  }
  onExit(remove)
  try {
    run("ip", ["netns", "add", name])
    run("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", nsIf])
    run("ip", ["link", "set", nsIf, "netns", name])
    run("ip", ["addr", "add", `${hostAddress}/30`, "dev", hostIf])
    run("ip", ["link", "set", hostIf, "up"])
    run("ip", ["-n", name, "addr", "add", `${nsAddress}/30`, "dev", nsIf])
    run("ip", ["-n", name, "link", "set", nsIf, "up"])
    run("ip", ["-n", name, "link", "set", "lo", "up"])
  } catch (e) {
    remove()
    throw e
  }
  const privateKeyPath = path.join(dir, "client_key")
  keygen("ed25519", privateKeyPath)
  chmodSync(`${privateKeyPath}.pub`, 0o644)
  return { name, hostAddress, nsAddress, privateKeyPath, dir, remove }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An sshd inside the namespace on address:port (the namespace is fresh, so any port is free). */
export const startSshdInNetns = async (
  ns: Netns,
  options: { readonly address: string; readonly port: number; readonly label: string },
): Promise<NetnsSshd> => {
  const dir = path.join(ns.dir, options.label)
  mkdirSync(dir, { mode: 0o755 })
  chmodSync(dir, 0o755)
  const hostKeyPath = path.join(dir, "host_key")
  const logPath = path.join(dir, "sshd.log")
  const configPath = path.join(dir, "sshd_config")
  keygen("ed25519", hostKeyPath)
  writeFileSync(
    configPath,
    [
      `Port ${options.port}`,
      `ListenAddress ${options.address}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${ns.privateKeyPath}.pub`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "AllowTcpForwarding yes",
      `AllowUsers ${TEST_USER}`,
      "MaxSessions 64",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  )
  const child: ChildProcess = spawn(
    "ip",
    ["netns", "exec", ns.name, SSHD, "-D", "-e", "-f", configPath, "-E", logPath],
    { stdio: "ignore" },
  )
  child.unref()
  let exited = false
  child.once("exit", () => {
    exited = true
  })
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "")
  const stop = () => {
    // `ip netns exec` execs sshd, so the child's pid is the server's; sessions die with the namespace.
    try {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL")
    } catch {
      // already gone
    }
    cleanups.delete(stop)
  }
  onExit(stop)
  const deadline = Date.now() + 10_000
  while (!log().includes(`Server listening on ${options.address} port ${options.port}.`)) {
    if (exited || Date.now() > deadline) {
      stop()
      throw new Error(`sshd did not start in ${ns.name} on ${options.address}:${options.port}\n${log()}`)
    }
    await sleep(20)
  }
  return {
    host: options.address,
    port: options.port,
    user: TEST_USER,
    hostKeyPath,
    logPath,
    acceptedFrom: () =>
      log().split("\n").flatMap((line) => {
        const m = /Accepted publickey for \S+ from (\S+) port/.exec(line)
        return m ? [m[1]!] : []
      }),
    stop,
  }
}

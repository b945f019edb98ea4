/**
 * A real OpenSSH server for tests: its own port, host key, client key and log, on loopback.
 * Needs root (sshd privilege separation) and /usr/sbin/sshd; without them it throws, so CI fails
 * loudly instead of skipping the SSH tests.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"

const SSHD = "/usr/sbin/sshd"
export const TEST_USER = "infratest"

export interface SshdOptions {
  /** Loopback address to listen on (127.0.0.x); default 127.0.0.1. */
  readonly address?: string
  /** name -> shell script body; each becomes an executable first on the session PATH. */
  readonly shims?: Record<string, string>
  /** ssh-keygen -t value for the host key; default ed25519. */
  readonly hostKeyType?: string
  /**
   * Scheduling niceness of the server and every session under it (inherited). The load bench runs
   * its simulated fleet at 19 so the hosts' scripts, which on a real fleet run on the hosts' own
   * CPUs, take what the service under test leaves instead of starving it on this machine.
   */
  readonly nice?: number
}

export interface SshdHandle {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly privateKeyPath: string
  readonly hostKeyPath: string
  readonly shimDir: string
  readonly logPath: string
  readonly pid: number
  /** "Accepted publickey" lines in the log: one per SSH login. */
  acceptedLogins(): number
  /** SIGSTOP the server and every session process under it: the host "hangs". */
  pause(): void
  resume(): void
  /** SIGKILL the server and its sessions: the host "dies". */
  kill(): void
  /** Kill (if running) and start again on the same port with the same keys. */
  restart(): Promise<void>
  /** Write a new host key; it takes effect on restart(). */
  regenerateHostKey(): void
  /** Kill and remove the temp directory. */
  stop(): void
}

const running = new Set<SshdHandle>()

/** Stop every server this process started (also run on process exit). */
export const stopAllSshd = (): void => {
  for (const handle of [...running]) handle.stop()
}

let exitHookInstalled = false
const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on("exit", stopAllSshd)
}

let userReady = false
const ensureTestUser = () => {
  if (userReady) return
  mkdirSync("/run/sshd", { recursive: true })
  const exists = () => {
    try {
      execFileSync("id", [TEST_USER], { stdio: "ignore" })
      return true
    } catch {
      return false
    }
  }
  if (!exists()) {
    try {
      execFileSync("useradd", ["-m", "-s", "/bin/sh", TEST_USER], { stdio: "pipe" })
    } catch (e) {
      // Another test file running in parallel may have created it first.
      if (!exists()) throw e
    }
  }
  // A locked account ("!" password) is refused even with a valid key.
  execFileSync("usermod", ["-p", "*", TEST_USER], { stdio: "pipe" })
  userReady = true
}

const keygen = (type: string, file: string) => {
  rmSync(file, { force: true })
  rmSync(`${file}.pub`, { force: true })
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "infrastructor-test", "-f", file], { stdio: "pipe" })
}

const freePort = (address: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, address, () => {
      const info = server.address()
      const port = typeof info === "object" && info !== null ? info.port : 0
      server.close(() => resolve(port))
    })
  })

const portAccepts = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** pid and every descendant, from /proc (session processes are children of the listener). */
const processTree = (root: number): Array<number> => {
  const children = new Map<number, Array<number>>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      // Field 4 (ppid) comes after "pid (comm) state"; comm may contain spaces, so cut at the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      const ppid = Number(fields[1])
      const list = children.get(ppid) ?? []
      list.push(Number(entry))
      children.set(ppid, list)
    } catch {
      // the process exited while we looked
    }
  }
  const out: Array<number> = []
  const walk = (pid: number) => {
    out.push(pid)
    for (const child of children.get(pid) ?? []) walk(child)
  }
  walk(root)
  return out
}

const signalTree = (root: number, signal: NodeJS.Signals) => {
  for (const pid of processTree(root)) {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export const startSshd = async (options: SshdOptions = {}): Promise<SshdHandle> => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server (the SSH tests need a real sshd)`)
  installExitHook()
  ensureTestUser()
  const address = options.address ?? "127.0.0.1"
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-sshd-"))
  // sshd reads AuthorizedKeysFile as the target user, so the directory must be traversable by everyone.
  chmodSync(dir, 0o755)
  const privateKeyPath = path.join(dir, "client_key")
  const hostKeyPath = path.join(dir, "host_key")
  const shimDir = path.join(dir, "shims")
  const logPath = path.join(dir, "sshd.log")
  const configPath = path.join(dir, "sshd_config")
  const hostKeyType = options.hostKeyType ?? "ed25519"
  keygen("ed25519", privateKeyPath)
  chmodSync(`${privateKeyPath}.pub`, 0o644)
  keygen(hostKeyType, hostKeyPath)
  mkdirSync(shimDir, { mode: 0o755 })
  chmodSync(shimDir, 0o755)
  for (const [name, body] of Object.entries(options.shims ?? {})) {
    const file = path.join(shimDir, name)
    writeFileSync(file, body.startsWith("#!") ? body : `#!/bin/sh\n${body}\n`)
    chmodSync(file, 0o755)
  }
  let port = 0
  const writeConfig = () =>
    writeFileSync(
      configPath,
      [
        `Port ${port}`,
        `ListenAddress ${address}`,
        `HostKey ${hostKeyPath}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${privateKeyPath}.pub`,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        `AllowUsers ${TEST_USER}`,
        "MaxSessions 64",
        "MaxStartups 1000",
        "LogLevel INFO",
        `SetEnv PATH=${shimDir}:/usr/local/bin:/usr/bin:/bin`,
        "",
      ].join("\n"),
    )

  let child: ChildProcess | undefined
  let pid = 0

  const listeningLines = () =>
    existsSync(logPath)
      ? readFileSync(logPath, "utf8").split("\n").filter((l) =>
        l.includes(`Server listening on ${address} port ${port}.`)
      ).length
      : 0

  const launch = async () => {
    // The log is appended across restarts: wait for one more "Server listening" line than before,
    // so a port taken by someone else is never mistaken for our server.
    const listeningBefore = listeningLines()
    child = spawn(SSHD, ["-D", "-e", "-f", configPath, "-E", logPath], { stdio: "ignore" })
    pid = child.pid ?? 0
    if (options.nice !== undefined && pid > 0) os.setPriority(pid, options.nice)
    child.unref() // a forgotten stop() must not keep the test process alive; the exit hook kills it
    let exited = false
    child.once("exit", () => {
      exited = true
    })
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (exited) break
      if (listeningLines() > listeningBefore && (await portAccepts(address, port))) return
      await sleep(20)
    }
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : ""
    throw new Error(`sshd did not start on ${address}:${port}${exited ? " (it exited)" : ""}\n${log}`)
  }

  const killNow = () => {
    if (pid > 0) {
      signalTree(pid, "SIGCONT")
      signalTree(pid, "SIGKILL")
    }
  }

  const waitExit = async () => {
    const current = child
    if (!current || current.exitCode !== null || current.signalCode !== null) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000)
      current.once("exit", () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  const handle: SshdHandle = {
    host: address,
    get port() {
      return port
    },
    user: TEST_USER,
    privateKeyPath,
    hostKeyPath,
    shimDir,
    logPath,
    get pid() {
      return pid
    },
    acceptedLogins: () => {
      if (!existsSync(logPath)) return 0
      return readFileSync(logPath, "utf8").split("\n").filter((line) => line.includes("Accepted publickey")).length
    },
    pause: () => signalTree(pid, "SIGSTOP"),
    resume: () => signalTree(pid, "SIGCONT"),
    kill: killNow,
    restart: async () => {
      killNow()
      await waitExit()
      await launch()
    },
    regenerateHostKey: () => keygen(hostKeyType, hostKeyPath),
    stop: () => {
      killNow()
      running.delete(handle)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  running.add(handle)
  // A free port can be taken by a parallel test process before sshd binds it: try a few.
  for (let attempt = 1;; attempt++) {
    port = await freePort(address)
    writeConfig()
    try {
      await launch()
      return handle
    } catch (e) {
      killNow()
      if (attempt >= 3) {
        handle.stop()
        throw e
      }
    }
  }
}

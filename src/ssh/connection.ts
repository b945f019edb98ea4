import type { Buffer } from "node:buffer"
import net from "node:net"
import ssh2 from "ssh2"
import type { ClientChannel } from "ssh2"
import type { SshError } from "../domain/errors.ts"
import { classifyTransportError, sshError } from "./classify.ts"
import { keyAlgorithm, sshFingerprint } from "./fingerprint.ts"
import type { ResolvedSshOptions } from "./options.ts"
import { PersistentShell } from "./shell.ts"
import type { SshTarget } from "./target.ts"

export interface Counters {
  connectionsOpened: number
  connectionsReused: number
  commandsRun: number
  bytesReceived: number
  failures: number
}

export interface ConnectionContext {
  readonly options: ResolvedSshOptions
  readonly counters: Counters
  /** undefined when the key is acceptable; otherwise the refusal. */
  readonly verifyHostKey: (
    device: string,
    hostPort: string,
    algorithm: string,
    fingerprint: string,
  ) => Promise<SshError | undefined>
  readonly onClosed: (connection: DeviceConnection) => void
}

interface Waiter {
  readonly resolve: (shell: PersistentShell) => void
  readonly reject: (error: SshError) => void
  readonly cleanup: () => void
}

/**
 * One ssh2 connection to one device, with a small pool of persistent shells.
 * Connecting starts in the constructor; `ready` settles once (TCP + handshake + host key + auth).
 */
export class DeviceConnection {
  readonly device: string
  readonly target: SshTarget
  readonly ready: Promise<void>
  readonly #context: ConnectionContext
  readonly #client = new ssh2.Client()
  #state: "connecting" | "ready" | "closed" = "connecting"
  readonly #shells = new Set<PersistentShell>()
  readonly #idle: Array<PersistentShell> = []
  #opening = 0
  readonly #waiters: Array<Waiter> = []
  #active = 0
  #idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor(device: string, target: SshTarget, context: ConnectionContext) {
    this.device = device
    this.target = target
    this.#context = context
    this.ready = this.#connect()
    this.ready.catch(() => {}) // the creator awaits it; this only silences the unhandled-rejection warning
  }

  get alive(): boolean {
    return this.#state !== "closed"
  }

  get isReady(): boolean {
    return this.#state === "ready"
  }

  #connect(): Promise<void> {
    const { options, counters } = this.#context
    const { host, port, username, hostPort, auth } = this.target
    const timeoutMs = options.connectTimeoutMs
    return new Promise<void>((resolve, reject) => {
      let settled = false
      let hostKeyRefusal: SshError | undefined
      // Our own socket so Nagle can be disabled on every runtime (Deno's default costs ~44 ms a round trip).
      const socket = net.connect({ host, port })
      socket.setNoDelay(true)
      socket.on("connect", () => socket.setNoDelay(true))
      const fail = (error: SshError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.#state = "closed"
        socket.destroy()
        this.#client.end()
        this.#context.onClosed(this)
        reject(error)
      }
      const timer = setTimeout(
        () => fail(sshError(this.device, "connect_timeout", `no SSH session with ${hostPort} within ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.#client.on("ready", () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.#state = "ready"
        counters.connectionsOpened++
        this.#armIdleTimer()
        resolve()
      })
      this.#client.on("error", (error) => {
        // After ready, errors are followed by "close", which fails what is in flight.
        if (!settled) fail(hostKeyRefusal ?? classifyTransportError(this.device, error, true))
      })
      this.#client.on("close", () => {
        if (!settled) {
          fail(
            hostKeyRefusal ??
              sshError(this.device, "connection_lost", `${hostPort} closed the connection during the handshake`),
          )
        } else this.#closed(sshError(this.device, "connection_lost", `connection to ${hostPort} was lost`))
      })
      try {
        this.#client.connect({
          sock: socket,
          host,
          port,
          username,
          readyTimeout: timeoutMs,
          keepaliveInterval: 15_000,
          keepaliveCountMax: 3,
          authHandler: [...auth],
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
            // An answer after the connect gave up (timeout, closed) must not reach ssh2: it throws then.
            const answer = (ok: boolean) => {
              if (settled) return
              try {
                verify(ok)
              } catch (e) {
                fail(sshError(this.device, "connection_lost", `handshake ended: ${String(e)}`))
              }
            }
            this.#context
              .verifyHostKey(this.device, hostPort, keyAlgorithm(key), sshFingerprint(key))
              .then(
                (refusal) => {
                  hostKeyRefusal = refusal
                  answer(refusal === undefined)
                },
                (e: unknown) => {
                  hostKeyRefusal = sshError(this.device, "config", `host key check failed: ${String(e)}`)
                  answer(false)
                },
              )
          },
        })
      } catch (e) {
        fail(
          sshError(this.device, "config", `cannot start SSH connection: ${e instanceof Error ? e.message : String(e)}`),
        )
      }
    })
  }

  /** Close the connection; commands in flight fail with connection_lost. */
  close(): void {
    this.#closed(sshError(this.device, "connection_lost", "connection closed"))
    this.#client.end()
  }

  #closed(error: SshError): void {
    if (this.#state === "closed") return
    this.#state = "closed"
    clearTimeout(this.#idleTimer)
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup()
      waiter.reject(error)
    }
    for (const shell of this.#shells) shell.destroy(error)
    this.#shells.clear()
    this.#idle.length = 0
    this.#context.onClosed(this)
  }

  /** Mark work in progress, so the idle timer does not close the connection under it. */
  begin(): void {
    this.#active++
    clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
  }

  end(): void {
    this.#active = Math.max(0, this.#active - 1)
    if (this.#active === 0) this.#armIdleTimer()
  }

  #armIdleTimer(): void {
    clearTimeout(this.#idleTimer)
    if (this.#state !== "ready" || this.#active > 0) return
    this.#idleTimer = setTimeout(() => this.close(), this.#context.options.idleTimeoutMs)
    this.#idleTimer.unref?.()
  }

  /** Wait (FIFO, bounded) for a free shell, opening one while under the per-connection limit. */
  acquireShell(deadline: number, signal?: AbortSignal): Promise<PersistentShell> {
    return new Promise<PersistentShell>((resolve, reject) => {
      if (!this.alive) return reject(sshError(this.device, "connection_lost", "connection is closed"))
      if (this.#waiters.length >= this.#context.options.maxQueuedCommands) {
        return reject(
          sshError(this.device, "channel_failed", `${this.#waiters.length} commands already waiting for a shell`),
        )
      }
      const startedAt = Date.now()
      const remove = () => {
        const index = this.#waiters.indexOf(waiter)
        if (index >= 0) this.#waiters.splice(index, 1)
        waiter.cleanup()
      }
      const onTimeout = () => {
        remove()
        reject(sshError(this.device, "command_timeout", `no shell became free within ${Date.now() - startedAt} ms`))
      }
      const onAbort = () => {
        remove()
        reject(sshError(this.device, "command_timeout", "command interrupted"))
      }
      const timer = setTimeout(onTimeout, Math.max(0, deadline - startedAt))
      signal?.addEventListener("abort", onAbort, { once: true })
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer)
          signal?.removeEventListener("abort", onAbort)
        },
      }
      this.#waiters.push(waiter)
      this.#pump()
    })
  }

  releaseShell(shell: PersistentShell): void {
    if (shell.dead) this.#shells.delete(shell)
    else if (this.alive) this.#idle.push(shell)
    this.#pump()
  }

  #pump(): void {
    if (!this.alive) return
    while (this.#waiters.length > 0) {
      const shell = this.#idle.pop()
      if (!shell) break
      if (shell.dead) {
        this.#shells.delete(shell)
        continue
      }
      const waiter = this.#waiters.shift()!
      waiter.cleanup()
      waiter.resolve(shell)
    }
    const max = this.#context.options.shellsPerConnection
    let wanted = this.#waiters.length - this.#opening
    while (wanted > 0 && this.#shells.size + this.#opening < max) {
      wanted--
      this.#opening++
      this.#openShell().then(
        (shell) => {
          this.#opening--
          if (!this.alive) return shell.destroy()
          this.#shells.add(shell)
          this.#idle.push(shell)
          this.#pump()
        },
        (error: SshError) => {
          this.#opening--
          // Give the failure to one waiter so a host that refuses channels cannot strand the queue.
          const waiter = this.#waiters.shift()
          if (waiter) {
            waiter.cleanup()
            waiter.reject(error)
          }
          this.#pump()
        },
      )
    }
  }

  #openShell(): Promise<PersistentShell> {
    return this.#openExec("exec /bin/sh").then(
      (channel) =>
        new PersistentShell(channel, this.device, () => this.alive, (n) => {
          this.#context.counters.bytesReceived += n
        }),
    )
  }

  /** Open an exec channel (for persistent shells and for streams). */
  openExec(command: string): Promise<ClientChannel> {
    return this.#openExec(command)
  }

  #openExec(command: string): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      const failure = (message: string) =>
        sshError(this.device, this.alive ? "channel_failed" : "connection_lost", `cannot open channel: ${message}`)
      if (!this.alive) return reject(failure("connection is closed"))
      try {
        this.#client.exec(command, (error, channel) => {
          if (error) reject(failure(error.message))
          else if (!this.alive) {
            channel.close()
            reject(failure("connection closed"))
          } else resolve(channel)
        })
      } catch (e) {
        reject(failure(e instanceof Error ? e.message : String(e)))
      }
    })
  }
}

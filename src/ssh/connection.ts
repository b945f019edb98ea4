import type { Buffer } from "node:buffer"
import net from "node:net"
import { Effect, Semaphore } from "effect"
import type { Scope } from "effect"
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

export interface ConnectContext {
  readonly options: ResolvedSshOptions
  readonly counters: Counters
  /**
   * Called synchronously during the key exchange: undefined accepts the key, an error refuses it
   * (before any credential is offered).
   */
  readonly verifyHostKey: (algorithm: string, fingerprint: string) => SshError | undefined
  /** Host-key algorithms to offer, in order (known_hosts' types first); undefined: ssh2's default. */
  readonly hostKeyAlgorithms?: ReadonlyArray<string> | undefined
  /** Reach the host through this connection (ProxyJump: a forwarded channel) instead of TCP. */
  readonly via?: SshConnection | undefined
}

/**
 * One ssh2 connection to one device, with a small pool of persistent shells. Built only by
 * `openConnection`, whose scope owns it; `close` is for dropping it early (device edited or removed).
 */
export class SshConnection {
  readonly device: string
  readonly target: SshTarget
  readonly #client: ssh2.Client
  readonly #options: ResolvedSshOptions
  readonly #counters: Counters
  #closed = false
  /** Every open shell, idle or busy, so a close can fail the commands in flight. */
  readonly #shells = new Set<PersistentShell>()
  readonly #idle: Array<PersistentShell> = []
  /** One permit per shell the connection may hold; callers past it queue here. */
  readonly #permits: Semaphore.Semaphore
  #queued = 0

  constructor(device: string, target: SshTarget, client: ssh2.Client, context: ConnectContext) {
    this.device = device
    this.target = target
    this.#client = client
    this.#options = context.options
    this.#counters = context.counters
    this.#permits = Semaphore.makeUnsafe(context.options.shellsPerConnection)
  }

  get alive(): boolean {
    return !this.#closed
  }

  /** Close the connection; commands in flight fail with connection_lost. Idempotent. */
  close(): void {
    this.lost(sshError(this.device, "connection_lost", "connection closed"))
    this.#client.end()
  }

  /** The connection is gone (closed by us or dropped): fail what runs on it. */
  lost(error: SshError): void {
    if (this.#closed) return
    this.#closed = true
    for (const shell of this.#shells) shell.destroy(error)
    this.#shells.clear()
    this.#idle.length = 0
  }

  /**
   * A free shell for the enclosing scope, waiting (bounded, until `deadline`) while all are busy.
   * The shell goes back to the pool when the scope closes, or is dropped if it died on the way.
   */
  shell(deadline: number): Effect.Effect<PersistentShell, SshError, Scope.Scope> {
    return Effect.gen({ self: this }, function* () {
      if (!this.alive) return yield* Effect.fail(sshError(this.device, "connection_lost", "connection is closed"))
      if (this.#queued >= this.#options.maxQueuedCommands) {
        return yield* Effect.fail(
          sshError(this.device, "channel_failed", `${this.#queued} commands already waiting for a shell`),
        )
      }
      const startedAt = Date.now()
      this.#queued++
      yield* Semaphore.takeScoped(this.#permits, 1).pipe(
        Effect.timeoutOrElse({
          duration: Math.max(0, deadline - startedAt),
          orElse: () =>
            Effect.fail(
              sshError(this.device, "command_timeout", `no shell became free within ${Date.now() - startedAt} ms`),
            ),
        }),
        Effect.ensuring(Effect.sync(() => this.#queued--)),
      )
      if (!this.alive) return yield* Effect.fail(sshError(this.device, "connection_lost", "connection is closed"))
      let shell = this.#idle.pop()
      while (shell?.dead) {
        this.#shells.delete(shell)
        shell = this.#idle.pop()
      }
      if (shell === undefined) shell = yield* this.#openShell()
      const leased = shell
      yield* Effect.addFinalizer(() => Effect.sync(() => this.#release(leased)))
      return leased
    })
  }

  #release(shell: PersistentShell): void {
    if (shell.dead || !this.alive) {
      this.#shells.delete(shell)
      shell.destroy()
    } else this.#idle.push(shell)
  }

  #openShell(): Effect.Effect<PersistentShell, SshError> {
    return Effect.map(this.openExec("exec /bin/sh"), (channel) => {
      const shell = new PersistentShell(channel, this.device, () => this.alive, (n) => {
        this.#counters.bytesReceived += n
      })
      this.#shells.add(shell)
      return shell
    })
  }

  /**
   * A direct-tcpip channel from this host to host:port (what `ssh -J` uses): the next hop's SSH
   * session runs over it. Calls back once, with the channel or an error message.
   */
  forwardOut(host: string, port: number, callback: (result: ClientChannel | string) => void): void {
    if (!this.alive) return callback("the jump host's connection is closed")
    try {
      this.#client.forwardOut("127.0.0.1", 0, host, port, (error, channel) => {
        if (error) callback(error.message)
        else if (!this.alive) {
          channel.close()
          callback("the jump host's connection closed")
        } else callback(channel)
      })
    } catch (e) {
      callback(e instanceof Error ? e.message : String(e))
    }
  }

  /** Open an exec channel (for persistent shells and for streams); interruption closes a late channel. */
  openExec(command: string): Effect.Effect<ClientChannel, SshError> {
    return Effect.callback<ClientChannel, SshError>((resume) => {
      let abandoned = false
      const failure = (message: string) =>
        sshError(this.device, this.alive ? "channel_failed" : "connection_lost", `cannot open channel: ${message}`)
      if (!this.alive) return resume(Effect.fail(failure("connection is closed")))
      try {
        this.#client.exec(command, (error, channel) => {
          if (abandoned) channel?.close()
          else if (error) resume(Effect.fail(failure(error.message)))
          else if (!this.alive) {
            channel.close()
            resume(Effect.fail(failure("connection closed")))
          } else resume(Effect.succeed(channel))
        })
      } catch (e) {
        return resume(Effect.fail(failure(e instanceof Error ? e.message : String(e))))
      }
      return Effect.sync(() => {
        abandoned = true
      })
    })
  }
}

/** TCP + SSH handshake + host key + auth, within connectTimeoutMs. Interruption abandons the attempt. */
const handshake = (
  device: string,
  target: SshTarget,
  context: ConnectContext,
): Effect.Effect<SshConnection, SshError> =>
  Effect.callback<SshConnection, SshError>((resume) => {
    const { host, port, username, hostPort, auth } = target
    const timeoutMs = context.options.connectTimeoutMs
    const client = new ssh2.Client()
    const connection = new SshConnection(device, target, client, context)
    let settled = false
    let hostKeyRefusal: SshError | undefined
    // Our own socket so Nagle can be disabled on every runtime (Deno's default costs ~44 ms a round trip).
    // Through a jump host, the socket is a forwarded channel on the jump host's connection.
    let socket: net.Socket | ClientChannel | undefined
    const abandon = () => {
      settled = true
      clearTimeout(timer)
      connection.lost(sshError(device, "connection_lost", "connection attempt abandoned"))
      if (socket !== undefined) socket.destroy()
      client.end()
    }
    const fail = (error: SshError) => {
      if (settled) return
      abandon()
      resume(Effect.fail(error))
    }
    const via = context.via
    const timer = setTimeout(
      () =>
        fail(
          sshError(
            device,
            "connect_timeout",
            `no SSH session with ${hostPort}${via ? ` via ${via.target.hostPort}` : ""} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    )
    client.on("ready", () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(Effect.succeed(connection))
    })
    client.on("error", (error) => {
      // After ready, errors are followed by "close", which fails what is in flight.
      if (!settled) fail(hostKeyRefusal ?? classifyTransportError(device, error, true))
    })
    client.on("close", () => {
      if (!settled) {
        fail(
          hostKeyRefusal ??
            sshError(device, "connection_lost", `${hostPort} closed the connection during the handshake`),
        )
      } else connection.lost(sshError(device, "connection_lost", `connection to ${hostPort} was lost`))
    })
    const start = (sock: net.Socket | ClientChannel) => {
      try {
        client.connect({
          sock,
          host,
          port,
          username,
          readyTimeout: timeoutMs,
          keepaliveInterval: 15_000,
          keepaliveCountMax: 3,
          authHandler: [...auth],
          ...(context.hostKeyAlgorithms === undefined
            ? {}
            : { algorithms: { serverHostKey: [...context.hostKeyAlgorithms] as Array<ssh2.ServerHostKeyAlgorithm> } }),
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
            // An answer after the connect gave up (timeout, closed) must not reach ssh2: it throws then.
            if (settled) return
            hostKeyRefusal = context.verifyHostKey(keyAlgorithm(key), sshFingerprint(key))
            try {
              verify(hostKeyRefusal === undefined)
            } catch (e) {
              fail(sshError(device, "connection_lost", `handshake ended: ${String(e)}`))
            }
          },
        })
      } catch (e) {
        fail(sshError(device, "config", `cannot start SSH connection: ${e instanceof Error ? e.message : String(e)}`))
      }
    }
    if (via === undefined) {
      const tcp = net.connect({ host, port })
      socket = tcp
      tcp.setNoDelay(true)
      tcp.on("connect", () => tcp.setNoDelay(true))
      start(tcp)
    } else {
      via.forwardOut(host, port, (result) => {
        if (typeof result === "string") {
          return fail(
            sshError(device, "connect_refused", `jump host ${via.target.hostPort} cannot reach ${hostPort}: ${result}`),
          )
        }
        if (settled) return result.close()
        socket = result
        start(result)
      })
    }
    return Effect.sync(() => {
      if (!settled) abandon()
    })
  })

/** A connection owned by the enclosing scope: closed (in-flight commands failed) when it closes. */
export const openConnection = (
  device: string,
  target: SshTarget,
  context: ConnectContext,
): Effect.Effect<SshConnection, SshError, Scope.Scope> =>
  Effect.acquireRelease(handshake(device, target, context), (connection) => Effect.sync(() => connection.close()))

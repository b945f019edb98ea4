import { guardStreamCommand } from "./stream-guard.ts"
import { Cause, Duration, Effect, Equal, Hash, Layer, Queue, RcMap, type Scope, Stream } from "effect"
import type { Buffer } from "node:buffer"
import type { ClientChannel } from "ssh2"
import type { Device } from "../domain/device.ts"
import type { SshError } from "../domain/errors.ts"
import { isSshError, sshError } from "./classify.ts"
import { type Counters, openConnection, type SshConnection } from "./connection.ts"
import { frameCommand } from "./framing.ts"
import { HostKeys, type HostKeysShape, type KnownHostKey } from "./HostKeys.ts"
import { LineSplitter } from "./lines.ts"
import { killGroup, runLocal, spawnLocal } from "./local.ts"
import { type ResolvedSshOptions, resolveSshOptions, type SshOptions } from "./options.ts"
import { type CommandResult, type RunOptions, Ssh, type SshShape } from "./Ssh.ts"
import { connectionKey, resolveTarget, type SshTarget } from "./target.ts"
import { readFileSync } from "node:fs"
import { hostKeyAlgorithmsFor, type KnownHostKeys, knownHostKeysIn } from "./known-hosts.ts"

/** How long after a stream's channel closes we still wait for its exit status. */
const EXIT_STATUS_GRACE_MS = 250
/** Stderr kept from a stream command, for the error message when it exits non-zero. */
const STDERR_TAIL = 2000

/** What the store says of a host's key before connecting: the key (or none), or why it cannot say. */
type KnownKey = { readonly known: KnownHostKey | undefined } | { readonly unavailable: string }

/** ssh2's host-key algorithms (its default order) that a known_hosts key type can select. */
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
]

/**
 * What the known_hosts files (the user's, then the system-wide one) list for host:port together;
 * a file that is absent or unset ("") lists nothing.
 */
const readKnownHosts = (files: ReadonlyArray<string>, host: string, port: number): KnownHostKeys => {
  const read: Array<{ file: string; text: string }> = []
  for (const file of files) {
    if (file === "") continue
    try {
      read.push({ file, text: readFileSync(file, "utf8") })
    } catch {
      // no known_hosts file is common
    }
  }
  return knownHostKeysIn(read, host, port)
}

/**
 * Offer the key types known_hosts lists for the host first, so that a host with several keys
 * presents one we can check (as OpenSSH orders HostKeyAlgorithms); undefined keeps ssh2's order.
 */
const preferredHostKeyAlgorithms = (known: KnownHostKeys): ReadonlyArray<string> | undefined => {
  const first = [...new Set(known.trusted.flatMap((k) => hostKeyAlgorithmsFor(k.keyType)))]
    .filter((a) => HOST_KEY_ALGORITHMS.includes(a))
  if (first.length === 0) return undefined
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))]
}

const hostKeyPolicy = (hostKeys: HostKeysShape, options: ResolvedSshOptions) => {
  const note = options.knownHostsNote ? ` ${options.knownHostsNote}` : ""
  // Keys seen before keep connections possible while the database is away; nothing new is trusted then.
  const remembered = new Map<string, KnownHostKey | undefined>()

  /** Looked up before connecting, as ssh2 asks for a verdict synchronously during the key exchange. */
  const lookup = Effect.fn("Ssh.lookupHostKey")(function* (hostPort: string): Effect.fn.Return<KnownKey> {
    const looked = yield* hostKeys.get(hostPort).pipe(
      Effect.map((known): KnownKey => ({ known })),
      Effect.catch((e) => Effect.succeed<KnownKey>({ unavailable: e.message })),
      Effect.timeoutOrElse({
        duration: options.connectTimeoutMs,
        orElse: () => Effect.succeed<KnownKey>({ unavailable: "the store did not answer in time" }),
      }),
    )
    if ("known" in looked) remembered.set(hostPort, looked.known)
    else if (remembered.has(hostPort)) return { known: remembered.get(hostPort) }
    return looked
  })

  /**
   * The verdict on a presented key: undefined accepts, "trust" accepts and records it once connected.
   * Keys listed in known_hosts for the host are trusted as they are; when it lists any, a key that
   * is not among them is refused whatever the store says.
   */
  const verdict = (
    device: string,
    hostPort: string,
    state: KnownKey,
    knownHosts: KnownHostKeys,
    algorithm: string,
    fingerprint: string,
  ): SshError | "trust" | undefined => {
    if (knownHosts.revoked.includes(fingerprint)) {
      return sshError(
        device,
        "host_key_mismatch",
        `host key of ${hostPort} (${algorithm} ${fingerprint}) is marked @revoked in ` +
          `${knownHosts.revokedIn?.get(fingerprint) ?? "known_hosts"}. ` +
          `Refusing to connect.${note}`,
      )
    }
    if (knownHosts.trusted.length > 0) {
      if (knownHosts.trusted.some((k) => k.fingerprint === fingerprint)) return undefined
      const listed = knownHosts.trusted.map((k) => `${k.keyType} ${k.fingerprint} (${k.file} line ${k.line})`)
        .join(", ")
      return sshError(
        device,
        "host_key_mismatch",
        `host key of ${hostPort} does not match known_hosts: it lists ${listed}, the host presented ` +
          `${algorithm} ${fingerprint}. Refusing to connect; if the host was reinstalled, update known_hosts ` +
          `(ssh-keygen -R).${note}`,
      )
    }
    if ("unavailable" in state) {
      return sshError(device, "config", `cannot check the host key of ${hostPort}: ${state.unavailable}`)
    }
    const known = state.known
    if (known === undefined) {
      if (options.hostKeyPolicy === "strict") {
        return sshError(
          device,
          "host_key_unknown",
          `host key of ${hostPort} (${algorithm} ${fingerprint}) is not trusted and the host key policy is strict.${note}`,
        )
      }
      return "trust"
    }
    if (known.fingerprint === fingerprint) return undefined
    return sshError(
      device,
      "host_key_mismatch",
      `host key of ${hostPort} changed: expected ${known.algorithm} ${known.fingerprint} (trusted since ` +
        `${known.firstSeen.toISOString()}), the host presented ${algorithm} ${fingerprint}. Refusing to connect; ` +
        `if the host was reinstalled, forget its key and reconnect to trust the new one.${note}`,
    )
  }

  /** Trust on first use: the key the host presented is recorded once the session is up. */
  const trust = Effect.fn("Ssh.trustHostKey")(function* (
    device: string,
    hostPort: string,
    algorithm: string,
    fingerprint: string,
  ): Effect.fn.Return<void, SshError> {
    yield* hostKeys.trust(hostPort, algorithm, fingerprint).pipe(
      Effect.mapError((e) => sshError(device, "config", `cannot record the host key of ${hostPort}: ${e.message}`)),
    )
    remembered.set(hostPort, { hostPort, algorithm, fingerprint, firstSeen: new Date() })
  })

  return { lookup, verdict, trust }
}

/**
 * The RcMap key of a device's connection: equal while the fields that make the connection are
 * unchanged (see connectionKey), and carrying the device for the lookup.
 */
class ConnectionId implements Equal.Equal {
  readonly device: Device
  readonly id: string
  constructor(device: Device) {
    this.device = device
    this.id = connectionKey(device)
  }
  [Equal.symbol](that: unknown): boolean {
    return that instanceof ConnectionId && that.id === this.id
  }
  [Hash.symbol](): number {
    return Hash.string(this.id)
  }
}

/** The RcMap key of a jump host's connection: the hop's key includes the hops before it. */
class HopId implements Equal.Equal {
  readonly device: string
  readonly target: SshTarget
  constructor(device: string, target: SshTarget) {
    this.device = device
    this.target = target
  }
  [Equal.symbol](that: unknown): boolean {
    return that instanceof HopId && that.target.key === this.target.key
  }
  [Hash.symbol](): number {
    return Hash.string(this.target.key)
  }
}

/** Build the Ssh service; its connections close when the enclosing scope (the layer) closes. */
export const makeSsh = (sshOptions: SshOptions = {}) =>
  Effect.gen(function* () {
    const options = resolveSshOptions(sshOptions)
    const hostKeys = hostKeyPolicy(yield* HostKeys, options)
    const counters: Counters = {
      connectionsOpened: 0,
      connectionsReused: 0,
      commandsRun: 0,
      bytesReceived: 0,
      failures: 0,
    }
    /** Connections that completed their handshake and are not yet released, for stats and close(). */
    const live = new Set<SshConnection>()
    /** The connection identity each device name was last used with, to notice edits. */
    const current = new Map<string, ConnectionId>()

    /**
     * TCP (or a forwarded channel on `via`) + handshake + auth to one target, its host key checked
     * against known_hosts and the store (TOFU/strict) like any other; a first-seen key is recorded
     * once the session is up. `label` names the connection in errors.
     */
    const openVerified = Effect.fn("Ssh.openVerified")(function* (
      label: string,
      target: SshTarget,
      via: SshConnection | undefined,
    ): Effect.fn.Return<SshConnection, SshError, Scope.Scope> {
      const state = yield* hostKeys.lookup(target.hostPort)
      const knownHosts = readKnownHosts(
        [options.knownHostsPath, options.globalKnownHostsPath],
        target.host,
        target.port,
      )
      let presented: { readonly algorithm: string; readonly fingerprint: string } | undefined
      const connection = yield* openConnection(label, target, {
        options,
        counters,
        via,
        hostKeyAlgorithms: preferredHostKeyAlgorithms(knownHosts),
        verifyHostKey: (algorithm, fingerprint) => {
          const verdict = hostKeys.verdict(label, target.hostPort, state, knownHosts, algorithm, fingerprint)
          if (verdict === "trust") presented = { algorithm, fingerprint }
          return verdict === "trust" ? undefined : verdict
        },
      })
      if (presented !== undefined) {
        yield* hostKeys.trust(label, target.hostPort, presented.algorithm, presented.fingerprint).pipe(
          Effect.tapError(() => Effect.sync(() => connection.close())),
        )
      }
      counters.connectionsOpened++
      live.add(connection)
      yield* Effect.addFinalizer(() => Effect.sync(() => live.delete(connection)))
      return connection
    })

    /** The connection to a jump host, shared by every device behind it (see hopConnection). */
    const openHop = (hop: HopId): Effect.Effect<SshConnection, SshError, Scope.Scope> =>
      Effect.gen(function* () {
        const via = hop.target.jumps.length === 0 ? undefined : yield* hopConnection(hop.device, hop.target.jumps)
        return yield* openVerified(`jump ${hop.target.username}@${hop.target.hostPort}`, hop.target, via)
      })

    // Jump hosts' connections, keyed by the hop and the hops before it: devices behind the same jump
    // host share its one connection, held while any of their connections is open.
    const hops = yield* RcMap.make({
      lookup: openHop,
      idleTimeToLive: Duration.millis(options.idleTimeoutMs),
    })

    /** The last hop of `chain`, reused while alive; errors are the device's, naming the jump host. */
    const hopConnection = (
      device: string,
      chain: ReadonlyArray<SshTarget>,
    ): Effect.Effect<SshConnection, SshError, Scope.Scope> =>
      Effect.gen(function* () {
        const key = new HopId(device, chain[chain.length - 1]!)
        const get = RcMap.get(hops, key).pipe(Effect.tapError(() => RcMap.invalidate(hops, key)))
        const existed = yield* RcMap.has(hops, key)
        const connection = yield* get
        if (connection.alive) {
          if (existed) counters.connectionsReused++
          return connection
        }
        yield* RcMap.invalidate(hops, key)
        return yield* get
      }).pipe(
        Effect.mapError((e) =>
          e.device === device
            ? e
            : sshError(device, e.reason, `via ${e.device.replace(/^jump /, "jump host ")}: ${e.message}`)
        ),
      )

    const connect = Effect.fn("Ssh.connect")(function* (
      device: Device,
    ): Effect.fn.Return<SshConnection, SshError, Scope.Scope> {
      const target = resolveTarget(device, options)
      if (isSshError(target)) return yield* Effect.fail(target)
      const via = target.jumps.length === 0 ? undefined : yield* hopConnection(device.name, target.jumps)
      return yield* openVerified(device.name, target, via)
    })

    // One connection per device, shared by its commands and streams; closed once unused for idleTimeoutMs.
    const connections = yield* RcMap.make({
      lookup: (key: ConnectionId) => connect(key.device),
      idleTimeToLive: Duration.millis(options.idleTimeoutMs),
    })

    const closeLive = (deviceName?: string) => {
      for (const connection of live) {
        if (deviceName === undefined || connection.device === deviceName) connection.close()
      }
    }

    /** The device's one connection for the enclosing scope: reused while alive, reopened once dropped. */
    const connectionFor = (device: Device): Effect.Effect<SshConnection, SshError, Scope.Scope> =>
      Effect.gen(function* () {
        const key = new ConnectionId(device)
        const previous = current.get(device.name)
        if (previous !== undefined && previous.id !== key.id) {
          // The device was edited: its old connection goes, in-flight commands included.
          yield* RcMap.invalidate(connections, previous)
          for (const connection of live) if (connection.target.key === previous.id) connection.close()
        }
        current.set(device.name, key)
        const get = RcMap.get(connections, key).pipe(
          // A failed connect is not kept: the next call tries again.
          Effect.tapError(() => RcMap.invalidate(connections, key)),
        )
        const existed = yield* RcMap.has(connections, key)
        const connection = yield* get
        if (connection.alive) {
          if (existed) counters.connectionsReused++
          return connection
        }
        // Dropped since its last use (host restarted, network cut): replace it.
        yield* RcMap.invalidate(connections, key)
        return yield* get
      })

    const runOverSsh = (device: Device, script: string, timeoutMs: number, cap: number) =>
      Effect.scoped(
        Effect.gen(function* () {
          const framed = frameCommand(script)
          if (framed === undefined) {
            return yield* Effect.fail(sshError(device.name, "config", "script contains a NUL byte"))
          }
          const connection = yield* connectionFor(device)
          const deadline = Date.now() + timeoutMs
          const shell = yield* connection.shell(deadline)
          return yield* shell.run(framed, { deadline, maxOutputBytes: cap })
        }),
      )

    const runOnHost = (device: Device, script: string, timeoutMs: number, cap: number) =>
      Effect.callback<CommandResult, SshError>((resume, signal) => {
        runLocal(device.name, script, {
          deadline: Date.now() + timeoutMs,
          maxOutputBytes: cap,
          signal,
          onBytes: (n) => {
            counters.bytesReceived += n
          },
        }).then(
          (result) => resume(Effect.succeed(result)),
          (error: unknown) =>
            resume(Effect.fail(isSshError(error) ? error : sshError(device.name, "channel_failed", String(error)))),
        )
      })

    // No retry here: the pipeline owns retries, and knows whether the command may be sent twice.
    const run = Effect.fn("Ssh.run")(function* (
      device: Device,
      script: string,
      runOptions?: RunOptions,
    ): Effect.fn.Return<CommandResult, SshError> {
      const timeoutMs = runOptions?.timeout !== undefined
        ? Duration.toMillis(Duration.fromInputUnsafe(runOptions.timeout))
        : options.commandTimeoutMs
      const cap = runOptions?.maxOutputBytes ?? options.maxOutputBytes
      const result = yield* (device.transport === "local"
        ? runOnHost(device, script, timeoutMs, cap)
        : runOverSsh(device, script, timeoutMs, cap)).pipe(
          Effect.tapError(() => Effect.sync(() => counters.failures++)),
        )
      counters.commandsRun++
      return result
    })

    /** Opens the stream's exec channel for the enclosing scope (the stream's lifetime). */
    const openStream = Effect.fn("Ssh.stream")(function* (
      device: Device,
      command: string,
    ): Effect.fn.Return<{ connection: SshConnection; channel: ClientChannel }, SshError, Scope.Scope> {
      const connection = yield* connectionFor(device)
      const channel = yield* Effect.acquireRelease(
        connection.openExec(guardStreamCommand(command)),
        (channel) =>
          Effect.sync(() => {
            try {
              // Stop the remote command too (a `while ...; echo` loop ignores the closed pipe).
              channel.signal("TERM")
            } catch {
              // the server may not support signals; closing the channel still ends our side
            }
            channel.close()
          }),
      )
      return { connection, channel }
    })

    const streamOverSsh = (device: Device, command: string): Stream.Stream<string, SshError> =>
      Stream.callback<string, SshError>((queue) =>
        Effect.gen(function* () {
          // A failed connect ends the stream; its consumer (the watcher) restarts it on its own schedule.
          const { connection, channel } = yield* openStream(device, command).pipe(
            Effect.tapError(() =>
              Effect.sync(() => counters.failures++)
            ),
          )
          const lines = new LineSplitter()
          let stderrTail = ""
          let exitCode: number | undefined
          channel.on("data", (chunk: Buffer) => {
            counters.bytesReceived += chunk.length
            for (const line of lines.push(chunk)) Queue.offerUnsafe(queue, line)
          })
          channel.stderr.on("data", (chunk: Buffer) => {
            counters.bytesReceived += chunk.length
            stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL)
          })
          let closed = false
          let decided = false
          // Under Deno, ssh2 can emit "exit" after "close": decide once both are in, or shortly
          // after close when the server sent no exit status at all.
          const decide = () => {
            if (decided) return
            decided = true
            // Let the connection notice a dead socket first, so the reason is right.
            setImmediate(() => {
              for (const line of lines.flush()) Queue.offerUnsafe(queue, line)
              if (!connection.alive) {
                Queue.failCauseUnsafe(
                  queue,
                  Cause.fail(sshError(device.name, "connection_lost", "connection lost during stream")),
                )
              } else if (exitCode !== undefined && exitCode !== 0) {
                const detail = stderrTail.trim() === "" ? "" : `: ${stderrTail.trim()}`
                Queue.failCauseUnsafe(
                  queue,
                  Cause.fail(
                    sshError(device.name, "channel_failed", `stream command exited with ${exitCode}${detail}`),
                  ),
                )
              } else {
                Queue.endUnsafe(queue)
              }
            })
          }
          channel.on("exit", (code: number | null) => {
            exitCode = code ?? -1
            if (closed) decide()
          })
          channel.on("close", () => {
            closed = true
            if (exitCode !== undefined) decide()
            else setTimeout(decide, EXIT_STATUS_GRACE_MS)
          })
        })
      )

    const streamLocal = (device: Device, command: string): Stream.Stream<string, SshError> =>
      Stream.callback<string, SshError>((queue) =>
        Effect.gen(function* () {
          const child = yield* Effect.acquireRelease(
            Effect.sync(() => spawnLocal(command)),
            (child) => Effect.sync(() => killGroup(child)),
          )
          const lines = new LineSplitter()
          let stderrTail = ""
          child.stdout?.on("data", (chunk: Buffer) => {
            counters.bytesReceived += chunk.length
            for (const line of lines.push(chunk)) Queue.offerUnsafe(queue, line)
          })
          child.stderr?.on("data", (chunk: Buffer) => {
            stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL)
          })
          child.on("error", (e) => {
            Queue.failCauseUnsafe(
              queue,
              Cause.fail(sshError(device.name, "channel_failed", `cannot run /bin/sh: ${e.message}`)),
            )
          })
          child.on("close", (code) => {
            for (const line of lines.flush()) Queue.offerUnsafe(queue, line)
            if (code !== null && code !== 0) {
              const detail = stderrTail.trim() === "" ? "" : `: ${stderrTail.trim()}`
              Queue.failCauseUnsafe(
                queue,
                Cause.fail(sshError(device.name, "channel_failed", `stream command exited with ${code}${detail}`)),
              )
            } else {
              Queue.endUnsafe(queue)
            }
          })
        })
      )

    const close = Effect.fn("Ssh.close")(function* (deviceName?: string) {
      for (const [name, key] of [...current]) {
        if (deviceName === undefined || name === deviceName) {
          current.delete(name)
          yield* RcMap.invalidate(connections, key)
        }
      }
      // Commands still running on it fail now rather than finish on a connection meant to be gone.
      closeLive(deviceName)
    })

    const service: SshShape = {
      run,
      stream: (
        device,
        command,
      ) => (device.transport === "local" ? streamLocal(device, command) : streamOverSsh(device, command)),
      close,
      stats: () => ({
        ...counters,
        openConnections: [...live].filter((c) => c.alive).length,
      }),
    }
    return service
  })

export const makeSshLayer = (options: SshOptions = {}): Layer.Layer<Ssh, never, HostKeys> =>
  Layer.effect(Ssh, makeSsh(options))

/** The Ssh service with default options; needs a HostKeys layer (the store's, or HostKeysMemory). */
export const SshLive: Layer.Layer<Ssh, never, HostKeys> = makeSshLayer()

import { guardStreamCommand } from "./stream-guard.ts"
import { Cause, Duration, Effect, Layer, Queue, Stream } from "effect"
import type { Buffer } from "node:buffer"
import type { Device } from "../domain/device.ts"
import type { SshError } from "../domain/errors.ts"
import { classifyTransportError, isSshError, sshError } from "./classify.ts"
import { type Counters, DeviceConnection } from "./connection.ts"
import { frameCommand } from "./framing.ts"
import { HostKeys, type HostKeysShape, type KnownHostKey } from "./HostKeys.ts"
import { LineSplitter } from "./lines.ts"
import { killGroup, runLocal, spawnLocal } from "./local.ts"
import { type ResolvedSshOptions, resolveSshOptions, type SshOptions } from "./options.ts"
import { type CommandResult, type RunOptions, Ssh, type SshShape } from "./Ssh.ts"
import { connectionKey, resolveTarget } from "./target.ts"

/** Stderr kept from a stream command, for the error message when it exits non-zero. */
/** How long after a stream's channel closes we still wait for its exit status. */
const EXIT_STATUS_GRACE_MS = 250
const STDERR_TAIL = 2000

const hostKeyCheck = (hostKeys: HostKeysShape, options: ResolvedSshOptions) => {
  const note = options.knownHostsNote ? ` ${options.knownHostsNote}` : ""
  const remembered = new Map<string, KnownHostKey | undefined>()
  return async (
    device: string,
    hostPort: string,
    algorithm: string,
    fingerprint: string,
  ): Promise<SshError | undefined> => {
    // Keys seen before keep connections possible while the database is away; nothing new is trusted then.
    const looked = await Effect.runPromise(Effect.result(hostKeys.get(hostPort)))
    if (looked._tag === "Success") remembered.set(hostPort, looked.success)
    else if (!remembered.has(hostPort)) {
      return sshError(device, "config", `cannot check the host key of ${hostPort}: ${looked.failure.message}`)
    }
    const known = looked._tag === "Success" ? looked.success : remembered.get(hostPort)
    if (known === undefined) {
      if (options.hostKeyPolicy === "strict") {
        return sshError(
          device,
          "host_key_unknown",
          `host key of ${hostPort} (${algorithm} ${fingerprint}) is not trusted and the host key policy is strict.${note}`,
        )
      }
      const trusted = await Effect.runPromise(Effect.result(hostKeys.trust(hostPort, algorithm, fingerprint)))
      if (trusted._tag === "Failure") {
        return sshError(device, "config", `cannot record the host key of ${hostPort}: ${trusted.failure.message}`)
      }
      remembered.set(hostPort, { hostPort, algorithm, fingerprint, firstSeen: new Date() })
      return undefined
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
}

/** Build the Ssh service; its connections close when the enclosing scope (the layer) closes. */
export const makeSsh = (sshOptions: SshOptions = {}) =>
  Effect.gen(function* () {
    const hostKeys = yield* HostKeys
    const options = resolveSshOptions(sshOptions)
    const counters: Counters = {
      connectionsOpened: 0,
      connectionsReused: 0,
      commandsRun: 0,
      bytesReceived: 0,
      failures: 0,
    }
    const connections = new Map<string, DeviceConnection>()
    const context = {
      options,
      counters,
      verifyHostKey: hostKeyCheck(hostKeys, options),
      onClosed: (connection: DeviceConnection) => {
        if (connections.get(connection.device) === connection) connections.delete(connection.device)
      },
    }

    /** The device's one connection: reused while alive, shared by concurrent first callers. */
    const connectionFor = async (device: Device): Promise<DeviceConnection> => {
      const existing = connections.get(device.name)
      if (existing?.alive && existing.target.key === connectionKey(device)) {
        counters.connectionsReused++
        await existing.ready
        return existing
      }
      existing?.close() // the device was edited
      const target = resolveTarget(device, options)
      if (isSshError(target)) throw target
      const connection = new DeviceConnection(device.name, target, context)
      connections.set(device.name, connection)
      await connection.ready
      return connection
    }

    /** Bridge a promise-returning step into Effect; interruption aborts the step (and kills its channel). */
    const attempt = <A>(device: string, step: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, SshError> =>
      Effect.callback<A, SshError>((resume, signal) => {
        step(signal).then(
          (value) => resume(Effect.succeed(value)),
          (error: unknown) => {
            counters.failures++
            resume(Effect.fail(isSshError(error) ? error : classifyTransportError(device, error, false)))
          },
        )
      })

    const runOverSsh = async (device: Device, script: string, timeoutMs: number, cap: number, signal: AbortSignal) => {
      const framed = frameCommand(script)
      if (framed === undefined) throw sshError(device.name, "config", "script contains a NUL byte")
      const connection = await connectionFor(device)
      connection.begin()
      try {
        const deadline = Date.now() + timeoutMs
        const shell = await connection.acquireShell(deadline, signal)
        try {
          return await shell.run(framed, { deadline, maxOutputBytes: cap, signal })
        } finally {
          connection.releaseShell(shell)
        }
      } finally {
        connection.end()
      }
    }

    const run = (device: Device, script: string, runOptions?: RunOptions): Effect.Effect<CommandResult, SshError> => {
      const timeoutMs = runOptions?.timeout !== undefined
        ? Duration.toMillis(runOptions.timeout)
        : options.commandTimeoutMs
      const cap = runOptions?.maxOutputBytes ?? options.maxOutputBytes
      const once = attempt(device.name, async (signal) => {
        const result = device.transport === "local"
          ? await runLocal(device.name, script, {
            deadline: Date.now() + timeoutMs,
            maxOutputBytes: cap,
            signal,
            onBytes: (n) => {
              counters.bytesReceived += n
            },
          })
          : await runOverSsh(device, script, timeoutMs, cap, signal)
        counters.commandsRun++
        return result
      })
      // No retry here: the pipeline owns retries, and knows whether the command may be sent twice.
      return once
    }

    const streamOverSsh = (device: Device, command: string): Stream.Stream<string, SshError> =>
      Stream.callback<string, SshError>((queue) =>
        Effect.gen(function* () {
          // A failed connect ends the stream; its consumer (the watcher) restarts it on its own schedule.
          const connection = yield* attempt(device.name, () => connectionFor(device))
          connection.begin()
          let finished = false
          const finish = () => {
            if (!finished) {
              finished = true
              connection.end()
            }
          }
          const channel = yield* Effect.acquireRelease(
            attempt(device.name, () => connection.openExec(guardStreamCommand(command))).pipe(
              Effect.tapError(() => Effect.sync(finish)),
            ),
            (channel) =>
              Effect.sync(() => {
                try {
                  // Stop the remote command too (a `while ...; echo` loop ignores the closed pipe).
                  channel.signal("TERM")
                } catch {
                  // the server may not support signals; closing the channel still ends our side
                }
                channel.close()
                finish()
              }),
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
              finish()
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

    const closeConnections = (deviceName?: string) => {
      for (const [name, connection] of [...connections]) {
        if (deviceName === undefined || name === deviceName) connection.close()
      }
    }

    yield* Effect.addFinalizer(() => Effect.sync(() => closeConnections()))

    const service: SshShape = {
      run,
      stream: (
        device,
        command,
      ) => (device.transport === "local" ? streamLocal(device, command) : streamOverSsh(device, command)),
      close: (deviceName) => Effect.sync(() => closeConnections(deviceName)),
      stats: () => ({
        ...counters,
        openConnections: [...connections.values()].filter((c) => c.isReady).length,
      }),
    }
    return service
  })

export const makeSshLayer = (options: SshOptions = {}): Layer.Layer<Ssh, never, HostKeys> =>
  Layer.effect(Ssh, makeSsh(options))

/** The Ssh service with default options; needs a HostKeys layer (the store's, or HostKeysMemory). */
export const SshLive: Layer.Layer<Ssh, never, HostKeys> = makeSshLayer()

import type { Buffer } from "node:buffer"
import { Effect } from "effect"
import type { ClientChannel } from "ssh2"
import { SshError } from "../domain/errors.ts"
import type { CommandResult } from "./Ssh.ts"
import { sshError } from "./classify.ts"
import { type FramedCommand, MarkedStream, parseExitTrailer } from "./framing.ts"

export interface ShellRunOptions {
  /** Absolute time (Date.now()) when the command must have finished. */
  readonly deadline: number
  readonly maxOutputBytes: number
}

interface Running {
  readonly stdout: MarkedStream
  readonly stderr: MarkedStream
  readonly maxOutputBytes: number
  readonly startedAt: number
  readonly resolve: (result: CommandResult) => void
  readonly reject: (error: SshError) => void
  readonly cleanup: () => void
}

/**
 * One persistent `/bin/sh` on an exec channel, running one framed command at a time.
 * A shell that timed out, was cut for size, or lost its channel is dead; the pool replaces it.
 */
export class PersistentShell {
  readonly #channel: ClientChannel
  readonly #device: string
  readonly #connectionAlive: () => boolean
  readonly #onBytes: (n: number) => void
  #dead = false
  #running: Running | undefined

  constructor(channel: ClientChannel, device: string, connectionAlive: () => boolean, onBytes: (n: number) => void) {
    this.#channel = channel
    this.#device = device
    this.#connectionAlive = connectionAlive
    this.#onBytes = onBytes
    channel.on("data", (chunk: Buffer) => this.#onData(false, chunk))
    channel.stderr.on("data", (chunk: Buffer) => this.#onData(true, chunk))
    channel.on("error", () => this.#lost())
    channel.on("close", () => this.#lost())
  }

  get dead(): boolean {
    return this.#dead
  }

  /** Close the channel; a command in flight fails with `error`. */
  destroy(error?: SshError): void {
    this.#dead = true
    const running = this.#running
    this.#running = undefined
    if (running) {
      running.cleanup()
      running.reject(error ?? sshError(this.#device, "channel_failed", "shell channel closed"))
    }
    try {
      this.#channel.close()
    } catch {
      // already gone
    }
  }

  /** Run one framed command; interrupting it destroys the shell (the host may still be running it). */
  run(command: FramedCommand, options: ShellRunOptions): Effect.Effect<CommandResult, SshError> {
    return Effect.callback<CommandResult, SshError>((resume) => {
      if (this.#dead || this.#running) {
        resume(Effect.fail(sshError(this.#device, "channel_failed", "shell channel is not available")))
        return
      }
      const startedAt = Date.now()
      const onTimeout = () =>
        this.destroy(
          sshError(this.#device, "command_timeout", `command did not finish within ${Date.now() - startedAt} ms`),
        )
      const timer = setTimeout(onTimeout, Math.max(0, options.deadline - startedAt))
      const running: Running = {
        stdout: new MarkedStream(command.marker),
        stderr: new MarkedStream(command.marker),
        maxOutputBytes: options.maxOutputBytes,
        startedAt,
        resolve: (result) => resume(Effect.succeed(result)),
        // Written to the channel from here on: the host may have run it, whatever fails next.
        reject: (e) =>
          resume(
            Effect.fail(new SshError({ device: e.device, reason: e.reason, message: e.message, commandSent: true })),
          ),
        cleanup: () => clearTimeout(timer),
      }
      this.#running = running
      this.#channel.write(command.text)
      return Effect.sync(() => {
        // Interrupted mid-command: the shell is in an unknown state, so it goes (and its channel with it).
        if (this.#running !== running) return
        this.#running = undefined
        running.cleanup()
        this.destroy()
      })
    })
  }

  #onData(isStderr: boolean, chunk: Buffer): void {
    this.#onBytes(chunk.length)
    const running = this.#running
    if (!running) return // stray output of a background job from an earlier command
    ;(isStderr ? running.stderr : running.stdout).push(chunk)
    const { stdout, stderr } = running
    const exitCode = stdout.markerSeen ? parseExitTrailer(stdout.afterMarker()) : undefined
    if (exitCode !== undefined && stderr.markerSeen) {
      this.#finish(running, exitCode, false)
    } else if (stdout.outputBytes + stderr.outputBytes > running.maxOutputBytes) {
      // Stop reading: the rest of the output is unwanted and the shell is mid-command, so it goes.
      this.#finish(running, -1, true)
    }
  }

  #finish(running: Running, exitCode: number, kill: boolean): void {
    this.#running = undefined
    running.cleanup()
    const { stdout, stderr, maxOutputBytes } = running
    const bytes = stdout.outputBytes + stderr.outputBytes
    const out = stdout.output(maxOutputBytes)
    const err = stderr.output(maxOutputBytes - out.length)
    if (kill) this.destroy()
    running.resolve({
      stdout: out.toString("utf8"),
      stderr: err.toString("utf8"),
      exitCode,
      durationMs: Date.now() - running.startedAt,
      bytes,
      truncated: bytes > maxOutputBytes,
    })
  }

  #lost(): void {
    if (this.#dead && !this.#running) return
    this.#dead = true
    // The connection's own close handler may not have run yet; look once the event loop settles.
    setImmediate(() => {
      if (!this.#running) return
      const reason = this.#connectionAlive() ? "channel_failed" : "connection_lost"
      this.destroy(
        sshError(
          this.#device,
          reason,
          reason === "connection_lost" ? "connection closed during command" : "shell channel closed",
        ),
      )
    })
  }
}

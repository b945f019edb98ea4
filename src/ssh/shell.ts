import type { Buffer } from "node:buffer"
import type { ClientChannel } from "ssh2"
import { SshError } from "../domain/errors.ts"
import type { CommandResult } from "./Ssh.ts"
import { sshError } from "./classify.ts"
import { type FramedCommand, MarkedStream, parseExitTrailer } from "./framing.ts"

export interface ShellRunOptions {
  /** Absolute time (Date.now()) when the command must have finished. */
  readonly deadline: number
  readonly maxOutputBytes: number
  readonly signal?: AbortSignal | undefined
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

  run(command: FramedCommand, options: ShellRunOptions): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve, reject) => {
      if (this.#dead || this.#running) {
        reject(sshError(this.#device, "channel_failed", "shell channel is not available"))
        return
      }
      const onTimeout = () =>
        this.destroy(
          sshError(this.#device, "command_timeout", `command did not finish within ${Date.now() - startedAt} ms`),
        )
      const onAbort = () => this.destroy(sshError(this.#device, "command_timeout", "command interrupted"))
      const startedAt = Date.now()
      const timer = setTimeout(onTimeout, Math.max(0, options.deadline - startedAt))
      options.signal?.addEventListener("abort", onAbort, { once: true })
      this.#running = {
        stdout: new MarkedStream(command.marker),
        stderr: new MarkedStream(command.marker),
        maxOutputBytes: options.maxOutputBytes,
        startedAt,
        resolve,
        // Written to the channel from here on: the host may have run it, whatever fails next.
        reject: (e) =>
          reject(new SshError({ device: e.device, reason: e.reason, message: e.message, commandSent: true })),
        cleanup: () => {
          clearTimeout(timer)
          options.signal?.removeEventListener("abort", onAbort)
        },
      }
      this.#channel.write(command.text)
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

import { Buffer } from "node:buffer"
import { type ChildProcess, spawn } from "node:child_process"
import os from "node:os"
import { SshError } from "../domain/errors.ts"
import type { CommandResult } from "./Ssh.ts"
import { sshError } from "./classify.ts"

/** The local transport: the script runs under `/bin/sh -c` on this machine, stdin closed. */

export interface LocalRunOptions {
  readonly deadline: number
  readonly maxOutputBytes: number
  readonly signal?: AbortSignal | undefined
  readonly onBytes?: ((n: number) => void) | undefined
}

/** The script runs in its own process group so a timeout kills its children too. */
export const spawnLocal = (command: string): ChildProcess =>
  spawn("/bin/sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"], detached: true })

export const killGroup = (child: ChildProcess): void => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    try {
      child.kill("SIGKILL")
    } catch {
      // already gone
    }
  }
}

const signalExitCode = (signal: NodeJS.Signals | null): number => {
  const n = signal === null ? undefined : os.constants.signals[signal]
  return n === undefined ? -1 : 128 + n
}

export const runLocal = (device: string, script: string, options: LocalRunOptions): Promise<CommandResult> =>
  new Promise<CommandResult>((resolve, reject) => {
    if (script.includes("\u0000")) return reject(sshError(device, "config", "script contains a NUL byte"))
    const startedAt = Date.now()
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    let bytes = 0
    let settled = false
    const child = spawnLocal(script)
    const settle = (outcome: { result: CommandResult } | { error: SshError }) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener("abort", onAbort)
      if ("result" in outcome) resolve(outcome.result)
      else {
        // /bin/sh started: the script may have run, whatever failed after.
        const e = outcome.error
        reject(
          new SshError({
            device: e.device,
            reason: e.reason,
            message: e.message,
            commandSent: child.pid !== undefined,
          }),
        )
      }
    }
    const result = (exitCode: number): CommandResult => {
      const cap = options.maxOutputBytes
      const stdout = Buffer.concat(out).subarray(0, cap)
      const stderr = Buffer.concat(err).subarray(0, cap - stdout.length)
      return {
        stdout: stdout.toString("utf8"),
        stderr: stderr.toString("utf8"),
        exitCode,
        durationMs: Date.now() - startedAt,
        bytes,
        truncated: bytes > cap,
      }
    }
    const onTimeout = () => {
      killGroup(child)
      settle({
        error: sshError(device, "command_timeout", `command did not finish within ${Date.now() - startedAt} ms`),
      })
    }
    const onAbort = () => {
      killGroup(child)
      settle({ error: sshError(device, "command_timeout", "command interrupted") })
    }
    const timer = setTimeout(onTimeout, Math.max(0, options.deadline - startedAt))
    options.signal?.addEventListener("abort", onAbort, { once: true })
    const onData = (into: Array<Buffer>) => (chunk: Buffer) => {
      if (settled) return
      options.onBytes?.(chunk.length)
      into.push(chunk)
      bytes += chunk.length
      if (bytes > options.maxOutputBytes) {
        killGroup(child)
        settle({ result: result(-1) })
      }
    }
    child.stdout?.on("data", onData(out))
    child.stderr?.on("data", onData(err))
    child.on("error", (e) => settle({ error: sshError(device, "channel_failed", `cannot run /bin/sh: ${e.message}`) }))
    child.on("close", (code, signal) => settle({ result: result(code ?? signalExitCode(signal)) }))
  })

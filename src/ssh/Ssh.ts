import { Context, type Duration, type Effect, type Stream } from "effect"
import type { Device } from "../domain/device.ts"
import type { SshError } from "../domain/errors.ts"

import type { CommandResult } from "../domain/command.ts"

export type { CommandResult } from "../domain/command.ts"

export interface RunOptions {
  /** Per-command timeout; a timed-out shell channel is destroyed and replaced. */
  readonly timeout?: Duration.Input | undefined
  /** Output cap; past it the command is stopped and the result marked truncated. */
  readonly maxOutputBytes?: number | undefined
}

export interface SshStats {
  readonly connectionsOpened: number
  readonly connectionsReused: number
  readonly commandsRun: number
  readonly bytesReceived: number
  readonly failures: number
  readonly openConnections: number
}

export interface SshShape {
  /** Run a short script on a persistent shell channel of the device's one connection. */
  readonly run: (device: Device, script: string, options?: RunOptions) => Effect.Effect<CommandResult, SshError>
  /** Run a long or streaming command on an exec channel of the same connection; emits stdout lines. */
  readonly stream: (device: Device, command: string) => Stream.Stream<string, SshError>
  /** Close one device's connection (or all), e.g. after a device is edited or removed. */
  readonly close: (deviceName?: string) => Effect.Effect<void>
  readonly stats: () => SshStats
}

/** The only way to reach a host. Dispatches on device.transport ("ssh" or "local"). */
export class Ssh extends Context.Service<Ssh, SshShape>()("infrastructor/Ssh") {}

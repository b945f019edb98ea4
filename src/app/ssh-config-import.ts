import { readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect } from "effect"
import type { DeviceInput } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import {
  parseProxyJump,
  parseSshConfig,
  resolveSshHostDetail,
  type SshConfigBlock,
  type SshConfigIo,
} from "../ssh/ssh-config.ts"
import { fileSystemIo } from "../ssh/target.ts"

/** Host aliases the blocks name literally (patterns with *, ? or ! are templates, not hosts). */
const aliasesOf = (blocks: ReadonlyArray<SshConfigBlock>): Array<string> => {
  const aliases = new Set<string>()
  for (const block of blocks) {
    if (block.unsupported) continue
    for (const p of block.patterns) if (!/[*?!]/.test(p)) aliases.add(p)
  }
  return [...aliases]
}

/** Host aliases a config names literally (Includes not followed). */
export const sshConfigAliases = (text: string): Array<string> => aliasesOf(parseSshConfig(text))

const localUser = (): string => {
  try {
    return os.userInfo().username
  } catch {
    return process.env["USER"] ?? "root"
  }
}

export interface SshConfigSource {
  /** Follow Include through this (only for the server's own config: never for text sent by a caller). */
  readonly io?: SshConfigIo | undefined
  /** Name of the file in warnings. */
  readonly file?: string | undefined
  readonly home?: string | undefined
  readonly localUser?: string | undefined
}

/**
 * Devices an ssh config describes: alias → device input with what applied (HostName, User, Port,
 * the first IdentityFile, ProxyJump), the problems that make it unusable, and per-host warnings
 * for what applied but is not supported here. Wildcard hosts are skipped.
 */
export const devicesFromSshConfig = (text: string, only?: ReadonlyArray<string>, source: SshConfigSource = {}) => {
  const home = source.home ?? os.homedir()
  const blocks = parseSshConfig(text, {
    file: source.file,
    io: source.io,
    home,
    baseDir: path.join(home, ".ssh"),
  })
  const env = { home, localUser: source.localUser ?? localUser() }
  const skipped: Array<{ host: string; reason: string }> = []
  for (const block of blocks) {
    for (const p of block.patterns) if (/[*?!]/.test(p)) skipped.push({ host: p, reason: "wildcard pattern" })
  }
  const wanted = aliasesOf(blocks).filter((a) => only === undefined || only.includes(a))
  const inputs = wanted.map((alias) => {
    const r = resolveSshHostDetail(blocks, alias, env)
    const problems = [...r.problems]
    const warnings = source.io === undefined
      ? r.warnings.map((w) => w.replace("Include is not followed here", "Include is not followed for config text"))
      : [...r.warnings]
    if (r.identityFiles.length > 1) {
      warnings.push(
        `only the first IdentityFile is kept (${r.identityFiles[0]}); ignored: ${r.identityFiles.slice(1).join(", ")}`,
      )
    }
    if (r.proxyJump !== undefined) {
      const hops = parseProxyJump(r.proxyJump)
      if (typeof hops === "string") problems.push(hops)
    }
    return {
      input: {
        name: alias,
        host: r.hostName,
        port: r.port ?? null,
        username: r.user ?? null,
        privateKeyPath: r.identityFiles[0] ?? null,
        transport: "ssh" as const,
        proxyJump: r.proxyJump ?? null,
      } satisfies DeviceInput,
      problems,
      warnings,
    }
  })
  return { inputs, skipped }
}

/** The server user's own ~/.ssh/config, with its Includes followed. */
export const readOwnSshConfig: Effect.Effect<{ text: string; source: SshConfigSource }, ValidationError> = Effect
  .try({
    try: () => {
      const file = path.join(os.homedir(), ".ssh", "config")
      return { text: readFileSync(file, "utf8"), source: { io: fileSystemIo, file } }
    },
    catch: (e) => new ValidationError({ message: `cannot read ~/.ssh/config: ${(e as Error).message}` }),
  })

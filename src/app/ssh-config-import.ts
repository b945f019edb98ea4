import { readFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Effect } from "effect"
import type { DeviceInput } from "../domain/device.ts"
import { ValidationError } from "../domain/errors.ts"
import { parseSshConfig, resolveSshHost } from "../ssh/ssh-config.ts"

/** Host aliases a config names literally (patterns with *, ? or ! are templates, not hosts). */
export const sshConfigAliases = (text: string): Array<string> => {
  const aliases = new Set<string>()
  for (const block of parseSshConfig(text)) {
    if (block.unsupported) continue
    for (const p of block.patterns) if (!/[*?!]/.test(p)) aliases.add(p)
  }
  return [...aliases]
}

const localUser = (): string => {
  try {
    return os.userInfo().username
  } catch {
    return process.env["USER"] ?? "root"
  }
}

/** Devices an ssh config describes: alias → device input, wildcard hosts skipped. */
export const devicesFromSshConfig = (text: string, only?: ReadonlyArray<string>) => {
  const blocks = parseSshConfig(text)
  const env = { home: os.homedir(), localUser: localUser() }
  const skipped: Array<{ host: string; reason: string }> = []
  for (const block of blocks) {
    for (const p of block.patterns) if (/[*?!]/.test(p)) skipped.push({ host: p, reason: "wildcard pattern" })
  }
  const wanted = sshConfigAliases(text).filter((a) => only === undefined || only.includes(a))
  const inputs = wanted.map((alias) => {
    const r = resolveSshHost(blocks, alias, env)
    return {
      input: {
        name: alias,
        host: r.hostName,
        port: r.port ?? null,
        username: r.user ?? null,
        privateKeyPath: r.identityFiles[0] ?? null,
        transport: "ssh" as const,
      } satisfies DeviceInput,
      problems: r.problems,
    }
  })
  return { inputs, skipped }
}

/** The server user's own ~/.ssh/config. */
export const readOwnSshConfig: Effect.Effect<string, ValidationError> = Effect.try({
  try: () => readFileSync(path.join(os.homedir(), ".ssh", "config"), "utf8"),
  catch: (e) => new ValidationError({ message: `cannot read ~/.ssh/config: ${(e as Error).message}` }),
})

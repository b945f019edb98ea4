import { spawn, spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
/** Deno runs the .ts sources; Node runs the compiled tree the test itself was compiled into. */
const isDeno = "Deno" in globalThis
const entry = path.resolve(here, "../../src/cli/bin" + (isDeno ? ".ts" : ".js"))
const argsFor = (args: ReadonlyArray<string>) => (isDeno ? ["run", "-A", entry, ...args] : [entry, ...args])

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>): CliResult => {
  const r = spawnSync(process.execPath, argsFor(args), {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

export const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  spawn(process.execPath, argsFor(args), { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })

/**
 * Static imports reachable from a module, relative ones followed, packages and built-ins listed
 * (dynamic import() is how the CLI defers heavy modules, so it is not followed).
 */
export const staticImports = (file: string, seen = new Set<string>()): Set<string> => {
  if (seen.has(file)) return seen
  seen.add(file)
  const text = readFileSync(file, "utf8")
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^;"']*?\sfrom\s*)?["']([^"']+)["']/gm)) {
    const spec = m[1] as string
    if (spec.startsWith(".")) staticImports(path.resolve(path.dirname(file), spec), seen)
    else seen.add(spec)
  }
  return seen
}

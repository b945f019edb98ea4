import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import process from "node:process"
import { Buffer } from "node:buffer"
import type { CommandResult } from "../../../src/ssh/Ssh.ts"

export interface ShimRunOptions {
  /**
   * Hermetic PATH: only the shims plus links to these host tools (found on the current PATH).
   * Lets a test take a tool away (journalctl, virsh) on a machine that has it.
   */
  readonly hostTools?: ReadonlyArray<string>
}

const findOnPath = (tool: string): string | undefined =>
  (process.env["PATH"] ?? "/usr/bin:/bin")
    .split(":")
    .map((dir) => path.join(dir, tool))
    .find((file) => existsSync(file))

/**
 * Run a data type's script under /bin/sh with the shims first on PATH, as a local host would.
 * Returns what the Ssh service would: the pipeline sees no difference.
 */
export const runScriptWithShims = (
  shims: Record<string, string>,
  script: string,
  options: ShimRunOptions = {},
): CommandResult => {
  const dir = mkdtempSync(path.join(tmpdir(), "infra-shims-"))
  try {
    for (const [tool, body] of Object.entries(shims)) {
      const file = path.join(dir, tool)
      writeFileSync(file, `${body}\n`)
      chmodSync(file, 0o755)
    }
    for (const tool of options.hostTools ?? []) {
      const found = findOnPath(tool)
      if (found !== undefined && !(tool in shims)) symlinkSync(found, path.join(dir, tool))
    }
    const pathVar = options.hostTools === undefined ? `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` : dir
    const started = Date.now()
    const out = spawnSync("/bin/sh", ["-c", script], {
      env: { ...process.env, PATH: pathVar },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    })
    const stdout = out.stdout ?? ""
    const stderr = out.stderr ?? ""
    return {
      stdout,
      stderr,
      exitCode: out.status ?? -1,
      durationMs: Date.now() - started,
      bytes: Buffer.byteLength(stdout) + Buffer.byteLength(stderr),
      truncated: false,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

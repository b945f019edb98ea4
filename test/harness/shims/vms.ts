import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import process from "node:process"
import { Buffer } from "node:buffer"
import { shq } from "../../../src/shell/quote.ts"
import type { CommandResult } from "../../../src/ssh/Ssh.ts"
import { fixturePath } from "../fixtures.ts"

const vm = (file: string): string => shq(fixturePath("vms", file))

const LIST = vm("libvirt__virsh-list_3-running.txt")
const DOMINFO = vm("libvirt__virsh-dominfo_fc4.txt")
const LIST_AND_NODEINFO = vm("libvirt__virsh-list_and_nodeinfo.txt")
const QM_LIST = vm("it-stuff__proxmox-8.3__qm-list.txt")

/**
 * Fake hypervisor tools printing real recorded outputs, chosen by arguments the way the
 * vm_status script calls them. The libvirt fixtures come from libvirt's own test driver:
 * `list` (fv0, fc4, fc5), `dominfo` for fc4 only (other domains fail like an undefined
 * domain would), and `nodeinfo` (the part of list_and_nodeinfo after its blank line).
 * There is no recorded `pct list`: pct behaves like a node without containers (no output).
 */
export const vmStatusShims: Record<string, string> = {
  virsh: [
    "#!/bin/sh",
    'if [ "$1" = "-c" ]; then shift 2; fi',
    'case "$*" in',
    `  "list --all") cat ${LIST}; echo ;;`,
    // --name prints one name per line, then a blank line.
    `  "list --all --name") awk 'NR > 2 && NF { print $2 }' ${LIST}; echo ;;`,
    `  "dominfo --domain "*) if [ "$3" = "$(sed -n 's/^Name: *//p' ${DOMINFO})" ]; then cat ${DOMINFO}; echo; ` +
    `else echo "error: failed to get domain '$3'" >&2; exit 1; fi ;;`,
    `  "nodeinfo") sed '1,/^$/d' ${LIST_AND_NODEINFO} ;;`,
    '  *) echo "error: unknown command or option: $*" >&2; exit 1 ;;',
    "esac",
  ].join("\n"),
  qm: [
    "#!/bin/sh",
    'case "$*" in',
    `  "list") cat ${QM_LIST} ;;`,
    `  *) echo "unknown command 'qm $*'" >&2; exit 255 ;;`,
    "esac",
  ].join("\n"),
  pct: ["#!/bin/sh", 'case "$*" in', '  "list") ;;', `  *) echo "unknown command 'pct $*'" >&2; exit 255 ;;`, "esac"]
    .join("\n"),
}

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

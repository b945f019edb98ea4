import { Schema } from "effect"

/** The data type that probes a device (src/collectors/capabilities): its result lands on the device row. */
export const CAPABILITIES_DATA_TYPE = "capabilities"

/**
 * Whether a device's stored capabilities come from a probe (they list the tools). Until then the
 * pipeline probes on the first read that needs tools (src/pipeline/first-contact.ts).
 */
export const isProbed = (caps: { readonly tools?: unknown } | null | undefined): boolean =>
  caps !== null && caps !== undefined && typeof caps.tools === "object" && caps.tools !== null

/** Tools the probe looks for with `command -v` (the names DataTypeSpec.requires may use). */
export const PROBED_TOOLS = [
  "docker",
  "podman",
  "zpool",
  "zfs",
  "smartctl",
  "lsblk",
  "virsh",
  "qm",
  "pct",
  "journalctl",
  "systemctl",
  "inotifywait",
  "ip",
  "ss",
  "nginx",
] as const

const Str = Schema.NullOr(Schema.String)

export const CapabilitiesSchema = Schema.Struct({
  os: Schema.Struct({ id: Str, version_id: Str, pretty_name: Str }),
  /** `uname -s -r`, e.g. "Linux 6.1.0-18-amd64". */
  kernel: Str,
  arch: Str,
  hostname: Str,
  cpu: Schema.Struct({ model: Str, cores: Schema.NullOr(Schema.Finite) }),
  memory_bytes: Schema.NullOr(Schema.Finite),
  virtualization: Schema.Struct({
    kind: Schema.Literals(["none", "vm", "container", "unknown"]),
    /** systemd-detect-virt's id (kvm, lxc, docker, ...) when known. */
    type: Str,
    source: Schema.Literals(["systemd-detect-virt", "marker-file", "cpuinfo", "none"]),
  }),
  /** "systemd" when booted with systemd, else PID 1's name. */
  init: Schema.String,
  tools: Schema.Record(Schema.String, Schema.Boolean),
  /** Commands can run as root without a password: the user is root, or `sudo -n true` succeeds. */
  sudo: Schema.Boolean,
  root: Schema.Boolean,
  compose_files: Schema.Array(Schema.String),
  nginx_dirs: Schema.Array(Schema.String),
})
export type Capabilities = typeof CapabilitiesSchema.Type

// --- matching a data type's requirements ---------------------------------------------------------

/**
 * Alias rules, explicit: a requirement named on the left is met by any tool on the right.
 * - docker: podman provides a docker-compatible CLI and API.
 * - virsh: vm_status reads libvirt, Proxmox QEMU or Proxmox LXC; any one of the tools will do
 *   (the same rule as src/pipeline/support.ts).
 * A requirement may also list alternatives itself: "virsh|qm|pct" is met by any one of them.
 * "sudo" is met by the probe's sudo flag (root, or passwordless sudo), not by a tool.
 */
export const TOOL_ALIASES: Readonly<Record<string, ReadonlyArray<string>>> = {
  docker: ["docker", "podman"],
  virsh: ["virsh", "qm", "pct"],
}

const PROBED: ReadonlySet<string> = new Set<string>([...PROBED_TOOLS, "sudo"])

export const supportsDataType = (
  caps: Capabilities,
  requires: ReadonlyArray<string>,
): { readonly ok: true } | { readonly ok: false; readonly reason: string } => {
  for (const requirement of requires) {
    const alternatives = requirement
      .split("|")
      .map((r) => r.trim())
      .filter((r) => r !== "")
      .flatMap((r) => TOOL_ALIASES[r] ?? [r])
    const unknown = alternatives.filter((t) => !PROBED.has(t))
    const met = alternatives.some((t) => (t === "sudo" ? caps.sudo : caps.tools[t] === true))
    if (met) continue
    if (alternatives.length > 0 && unknown.length === alternatives.length) {
      return { ok: false, reason: `requires '${requirement}', which the capability probe does not check` }
    }
    const names = alternatives.join(" or ")
    return {
      ok: false,
      reason: alternatives.includes("sudo") && alternatives.length === 1
        ? "requires root or passwordless sudo (sudo -n true failed)"
        : `requires ${names}: not found on the device`,
    }
  }
  return { ok: true }
}

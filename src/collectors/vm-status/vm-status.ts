import { AS_ROOT_PRELUDE } from "../shared/as-root.ts"
import { transportRetry } from "../../domain/schedules.ts"
import { section } from "../shared/sections.ts"
import { parseVmStatus, VM_SECTIONS as S, vmKey, VmStatus } from "./parse-vm-status.ts"
import { DOMINFO_RC } from "./parse/virsh.ts"
import { type DataTypeSpec, noParams } from "../../pipeline/DataType.ts"

/** Domains whose dominfo is read per collection; more are listed but not enriched. */
const MAX_DOMINFO = 500

/**
 * One round trip, POSIX sh. Runs in a subshell because the shell channel may be reused
 * (PATH, LC_ALL and helper functions must not leak). qm/pct need root: as non-root they go
 * through `sudo -n` with their absolute path (works with sudoers rules naming the binary);
 * without passwordless sudo they run as-is and report their own permission error.
 * virsh as non-root would default to qemu:///session, so it is pointed at qemu:///system
 * unless LIBVIRT_DEFAULT_URI says otherwise. A missing tool gives exit 127 in its section.
 */
export const vmStatusScript = (): string =>
  [
    "(",
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export LC_ALL=C',
    ...AS_ROOT_PRELUDE,
    '_virsh() { if [ "$_uid" != 0 ] && [ -z "${LIBVIRT_DEFAULT_URI:-}" ]; then virsh -c qemu:///system "$@"; else virsh "$@"; fi; }',
    section(S.virshList, "_virsh list --all"),
    section(
      S.virshDominfo,
      `if command -v virsh >/dev/null 2>&1; then _virsh list --all --name | head -n ${MAX_DOMINFO} | ` +
        `while IFS= read -r d; do [ -n "$d" ] || continue; _virsh dominfo --domain "$d" </dev/null; ` +
        `printf '${DOMINFO_RC} %s\\n' "$?"; done; fi`,
    ),
    section(S.virshNodeinfo, "_virsh nodeinfo"),
    section(S.qmList, 'if q=$(command -v qm); then _asroot "$q" list; else (exit 127); fi'),
    section(S.pctList, 'if p=$(command -v pct); then _asroot "$p" list; else (exit 127); fi'),
    ")",
  ].join("\n")

export const vmStatus: DataTypeSpec<VmStatus> = {
  name: "vm_status",
  pollable: true,
  mcpTool: {
    name: "list_vms",
    title: "List VMs",
    description:
      "Virtual machines and LXC containers from libvirt (virsh) and Proxmox (qm, pct): state, vCPUs, memory, autostart.",
  },
  params: noParams,
  description: "Virtual machines and containers from libvirt (virsh list + dominfo) and Proxmox (qm list, pct list): " +
    "normalised state, vCPUs, memory, CPU time, autostart, persistence. Hypervisors that are absent are reported as missing.",
  output: VmStatus,
  table: "vm_status",
  ttlSeconds: 60,
  timeout: "30 seconds",
  retry: transportRetry,
  // "virsh" stands for any hypervisor tool: virsh, qm or pct (alias in src/pipeline/support.ts and supportsDataType).
  requires: ["virsh"],
  script: () => vmStatusScript(),
  parse: (result, params) => parseVmStatus(result, params),
  toRows: (s) =>
    s.vms.map((vm) => ({
      vm_id: vmKey(vm),
      name: vm.name,
      hypervisor: vm.hypervisor,
      state: vm.state,
      vcpus: vm.vcpus,
      memory_bytes: vm.memory_bytes,
      data: vm,
    })),
}

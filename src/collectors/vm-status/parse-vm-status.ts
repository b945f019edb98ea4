import { Result, Schema } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { inSection, type Section, splitSections } from "../shared/sections.ts"
import { normaliseState, VM_STATUS, vmFail } from "./parse/common.ts"
import { parsePctList, parseQmList } from "./parse/proxmox.ts"
import { parseDominfoBlocks, parseVirshList, parseVirshNodeinfo, type VirshDominfo } from "./parse/virsh.ts"

export { parsePctList, parsePvesmStatus, parseQmList } from "./parse/proxmox.ts"
export { parseDominfoBlocks, parseVirshDominfo, parseVirshList, parseVirshNodeinfo } from "./parse/virsh.ts"

/** Section names shared by the script builder (registry) and this parser. */
export const VM_SECTIONS = {
  virshList: "virsh_list",
  virshDominfo: "virsh_dominfo",
  virshNodeinfo: "virsh_nodeinfo",
  qmList: "qm_list",
  pctList: "pct_list",
} as const

const Num = Schema.NullOr(Schema.Finite)
const Str = Schema.NullOr(Schema.String)

export const Vm = Schema.Struct({
  hypervisor: Schema.Literals(["libvirt", "proxmox-qemu", "proxmox-lxc"]),
  /** Hypervisor's own id: libvirt runtime domain id (null when off), Proxmox VMID. */
  id: Str,
  name: Schema.String,
  uuid: Str,
  state: Schema.Literals(["running", "stopped", "paused", "other"]),
  state_raw: Schema.String,
  vcpus: Num,
  memory_bytes: Num,
  max_memory_bytes: Num,
  cpu_time_seconds: Num,
  autostart: Schema.NullOr(Schema.Boolean),
  persistent: Schema.NullOr(Schema.Boolean),
  pid: Num,
  lock: Str,
  bootdisk_bytes: Num,
})
export type Vm = typeof Vm.Type

/** ok: tool ran; missing: not installed (exit 127); failed: installed but errored (no daemon, no permission). */
export const HypervisorStatus = Schema.Struct({
  status: Schema.Literals(["ok", "missing", "failed"]),
  exit_code: Num,
})
export type HypervisorStatus = typeof HypervisorStatus.Type

export const NodeInfo = Schema.Struct({
  cpu_model: Str,
  cpus: Schema.Finite,
  cpu_mhz: Num,
  sockets: Num,
  cores_per_socket: Num,
  threads_per_core: Num,
  numa_cells: Num,
  memory_bytes: Schema.Finite,
})

export const VmStatus = Schema.Struct({
  hypervisors: Schema.Struct({
    libvirt: HypervisorStatus,
    proxmox_qemu: HypervisorStatus,
    proxmox_lxc: HypervisorStatus,
  }),
  vms: Schema.Array(Vm),
  /** libvirt's view of the host (virsh nodeinfo), when libvirt answered. */
  node: Schema.NullOr(NodeInfo),
})
export type VmStatus = typeof VmStatus.Type

const statusOf = (s: Section): HypervisorStatus => ({
  status: s.exitCode === 0 ? "ok" : s.exitCode === 127 ? "missing" : "failed",
  exit_code: s.exitCode ?? null,
})

const blankVm = {
  uuid: null,
  vcpus: null,
  memory_bytes: null,
  max_memory_bytes: null,
  cpu_time_seconds: null,
  autostart: null,
  persistent: null,
  pid: null,
  lock: null,
  bootdisk_bytes: null,
} as const

const libvirtVms = (listBody: string, dominfoBody: string): Result.Result<Array<Vm>, ParseError> =>
  Result.gen(function* () {
    const rows = yield* Result.mapError(parseVirshList(listBody), inSection(VM_SECTIONS.virshList))
    const infos = yield* Result.mapError(parseDominfoBlocks(dominfoBody), inSection(VM_SECTIONS.virshDominfo))
    const byName = new Map<string, VirshDominfo>(infos.map((d) => [d.name, d]))
    return rows.map((row): Vm => {
      const info = byName.get(row.name)
      return {
        ...blankVm,
        hypervisor: "libvirt",
        id: row.id,
        name: row.name,
        state: normaliseState(row.state_raw),
        state_raw: row.state_raw,
        ...(info === undefined ? {} : {
          uuid: info.uuid,
          vcpus: info.vcpus,
          memory_bytes: info.memory_bytes,
          max_memory_bytes: info.max_memory_bytes,
          cpu_time_seconds: info.cpu_time_seconds,
          autostart: info.autostart,
          persistent: info.persistent,
        }),
      }
    })
  })

const need = (sections: Map<string, Section>, name: string): Result.Result<Section, ParseError> => {
  const s = sections.get(name)
  return s === undefined ? vmFail(`section '${name}' missing from command output`, name) : Result.succeed(s)
}

/** Parse the vm_status script's output (libvirt, Proxmox QEMU, Proxmox LXC sections). */
export const parseVmStatus = (result: CommandResult, _params: Params = {}): Result.Result<VmStatus, ParseError> =>
  Result.gen(function* () {
    if (result.truncated) yield* vmFail(`output truncated after ${result.bytes} bytes`, "stdout")
    const sections = splitSections(result.stdout)
    const list = yield* need(sections, VM_SECTIONS.virshList)
    const dominfo = yield* need(sections, VM_SECTIONS.virshDominfo)
    const nodeinfo = yield* need(sections, VM_SECTIONS.virshNodeinfo)
    const qm = yield* need(sections, VM_SECTIONS.qmList)
    const pct = yield* need(sections, VM_SECTIONS.pctList)

    const vms: Array<Vm> = []
    let node: VmStatus["node"] = null
    if (list.exitCode === 0) {
      vms.push(...(yield* libvirtVms(list.body, dominfo.body)))
      if (nodeinfo.exitCode === 0) {
        node = yield* Result.mapError(parseVirshNodeinfo(nodeinfo.body), inSection(VM_SECTIONS.virshNodeinfo))
      }
    }
    if (qm.exitCode === 0) {
      for (const r of yield* Result.mapError(parseQmList(qm.body), inSection(VM_SECTIONS.qmList))) {
        // qm list's MEM(MB) is the configured memory: both the allocation and its ceiling.
        vms.push({
          ...blankVm,
          hypervisor: "proxmox-qemu",
          id: String(r.vmid),
          name: r.name,
          state: normaliseState(r.status),
          state_raw: r.status,
          memory_bytes: r.memory_bytes,
          max_memory_bytes: r.memory_bytes,
          pid: r.pid === 0 ? null : r.pid,
          bootdisk_bytes: r.bootdisk_bytes,
        })
      }
    }
    if (pct.exitCode === 0) {
      for (const r of yield* Result.mapError(parsePctList(pct.body), inSection(VM_SECTIONS.pctList))) {
        vms.push({
          ...blankVm,
          hypervisor: "proxmox-lxc",
          id: String(r.vmid),
          name: r.name,
          state: normaliseState(r.status),
          state_raw: r.status,
          lock: r.lock,
        })
      }
    }
    const value = {
      hypervisors: { libvirt: statusOf(list), proxmox_qemu: statusOf(qm), proxmox_lxc: statusOf(pct) },
      vms,
      node,
    }
    return yield* Result.mapError(
      Schema.decodeUnknownResult(VmStatus)(value),
      (e) =>
        new ParseError({ dataType: VM_STATUS, message: `vm_status failed validation: ${e.message}`, at: "schema" }),
    )
  })

/** Stable per-host key for a VM: Proxmox VMID, else libvirt UUID, else name (libvirt ids change on restart). */
export const vmKey = (vm: Vm): string => (vm.hypervisor === "libvirt" ? (vm.uuid ?? vm.name) : (vm.id ?? vm.name))

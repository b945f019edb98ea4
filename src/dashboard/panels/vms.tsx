/** Virtual machines and LXC containers from libvirt and Proxmox. */
import { Notice } from "../kit/layout.tsx"
import { bytes, count } from "./frame.tsx"
import type { VmStatus } from "./types.ts"

const HYPERVISOR: Record<string, string> = {
  libvirt: "libvirt",
  "proxmox-qemu": "Proxmox VM",
  "proxmox-lxc": "Proxmox LXC",
}

const stateClass = (s: string) => (s === "running" ? "ok" : s === "paused" || s === "other" ? "warn" : "muted")

/** Each hypervisor that is installed but did not answer (no daemon, no permission). */
const failures = (data: VmStatus): Array<string> =>
  ([["libvirt (virsh)", data.hypervisors.libvirt], ["Proxmox qm", data.hypervisors.proxmox_qemu], [
    "Proxmox pct",
    data.hypervisors.proxmox_lxc,
  ]] as const)
    .filter(([, h]) => h.status === "failed")
    .map(([name, h]) => `${name} exited with status ${h.exit_code ?? "unknown"}`)

export const VmsPanel = ({ data }: { data: VmStatus }) => {
  const h = data.hypervisors
  const failed = failures(data)
  if (h.libvirt.status === "missing" && h.proxmox_qemu.status === "missing" && h.proxmox_lxc.status === "missing") {
    return <Notice kind="empty" title="No VMs (virsh/qm not installed on this host)" />
  }
  return (
    <div class="vms">
      {failed.length === 0
        ? null
        : <Notice kind="error" title="A hypervisor did not answer" detail={failed.join("; ")} />}
      {data.vms.length === 0
        ? <Notice kind="empty" title="No virtual machines defined on this host" />
        : (
          <div class="table-wrap">
            <table class="panel-table vm-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Hypervisor</th>
                  <th scope="col" class="num">vCPUs</th>
                  <th scope="col" class="num">Memory</th>
                  <th scope="col">Autostart</th>
                </tr>
              </thead>
              <tbody>
                {data.vms.map((vm) => (
                  <tr key={`${vm.hypervisor}:${vm.id ?? ""}:${vm.name}`} data-vm={vm.name} data-state={vm.state}>
                    <th scope="row" data-label="Name">
                      {vm.name}
                      {vm.id === null ? null : <span class="muted small aside">#{vm.id}</span>}
                    </th>
                    <td data-label="State">
                      <span class={`pill pill-${stateClass(vm.state)}`}>{vm.state}</span>
                      {vm.state_raw === vm.state ? null : <span class="muted small aside">{vm.state_raw}</span>}
                    </td>
                    <td data-label="Hypervisor">{HYPERVISOR[vm.hypervisor] ?? vm.hypervisor}</td>
                    <td data-label="vCPUs" class="num">{count(vm.vcpus)}</td>
                    <td data-label="Memory" class="num">{bytes(vm.memory_bytes)}</td>
                    <td data-label="Autostart">{vm.autostart === null ? "–" : vm.autostart ? "yes" : "no"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </div>
  )
}

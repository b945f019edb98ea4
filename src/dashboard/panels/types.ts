/**
 * The parts of each data type's output the panels show, mirroring the output Schemas in
 * src/collectors/<type> (the dashboard may not import them: it reads through src/app only).
 */

export interface AtaAttribute {
  readonly id: number
  readonly name: string | null
  readonly value: number | null
  readonly worst: number | null
  readonly thresh: number | null
  readonly when_failed: string | null
  readonly prefailure: boolean | null
  readonly raw_value: number | null
  readonly raw_string: string | null
}

/** drive_health: DiskHealthSchema. */
export interface Disk {
  readonly device_path: string
  readonly status: string
  readonly reasons: ReadonlyArray<string>
  readonly message: string | null
  readonly protocol: string | null
  readonly transport: string | null
  readonly model: string | null
  readonly serial: string | null
  readonly capacity_bytes: number | null
  readonly smart_passed: boolean | null
  readonly temperature_c: number | null
  readonly power_on_hours: number | null
  readonly ata: {
    readonly reallocated_sectors: number | null
    readonly pending_sectors: number | null
    readonly offline_uncorrectable: number | null
    readonly attributes: ReadonlyArray<AtaAttribute>
  } | null
  readonly nvme: {
    readonly critical_warning: number | null
    readonly percentage_used: number | null
    readonly available_spare: number | null
    readonly media_errors: number | null
    readonly unsafe_shutdowns: number | null
  } | null
  readonly scsi: { readonly grown_defects: number | null; readonly uncorrected_errors: number | null } | null
}

export interface DriveHealth {
  readonly disks: ReadonlyArray<Disk>
}

/** zfs: ZfsDataSchema. */
export interface Vdev {
  readonly name: string
  readonly type: string
  readonly state: string | null
  readonly read_errors: number | null
  readonly write_errors: number | null
  readonly cksum_errors: number | null
  readonly note: string | null
  readonly children: ReadonlyArray<Vdev>
}

export interface ZfsScan {
  readonly function: string | null
  readonly state: string
  readonly percent_done: number | null
  readonly eta: string | null
  readonly errors: number | null
  readonly text: string
}

export interface ZfsPool {
  readonly name: string
  readonly capacity: {
    readonly health: string | null
    readonly size_bytes: number | null
    readonly alloc_bytes: number | null
    readonly capacity_percent: number | null
    readonly fragmentation_percent: number | null
  } | null
  readonly status: {
    readonly state: string | null
    readonly status: string | null
    readonly action: string | null
    readonly scan: ZfsScan | null
    readonly root: Vdev | null
    readonly groups: ReadonlyArray<{ readonly kind: string; readonly vdevs: ReadonlyArray<Vdev> }>
    readonly errors_text: string | null
    readonly data_errors: number | null
    readonly totals: { readonly read_errors: number; readonly write_errors: number; readonly cksum_errors: number }
  } | null
}

export interface ZfsData {
  readonly pools: ReadonlyArray<ZfsPool>
  readonly datasets: {
    readonly available: boolean
    readonly items: ReadonlyArray<{
      readonly name: string
      readonly used_bytes: number | null
      readonly avail_bytes: number | null
      readonly refer_bytes: number | null
      readonly used_by_snapshots_bytes: number | null
      readonly mountpoint: string | null
    }>
  }
  readonly snapshots: {
    readonly available: boolean
    readonly items: ReadonlyArray<{
      readonly dataset: string
      readonly snapshot: string
      readonly used_bytes: number | null
      readonly created_at: string | null
    }>
  }
}

/** systemd_services: SystemdServices. */
export interface ServiceUnit {
  readonly name: string
  readonly load_state: string
  readonly active_state: string
  readonly sub_state: string
  readonly description: string
  readonly enabled_state: string | null
  readonly restarts: number | null
  readonly main_pid: number | null
  readonly since: string | null
}

export interface SystemdServices {
  readonly units: ReadonlyArray<ServiceUnit>
  readonly failed: ReadonlyArray<{ readonly name: string; readonly active_state: string; readonly description: string }>
  readonly counts: { readonly total: number; readonly running: number; readonly failed: number }
}

/** vm_status: VmStatus. */
export interface Vm {
  readonly hypervisor: string
  readonly id: string | null
  readonly name: string
  readonly state: string
  readonly state_raw: string
  readonly vcpus: number | null
  readonly memory_bytes: number | null
  readonly autostart: boolean | null
}

export interface HypervisorStatus {
  readonly status: "ok" | "missing" | "failed"
  readonly exit_code: number | null
}

export interface VmStatus {
  readonly hypervisors: {
    readonly libvirt: HypervisorStatus
    readonly proxmox_qemu: HypervisorStatus
    readonly proxmox_lxc: HypervisorStatus
  }
  readonly vms: ReadonlyArray<Vm>
}

/** system_logs: SystemLogsSchema. */
export interface LogEntry {
  readonly time: string | null
  readonly time_text: string | null
  readonly priority: number | null
  readonly unit: string | null
  readonly identifier: string | null
  readonly message: string | null
}

export interface SystemLogs {
  readonly source: "journal" | "dmesg" | "none"
  readonly entries: ReadonlyArray<LogEntry>
}

/** container_logs: an array of LogLineSchema. */
export interface ContainerLogLine {
  readonly timestamp: string | null
  readonly stream: "stdout" | "stderr"
  readonly message: string
}

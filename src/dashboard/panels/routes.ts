/** The device page's tables, each loaded as a fragment: drives (SMART), ZFS, systemd, VMs, logs. */
import { Exit } from "effect"
import type { Context } from "hono"
import { type Child } from "hono/jsx"
import { fragment, html, type PageKit, type PageStatus, sessionOf } from "../kit/page-kit.ts"
import { Notice } from "../kit/layout.tsx"
import { ContainerLogsPage, DEFAULT_TAIL } from "./container-logs-page.tsx"
import { DrivesPanel } from "./drives.tsx"
import { panelBody, Parts } from "./frame.tsx"
import { LOG_LIMIT, LogFilterForm, type LogFilters, LogsTable, PRIORITIES } from "./logs.tsx"
import { type Params, type Read, readData } from "./read.ts"
import { SystemdPanel } from "./systemd.tsx"
import type { ContainerLogLine, DriveHealth, SystemdServices, SystemLogs, VmStatus, ZfsData } from "./types.ts"
import { VmsPanel } from "./vms.tsx"
import { ZfsPanel } from "./zfs.tsx"

interface PanelSpec<A> {
  readonly dataType: string
  /** What the panel says when the host lacks the tool (the pipeline's 422). */
  readonly unavailable: string
  readonly what: string
  readonly params?: (c: Context) => Params
  readonly render: (data: A, c: Context) => Child
  /** A host failure that means "not here" in words (systemctl without systemd as init). */
  readonly absent?: { readonly pattern: RegExp; readonly title: string }
  /** Shown above the data whatever the read gave (the log filters). */
  readonly head?: (c: Context) => Child
}

const logFilters = (c: Context): LogFilters => {
  const priority = c.req.query("priority") ?? ""
  return {
    unit: (c.req.query("unit") ?? "").trim(),
    // Every level by default: priority is also what makes the read a view of the newest entries.
    priority: (PRIORITIES as ReadonlyArray<string>).includes(priority) ? priority : "debug",
  }
}

const spec = <A>(s: PanelSpec<A>): PanelSpec<unknown> => s as PanelSpec<unknown>

const PANELS: Readonly<Record<string, PanelSpec<unknown>>> = {
  drives: spec<DriveHealth>({
    dataType: "drive_health",
    unavailable: "smartctl not installed on this host",
    what: "drive health",
    render: (d) =>
      d.disks.length === 0
        ? Notice({ kind: "empty", title: "No physical disks found on this host" })
        : DrivesPanel({ disks: d.disks }),
  }),
  zfs: spec<ZfsData>({
    dataType: "zfs",
    unavailable: "zpool not installed on this host",
    what: "ZFS status",
    render: (d) => ZfsPanel({ data: d }),
  }),
  systemd: spec<SystemdServices>({
    dataType: "systemd_services",
    unavailable: "systemd not available on this host (no systemctl)",
    what: "systemd services",
    absent: {
      pattern: /not been booted with systemd|Failed to connect to bus/,
      title: "systemd is not running on this host (not booted with systemd)",
    },
    render: (d) => SystemdPanel({ data: d }),
  }),
  vms: spec<VmStatus>({
    dataType: "vm_status",
    unavailable: "No VMs (virsh/qm not installed on this host)",
    what: "virtual machines",
    render: (d) => VmsPanel({ data: d }),
  }),
  logs: spec<SystemLogs>({
    dataType: "system_logs",
    unavailable: "No system logs (journalctl/dmesg not available on this host)",
    what: "system logs",
    params: (c) => {
      const f = logFilters(c)
      return { priority: f.priority, limit: LOG_LIMIT, ...(f.unit === "" ? {} : { unit: f.unit }) }
    },
    head: (c) => LogFilterForm({ filters: logFilters(c), device: c.req.param("device") ?? "" }),
    render: (d, c) => LogsTable({ data: d, filters: logFilters(c) }),
  }),
}

const pageStatus = (status: number): PageStatus =>
  status === 400 || status === 403 || status === 404 || status === 422 || status === 503 ? status : 500

/** A read that failed for the device itself (unknown, forbidden) answers with its status, not 200. */
const statusOf = (read: Read<unknown>): PageStatus =>
  read.kind === "error" && (read.status === 403 || read.status === 404) ? pageStatus(read.status) : 200

/** readData folds every typed failure into the Read; only a defect is left to fold here. */
const settled = <A>(exit: Exit.Exit<Read<A>, unknown>): Read<A> =>
  Exit.isSuccess(exit) ? exit.value : { kind: "error", code: "internal", status: 500, message: "internal error" }

export const registerDevicePanels = (kit: PageKit): void => {
  kit.app.get("/devices/:device/panels/:panel", async (c) => {
    const name = c.req.param("panel")
    const panel = Object.hasOwn(PANELS, name) ? PANELS[name] : undefined
    if (panel === undefined) return fragment(c, Notice({ kind: "error", title: "No such panel" }), 404)
    const got = settled(
      await kit.bridge.exit(c, readData<unknown>(c.req.param("device"), panel.dataType, panel.params?.(c))),
    )
    const absent = panel.absent !== undefined && got.kind === "error" && panel.absent.pattern.test(got.message)
    const read: Read<unknown> = absent && got.kind === "error" ? { kind: "unavailable", message: got.message } : got
    const labels = absent && panel.absent !== undefined ? { what: panel.what, unavailable: panel.absent.title } : panel
    const body = panelBody(read, labels, (data) => panel.render(data, c))
    return fragment(
      c,
      panel.head === undefined ? body : Parts({ parts: [panel.head(c), body] }),
      statusOf(read),
    )
  })

  kit.app.get("/devices/:device/containers/:name/logs", async (c) => {
    const device = c.req.param("device")
    const container = c.req.param("name")
    const tail = c.req.query("tail") ?? DEFAULT_TAIL
    const read = settled(
      await kit.bridge.exit(
        c,
        readData<ReadonlyArray<ContainerLogLine>>(device, "container_logs", { name: container, tail }),
      ),
    )
    return html(
      c,
      ContainerLogsPage({ session: sessionOf(c), styles: kit.styles("panels.css"), device, container, tail, read }),
      read.kind === "error" ? pageStatus(read.status) : 200,
    )
  })
}

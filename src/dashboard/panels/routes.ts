/** The device page's tables, each loaded as a fragment: drives (SMART), ZFS, systemd, VMs, logs. */
import type { PageKit } from "../kit/page-kit.ts"

export const registerDevicePanels = (_kit: PageKit): void => {}

import { shq } from "../../../src/domain/quote.ts"
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

export { runScriptWithShims, type ShimRunOptions } from "./run.ts"

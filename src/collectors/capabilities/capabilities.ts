import { transportRetry } from "../../domain/schedules.ts"
import { type Capabilities, CapabilitiesSchema, PROBED_TOOLS } from "../../domain/capabilities.ts"
import { CAP_SECTIONS as S, parseCapabilities } from "./parse-capabilities.ts"
import { section } from "../shared/sections.ts"
import { shCommand } from "../../domain/quote.ts"
import { type DataTypeSpec, noParams } from "../../pipeline/DataType.ts"

const COMPOSE_ROOTS = ["/opt", "/srv", "/compose", "/docker"]
const NGINX_DIRS = [
  "/config/nginx/proxy-confs",
  "/config/nginx/site-confs",
  "/etc/nginx/conf.d",
  "/etc/nginx/sites-enabled",
]
const SWAG_ROOTS = ["/opt", "/srv", "/docker"]

/**
 * Shell functions (builtins only; each fork+exec costs the host more than the rest of the probe):
 * rd prints a small file, ncpu counts a kernel CPU list (Cpus_allowed_list, what nproc counts),
 * st sets sv to one field of /proc/self/status (Uid: the real one first, as `id -u` prints); setting a
 * variable rather than printing spares the fork of a $(…).
 */
const FUNCTIONS = [
  'rd() { while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done <"$1"; }',
  'st() { sv=; while read -r k v r; do if [ "$k" = "$1:" ]; then sv=$v; return 0; fi; done </proc/self/status; return 1; }',
  "ncpu() { n=0; o=$IFS; IFS=,; for c in $1; do case $c in *-*) n=$((n + ${c#*-} - ${c%-*} + 1));; " +
  '*) n=$((n + 1));; esac; done; IFS=$o; [ "$n" -gt 0 ] && echo "$n"; }',
]

/**
 * One probe, one round trip, POSIX sh (dash, busybox). PATH changes and variables do not leak into
 * a reused shell channel: the transports run each script in a subshell (src/ssh/framing.ts). sbin dirs are added to PATH because
 * zpool, smartctl, qm, pct often live there and a non-root login shell may not have them.
 * Only the first occurrence of each /proc/cpuinfo key is sent (many-core hosts repeat every
 * key per thread). Searches are bounded by depth and by head. Small files are read with
 * builtins (FUNCTIONS), uname's fields from /proc/sys/kernel but the machine, which only uname knows.
 */
export const capabilitiesScript = (): string =>
  [
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export LC_ALL=C',
    ...FUNCTIONS,
    section(S.osRelease, "if [ -r /etc/os-release ]; then rd /etc/os-release; else rd /usr/lib/os-release; fi"),
    section(
      S.uname,
      "rd /proc/sys/kernel/ostype && rd /proc/sys/kernel/osrelease && uname -m && rd /proc/sys/kernel/hostname",
    ),
    section(S.cpuinfo, "awk -F: '!seen[$1]++' /proc/cpuinfo"),
    section(S.nproc, 'st Cpus_allowed_list && ncpu "$sv" || nproc || getconf _NPROCESSORS_ONLN'),
    // MemTotal is the first line of /proc/meminfo.
    section(S.meminfo, 'read -r l </proc/meminfo && echo "$l"'),
    section(S.virt, "systemd-detect-virt"),
    section(S.markers, 'for f in /.dockerenv /run/.containerenv; do [ -e "$f" ] && echo "$f"; done; true'),
    section(S.init, "rd /proc/1/comm; [ -d /run/systemd/system ] && echo @systemd-booted; true"),
    section(
      S.tools,
      `for t in ${
        shCommand(...PROBED_TOOLS)
      }; do if command -v "$t" >/dev/null 2>&1; then echo "$t yes"; else echo "$t no"; fi; done`,
    ),
    section(
      S.privilege,
      'if st Uid && [ "$sv" = 0 ]; then echo root; elif sudo -n true 2>/dev/null; then echo sudo; else echo none; fi',
    ),
    section(
      S.compose,
      `find ${shCommand(...COMPOSE_ROOTS)} /home/*/docker -maxdepth 3 -type f ` +
        `\\( -name 'docker-compose.y*ml' -o -name 'compose.y*ml' \\) 2>/dev/null | head -n 200`,
    ),
    section(
      S.nginx,
      `for d in ${shCommand(...NGINX_DIRS)}; do [ -d "$d" ] && echo "$d"; done; ` +
        `find ${shCommand(...SWAG_ROOTS)} -maxdepth 4 -type d ` +
        `\\( -path '*/swag/nginx/proxy-confs' -o -path '*/swag/config/nginx/proxy-confs' \\) 2>/dev/null | head -n 50`,
    ),
  ].join("\n")

/**
 * The capability probe. Its result is stored on the device row (devices.capabilities jsonb)
 * through `persist`, not in a time-series table: table is "" and toRows gives nothing. Use supportsDataType()
 * from src/domain/capabilities.ts to check a spec's `requires` against it.
 */
export const capabilities: DataTypeSpec<Capabilities> = {
  name: "capabilities",
  params: noParams,
  description:
    "What a device is and has: OS, kernel, arch, CPU, memory, virtualization, init system, which tools exist " +
    "(docker, zpool, smartctl, virsh, journalctl, ...), passwordless sudo, compose files and nginx/SWAG config dirs.",
  output: CapabilitiesSchema,
  table: "",
  ttlSeconds: 6 * 3600,
  timeout: "30 seconds",
  retry: transportRetry,
  script: () => capabilitiesScript(),
  parse: (result) => parseCapabilities(result),
  toRows: () => [],
  persist: (store, device, caps) => store.setDeviceCapabilities(device.id, caps),
}

import { shq } from "../../../src/domain/quote.ts"
import { fixturePath } from "../fixtures.ts"

/**
 * Fake `zpool` / `zfs` for a test host's PATH. They print the real recorded outputs in
 * test/fixtures/recorded/zfs, picked by arguments the way the collection script calls them.
 * No fixture was recorded with exactly the script's `-H -o …` column lists, so those calls
 * project a recorded listing onto the requested columns (tab-separated, as -H prints them;
 * a column the recording lacks prints "-"). Anything else fails like the real tool.
 */
const f = (file: string): string => shq(fixturePath("zfs", file))

/** awk program: print the requested -o columns of a whitespace-separated listing whose columns are `have`. */
const PROJECT =
  `awk -v want="$1" -v have="$2" 'BEGIN { n = split(want, w, ","); m = split(have, h, ","); for (i = 1; i <= m; i++) idx[h[i]] = i }
{ line = ""; for (j = 1; j <= n; j++) { v = (w[j] in idx) ? $(idx[w[j]]) : "-"; line = line (j > 1 ? "\\t" : "") v }; print line }' "$3"`

/** awk program: `zpool list -H -o <cols>` from a headed `zpool list -p -v` recording (pool rows only). */
const LIST_H =
  `awk -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) idx[tolower($i)] = i; n = split(want, w, ","); next }
/^[^ \\t]/ && $1 != "logs" && $1 != "cache" && $1 != "spares" && $1 != "special" && $1 != "dedup" {
  line = ""; for (j = 1; j <= n; j++) { v = (w[j] in idx) ? $(idx[w[j]]) : "-"; line = line (j > 1 ? "\\t" : "") v }; print line }' "$2"`

const usage = (tool: string): string =>
  `echo "unrecognized command '$*'" >&2; echo "usage: ${tool} command args ..." >&2; exit 2`

interface ZpoolFixtures {
  readonly list: string
  /** null: this zpool predates `status -j` (OpenZFS < 2.3) and rejects the option. */
  readonly statusJson: string | null
  readonly statusText: string
}

const zpoolShim = (fx: ZpoolFixtures): string =>
  `#!/bin/sh
project_list() { ${LIST_H}; }
case "$*" in
  "list -Hp -o "*) project_list "$4" ${f(fx.list)} ;;
  "list -p -v -L"*) cat ${f("netdata__zpool-list-p-v-L_logs-cache-degraded.txt")} ;;
  "list -v"*) cat ${f("openzfs-man__zpool-list-v_expandsz.txt")} ;;
  "list") cat ${f("openzfs-man__zpool-list_faulted-pool.txt")} ;;
  "status -j"*) ${
    fx.statusJson === null
      ? `echo "invalid option 'j'" >&2; echo "usage:" >&2; echo "	status [-c [script1,script2,...]] [-igLpPstvxD]  [-T d|u] [pool] ... [interval [count]]" >&2; exit 2`
      : `cat ${f(fx.statusJson)}`
  } ;;
  "status -c "*) cat ${f("openzfs-man__zpool-status-c_vendor-model-size.txt")} ;;
  "status -p"*|"status"|"status -v"*) cat ${f(fx.statusText)} ;;
  "iostat -vc size"*) cat ${f("openzfs-man__zpool-iostat-vc-size.txt")} ;;
  "iostat -v"*) cat ${f("jc__zpool-iostat-v.txt")} ;;
  *) ${usage("zpool")} ;;
esac
`

const zfsShim = `#!/bin/sh
project() { ${PROJECT}; }
case "$*" in
  "list -Hp -t snapshot -o "*) project "$6" name,used,creation ${
  f("list-zfs-snapshots__zfs-list-snapshots-name-used-creation-Hp_tabs-expanded.txt")
} ;;
  "list -Hp -t filesystem,volume -o "*) project "$6" name,usedsnap ${
  f("list-zfs-snapshots__zfs-list-name-usedsnap-Hp_tabs-expanded.txt")
} ;;
  *) ${usage("zfs")} ;;
esac
`

/** OpenZFS ≥ 2.3: `zpool status -j` works (a degraded rpool, matching the degraded `zpool list` recording). */
export const zfsShims: Record<string, string> = {
  zpool: zpoolShim({
    list: "netdata__zpool-list-p-v-L_logs-cache-degraded.txt",
    statusJson: "check_zpools__zpool-status-j_degraded.json",
    statusText: "himmAllRight-blog__zpool-status_resilver-in-progress-replacing.txt",
  }),
  zfs: zfsShim,
}

/** OpenZFS < 2.3: no `-j`, so the script falls back to text (a pool resilvering with replacing-0). */
export const zfsLegacyShims: Record<string, string> = {
  zpool: zpoolShim({
    list: "netdata__zpool-list-p-v-L.txt",
    statusJson: null,
    statusText: "himmAllRight-blog__zpool-status_resilver-in-progress-replacing.txt",
  }),
  zfs: zfsShim,
}

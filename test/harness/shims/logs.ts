import { shq } from "../../../src/domain/quote.ts"
import { fixturePath } from "../fixtures.ts"

const JOURNAL = shq(fixturePath("logs", "beats__journalctl-json_sample-event.json"))
const DMESG_JSON = shq(fixturePath("logs", "util-linux__dmesg-json_synthetic-input.json"))
const DMESG_TEXT = shq(fixturePath("logs", "insights__dmesg_timestamps.txt"))

/** Reads one field of the pretty-printed fixture entry (`"KEY" : "value",`). */
const field = (key: string): string => `$(sed -n 's/^ *"${key}" : "\\(.*\\)",*$/\\1/p' ${JOURNAL})`

/**
 * journalctl: a journal holding exactly the real beats entry, printed as `-o json` does (one
 * line: the fixture with its newlines removed). Honoured: --after-cursor (the fixture's own
 * cursor → nothing after it), -u (exact _SYSTEMD_UNIT match), -p (entry's PRIORITY at or below).
 * Accepted without effect: -n, --since, -q, --no-pager. Anything else fails like journalctl.
 *
 * dmesg: `--json` prints the util-linux JSON fixture, plain prints the timestamped text fixture.
 */
export const systemLogsShims: Record<string, string> = {
  journalctl: [
    "#!/bin/sh",
    'after=""; unit=""; prio=""',
    "while [ $# -gt 0 ]; do",
    '  case "$1" in',
    '    -o) [ "$2" = json ] || { echo "journalctl shim: only -o json" >&2; exit 1; }; shift 2 ;;',
    "    --no-pager|-q) shift ;;",
    "    -n) shift 2 ;;",
    '    -u) unit="$2"; shift 2 ;;',
    '    -p) prio="$2"; shift 2 ;;',
    "    --since=*) shift ;;",
    '    --after-cursor=*) after="${1#--after-cursor=}"; shift ;;',
    `    *) echo "journalctl: unrecognized option '$1'" >&2; exit 1 ;;`,
    "  esac",
    "done",
    `[ -n "$after" ] && [ "$after" = "${field("__CURSOR")}" ] && exit 0`,
    `[ -n "$unit" ] && [ "$unit" != "${field("_SYSTEMD_UNIT")}" ] && exit 0`,
    `[ -n "$prio" ] && [ "${field("PRIORITY")}" -gt "$prio" ] && exit 0`,
    `tr -d '\\n' < ${JOURNAL}; echo`,
  ].join("\n"),
  dmesg: [
    "#!/bin/sh",
    'case "$*" in',
    `  "--json") cat ${DMESG_JSON} ;;`,
    `  "") cat ${DMESG_TEXT} ;;`,
    `  *) echo "dmesg: unrecognized option '$1'" >&2; exit 1 ;;`,
    "esac",
  ].join("\n"),
}

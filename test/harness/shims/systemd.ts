import { shq } from "../../../src/domain/quote.ts"
import { fixturePath } from "../fixtures.ts"

/**
 * Fake `systemctl` for the systemd_services script, printing real recorded outputs.
 * It behaves like a systemd older than 246: `--output=json` is rejected (exit 1), so the
 * script's text fallback is what gets parsed. --type, --no-legend, --plain and --failed are
 * applied to the recorded tables the way systemctl would apply them.
 */
export const SYSTEMD_FIXTURES = {
  listUnits: "jc__ubuntu-18.04__systemctl-list-units.txt",
  listUnitFiles: "jc__ubuntu-18.04__systemctl-list-unit-files.txt",
  show: "insights__systemctl-show_all-services.txt",
} as const

const sd = (file: string): string => shq(fixturePath("systemd", file))
const F = SYSTEMD_FIXTURES

const systemctl = `#!/bin/sh
# fake systemctl (pre-246: no JSON output)
verb=list-units; type=""; legend=1; plain=0; failed=0; skip=0; patterns=""
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    --output=json|-ojson) echo "systemctl: unrecognized option '$a'" >&2; exit 1 ;;
    --type=*) type="\${a#--type=}" ;;
    --no-legend) legend=0 ;;
    --plain) plain=1 ;;
    --failed) failed=1 ;;
    --all|--no-pager) ;;
    -p) skip=1 ;;
    list-units|list-unit-files|show) verb="$a" ;;
    -*) echo "systemctl: unrecognized option '$a'" >&2; exit 1 ;;
    *) patterns="$patterns $a" ;;
  esac
done
# Recorded rows start with the two-column marker ("  " or "● "); the rest is header and legend.
rows() {
  if [ -n "$type" ]; then grep -E "^(  |● )[^ ]+\\.$type " ${sd(F.listUnits)}; else grep -E '^(  |● )[^ ]+\\.[a-z]+ ' ${
  sd(F.listUnits)
}; fi
}
case "$verb" in
  list-units)
    [ "$legend" = 1 ] && sed -n 1p ${sd(F.listUnits)}
    if [ "$failed" = 1 ]; then rows | awk '{ s = ($1 == "●") ? $4 : $3; if (s == "failed") print }'; else rows; fi |
      if [ "$plain" = 1 ]; then sed -e 's/^● //' -e 's/^  //'; else cat; fi
    exit 0 ;;
  list-unit-files)
    [ "$legend" = 1 ] && sed -n 1p ${sd(F.listUnitFiles)}
    if [ -n "$type" ]; then grep -E "^[^ ]+\\.$type " ${sd(F.listUnitFiles)}; else grep -E '^[^ ]+\\.[a-z]+ ' ${
  sd(F.listUnitFiles)
}; fi
    exit 0 ;;
  show)
    if [ "$patterns" != " *.service" ]; then echo "systemctl: unsupported show arguments in test shim:$patterns" >&2; exit 1; fi
    cat ${sd(F.show)} ;;
esac
`

export const systemdShims: Record<string, string> = { systemctl }

import { shq } from "../../../src/domain/quote.ts"
import { fixturePath } from "../fixtures.ts"

/**
 * Fake `lsblk` and `smartctl` for the drive_health script, printing real recorded outputs.
 * The disk list is consistent with the lsblk -J fixture (diskEye: sda, sdb, nvme0n1 are disks there).
 * sudo is deliberately not shimmed: tests run the script without sudo.
 */

export const LSBLK_JSON_FIXTURE = "diskEye__lsblk-J-b_lvm-bitlocker-cardreader_anonymized.json"

/** Which smartctl fixture answers for which device path (each fixture's device.name matches or is close). */
export const SMART_FIXTURE_BY_PATH: Readonly<Record<string, string>> = {
  "/dev/sda": "exporter_sata-hdd_wdc-wd5002abys_exit64.json",
  "/dev/sdb": "exporter_sas_hitachi-h109060sesun600g.json",
  "/dev/nvme0n1": "scrutiny_nvme_samsung-970evo_failed.json",
}
/** Any other device: smartctl's real "open device failed" answer (exit 2). */
export const SMART_OPEN_FAILED_FIXTURE = "scrutiny_error_no-device.json"

const lsblk = `#!/bin/sh
# fake lsblk: the two invocations the drive_health script makes
if [ "$1" = "-J" ] && [ "$2" = "-b" ] && [ "$3" = "-o" ]; then
  cat ${shq(fixturePath("drives", LSBLK_JSON_FIXTURE))}
  exit 0
fi
if [ "$1" = "-dn" ] && [ "$2" = "-o" ] && [ "$3" = "PATH,TYPE" ]; then
  printf '%-13s %s\\n' /dev/sda disk /dev/sdb disk /dev/nvme0n1 disk
  exit 0
fi
echo "lsblk: unsupported arguments in test shim: $*" >&2
exit 1
`

const smartCases = Object.entries(SMART_FIXTURE_BY_PATH)
  .map(([dev, file]) => `  ${shq(dev)}) f=${shq(fixturePath("smartctl", file))} ;;`)
  .join("\n")

const smartctl = `#!/bin/sh
# fake smartctl: answers "smartctl -j -a -n standby DEV" with a recorded JSON and its exit status
if [ "$#" -ne 5 ] || [ "$1" != "-j" ] || [ "$2" != "-a" ] || [ "$3" != "-n" ] || [ "$4" != "standby" ]; then
  echo "smartctl: unsupported arguments in test shim: $*" >&2
  exit 1
fi
case "$5" in
${smartCases}
  *) f=${shq(fixturePath("smartctl", SMART_OPEN_FAILED_FIXTURE))} ;;
esac
cat "$f"
rc=$(sed -n 's/.*"exit_status":[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p' "$f" | head -n 1)
exit "\${rc:-0}"
`

export const driveHealthShims: Record<string, string> = { lsblk, smartctl }

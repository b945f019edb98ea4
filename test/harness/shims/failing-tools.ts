/**
 * Tools that are installed but fail, printing what the real tools print. Recorded on this team's
 * Debian 12 machine (a container: no Docker daemon, PID 1 is not systemd) on 2026-12-05:
 * - Docker CLI 28.2.2 (`docker version` build e6534b4) with no daemon: every `ps`, `stats`,
 *   `ps -aq` and `network ls` prints the line below on stderr and exits 1.
 * - systemd 252 (252.38-1~deb12u1) systemctl without systemd as init: `list-units`, `show` and
 *   `--failed` print the two lines below on stderr and exit 1; `list-unit-files` still works
 *   (it reads unit files from disk), so it prints three of its recorded lines and exits 0.
 */
import { shq } from "../../../src/domain/quote.ts"
import { DOCKER_SHIM_FILES } from "./docker.ts"
import { readFixture } from "../fixtures.ts"

export const DOCKER_DAEMON_DOWN =
  "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"

export const NO_SYSTEMD = [
  "System has not been booted with systemd as init system (PID 1). Can't operate.",
  "Failed to connect to bus: Host is down",
].join("\n")

const UNIT_FILES = [
  "ssh.service                            enabled  enabled",
  "cron.service                           enabled  enabled",
  "getty@.service                         enabled  enabled",
].join("\n")

/** `docker` with its daemon stopped. */
export const dockerDaemonDownShim = `#!/bin/sh
printf '%s\\n' ${shq(DOCKER_DAEMON_DOWN)} >&2
exit 1
`

/** `systemctl` on a host not booted with systemd. */
export const noSystemdShim = `#!/bin/sh
case "$1" in
  list-unit-files) printf '%s\\n' ${shq(UNIT_FILES)} ;;
  *) printf '%s\\n' ${shq(NO_SYSTEMD)} >&2; exit 1 ;;
esac
`

/**
 * `docker` whose `ps` output is cut in the middle of its first JSON line (the recorded CLI-docs
 * line), exit 0: the tool ran and its output is malformed, a real parse error. Anything else
 * prints nothing and exits 0 (an engine with no containers), so only `ps` decides the answer.
 */
export const dockerGarbledPsShim = (): string => {
  const line = readFixture("docker", DOCKER_SHIM_FILES.ps).split("\n")[0] ?? ""
  const cut = line.slice(0, Math.floor(line.length / 2))
  return `#!/bin/sh
case "$*" in
  "ps -a --no-trunc --format {{json .}}") printf '%s\\n' ${shq(cut)} ;;
  *) exit 0 ;;
esac
`
}

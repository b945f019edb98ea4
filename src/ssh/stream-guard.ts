import { shq } from "../domain/quote.ts"

/**
 * A long-running command on a host must not outlive the channel that started it. When our
 * process dies (SIGKILL, crash, network cut), sshd closes the session's pipes, but a command
 * that rarely writes (inotifywait on a quiet tree, `journalctl -f`) only learns of it on its next
 * write, which may never come: it would stay on the host for good. The guard runs the command in
 * the background and a watchdog on the channel's stdin, which we never close while streaming:
 * end of input means the other side is gone, and the command gets TERM.
 *
 * Background jobs of a non-interactive shell read /dev/null, so stdin is kept on fd 3 for the
 * watchdog. The exit status is the command's own.
 */
const GUARD = [
  "exec 3<&0",
  '/bin/sh -c "$1" &',
  "p=$!",
  "{ cat <&3 >/dev/null; kill -TERM $p 2>/dev/null; } &",
  "w=$!",
  "exec 3<&-",
  "wait $p",
  "rc=$?",
  "kill $w 2>/dev/null",
  "exit $rc",
].join("\n")

export const guardStreamCommand = (command: string): string => `exec /bin/sh -c ${shq(GUARD)} guard ${shq(command)}`

/**
 * Shell lines for scripts that may need root for a tool: `_asroot cmd ...` runs cmd as root when
 * we are root, through `sudo -n` when that works without a password, else as ourselves (the tool
 * then reports what it cannot read). The uid is read once per run, not one `id` process per call.
 */
export const AS_ROOT_PRELUDE: ReadonlyArray<string> = [
  "_uid=$(id -u)",
  '_asroot() { if [ "$_uid" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else "$@"; fi; }',
]

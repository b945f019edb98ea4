/**
 * The watched-globs check as it runs on the host, inside the one script of a read, scan or restore:
 * a path is allowed when its physical location (every symlink resolved) matches a glob. Checking on
 * the host keeps a file's content from ever leaving it when the check fails, and costs no extra
 * round trip. Builtins only (`cd -P`, `$PWD`, `[ -L ]`, `case`, parameter expansion); `readlink -f`
 * is forked only for a path whose last component is itself a symlink.
 */
import { shq } from "../../domain/quote.ts"

const hasMagic = (s: string): boolean => /[*?[]/.test(s)

/**
 * The literal directory a glob starts from and the rest: `/config/nginx/*.conf` → `/config/nginx`
 * + `*.conf`, `/opt/<any>/compose.yml` → `/opt` + `<any>/compose.yml`. The host resolves that
 * directory, so a watched directory that is itself a symlink (`/config` → `/mnt/cfg`) still matches.
 */
export const staticPrefix = (glob: string): { readonly dir: string; readonly rest: string } => {
  const segments = glob.split("/").slice(1)
  let i = 0
  while (i < segments.length - 1 && !hasMagic(segments[i] as string)) i++
  return { dir: `/${segments.slice(0, i).join("/")}`, rest: segments.slice(i).join("/") }
}

/**
 * Shell lines defining, for `globs`:
 *   `_physical PATH`: sets `r` to where PATH really is (its directory via `cd -P`, its last component
 *     via `readlink -f` when that is a symlink); fails when the directory cannot be entered.
 *   `_inglobs PATH`: succeeds when the absolute physical PATH matches a glob, either as written or
 *     with its static directory physically resolved.
 * Matching goes segment by segment with `case`, which alone would let `*` cross `/`: so `*`, `?`
 * and `[...]` stay within one path segment, and a leading dot must be matched by a literal dot,
 * as in pathname expansion (and globMatches). The lines `cd`: run them in a subshell.
 */
export const hostGlobCheck = (globs: ReadonlyArray<string>): Array<string> => [
  "_gm() {",
  '  [ -n "$2" ] || return 1',
  '  _s="${1#/}/"; _q="${2#/}/"',
  '  while [ -n "$_s" ] && [ -n "$_q" ]; do',
  "    _a=${_s%%/*}; _s=${_s#*/}; _b=${_q%%/*}; _q=${_q#*/}",
  "    case $_a in .*) case $_b in .*) ;; *) return 1 ;; esac ;; esac",
  "    case $_a in $_b) ;; *) return 1 ;; esac",
  "  done",
  '  [ -z "$_s" ] && [ -z "$_q" ]',
  "}",
  ...globs.flatMap((glob, i) => {
    const { dir, rest } = staticPrefix(glob)
    return [
      `_g${i}=${shq(glob)}; _h${i}=`,
      `if cd -P -- ${shq(dir)} 2>/dev/null; then _h${i}=\${PWD%/}/${shq(rest)}; fi`,
      `[ "$_h${i}" != "$_g${i}" ] || _h${i}=`,
    ]
  }),
  "_inglobs() {",
  ...globs.map((_, i) => `  _gm "$1" "$_g${i}" && return 0; _gm "$1" "$_h${i}" && return 0`),
  "  return 1",
  "}",
  "_physical() {",
  "  case ${1##*/} in",
  '    "" | . | ..) cd -P -- "$1" 2>/dev/null || return 1; r=$PWD; return 0 ;;',
  "  esac",
  '  if [ -L "$1" ]; then',
  // The guard character keeps a trailing newline of the target from being eaten by $(...).
  '    r=$(readlink -f -- "$1" 2>/dev/null && echo .) || return 1',
  '    r=${r%??}; [ -n "$r" ]; return',
  "  fi",
  '  _d=${1%/*}; cd -P -- "${_d:-/}" 2>/dev/null || return 1',
  "  r=${PWD%/}/${1##*/}",
  "}",
]

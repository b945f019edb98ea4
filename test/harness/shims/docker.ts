import { readFileSync } from "node:fs"
import { shq } from "../../../src/domain/quote.ts"
import type { CommandResult } from "../../../src/ssh/Ssh.ts"
import { fixturePath } from "../fixtures.ts"
import { runScriptWithShims } from "./run.ts"

const fx = (file: string): string => shq(fixturePath("docker", file))

/** The recorded files this fake host is made of. */
export const DOCKER_SHIM_FILES = {
  ps: "docker-cli-docs__ps_format-json.jsonl",
  stats: "docker-cli-docs__stats_no-stream_format-json.jsonl",
  containers: [
    "watchtower__engine-api_container-inspect_portainer-running.json",
    "watchtower__engine-api_container-inspect_stopped.json",
    "wooheaven__docker-inspect_-s_created-container.json",
  ],
  networks: [
    "docker-cli-docs__network-inspect_bridge-default.json",
    "docker-cli-docs__network-inspect_simple-network.json",
    "docker-cli-docs__network-inspect_verbose-overlay-ov1.json",
  ],
} as const

/**
 * A fake `docker` answering exactly the invocations our scripts make, from real recorded outputs.
 * The host it pretends to be: `ps` prints the CLI-docs ps line (nginx a762a2b37a1d); `ps -aq` lists
 * that id plus the three inspected containers (portainer running, watchtower-stopped, pg-Data
 * created); `inspect` prints the recorded objects as one array, and like the real CLI reports
 * unknown ids on stderr with exit 1 while still printing the rest — the nginx id from the ps
 * docs has no recorded inspect, so a collection exercises that path. `stats` prints the docs line.
 * Networks: the three recorded `network inspect` objects; `network ls --format '{{json .}}'`
 * prints their ID/Name/Driver/Scope (taken from those files) since no JSON ls was recorded.
 * `logs`: no container log was recorded, so it prints one stdout line at the container's real
 * State.StartedAt and one stderr line at its State.FinishedAt (synthetic text, real times).
 * start/stop/restart print the name, as docker does.
 */
/** The first `"key": "value"` line's value, as the shim's old `sed | head -n 1` found it. */
const firstField = (text: string, key: string): string | undefined => {
  const re = new RegExp(`^ *"${key}": "([^"]*)",*$`)
  for (const line of text.split("\n")) {
    const m = re.exec(line)
    if (m !== null) return m[1]
  }
  return undefined
}

const FIELD_KEYS = ["Id", "Name", "Driver", "Scope", "StartedAt", "FinishedAt", "Path"]

export const dockerShim = (): string => {
  const containers = DOCKER_SHIM_FILES.containers.map(fx).join(" ")
  const networks = DOCKER_SHIM_FILES.networks.map(fx).join(" ")
  // Each recorded file read once; everything below is derived from these texts.
  const textOf = new Map(
    [DOCKER_SHIM_FILES.ps, ...DOCKER_SHIM_FILES.containers, ...DOCKER_SHIM_FILES.networks].map((f) => [
      f as string,
      readFileSync(fixturePath("docker", f), "utf8"),
    ]),
  )
  const text = (f: string): string => textOf.get(f) ?? ""
  const files = [...DOCKER_SHIM_FILES.containers, ...DOCKER_SHIM_FILES.networks].map((f) => ({
    path: fixturePath("docker", f),
    text: text(f),
  }))
  const fieldCases = files.flatMap((f) =>
    FIELD_KEYS.flatMap((key) => {
      const v = firstField(f.text, key)
      return v === undefined ? [] : [`    ${shq(`${key} ${f.path}`)}) printf '%s\\n' ${shq(v)} ;;`]
    })
  ).join("\n")
  const arrayCases = files.filter((f) => f.text.split("\n")[0] === "[")
    .map((f) => `    ${shq(f.path)}) sed '1d;$d' "$1" ;;`).join("\n")
  const psIds = [
    ...[...text(DOCKER_SHIM_FILES.ps).matchAll(/"ID":"([^"]*)"/g)].map((m) => m[1] as string),
    ...DOCKER_SHIM_FILES.containers.map((f) => firstField(text(f), "Id")),
  ].filter((id): id is string => id !== undefined).map(shq).join(" ")
  const networkTexts = DOCKER_SHIM_FILES.networks.map(text)
  const networkLs = networkTexts.map((t) =>
    shq(
      `{"Driver":"${firstField(t, "Driver") ?? ""}","ID":"${firstField(t, "Id") ?? ""}","Name":"${
        firstField(t, "Name") ?? ""
      }","Scope":"${firstField(t, "Scope") ?? ""}"}`,
    )
  ).join(" ")
  const networkIds = networkTexts.map((t) => shq(firstField(t, "Id") ?? "")).join(" ")
  return String.raw`#!/bin/sh
PS=${fx(DOCKER_SHIM_FILES.ps)}
STATS=${fx(DOCKER_SHIM_FILES.stats)}
CONTAINERS="${containers}"
NETWORKS="${networks}"
# First top-level "Key": "value" of a pretty-printed object, read from the files when this shim
# was written (no process per lookup: the load bench runs thousands of these).
field() {
  case "$1 $2" in
${fieldCases}
  esac
}
# One object: CLI recordings are already arrays ("[" alone on line 1), Engine API ones a single object.
object() {
  case "$1" in
${arrayCases}
    *) cat "$1" ;;
  esac
}
find_in() { # $1 = arg, $2 = name prefix ("/" for containers), rest = files
  a=$1; p=$2; shift 2
  for f in "$@"; do
    id=$(field Id "$f"); name=$(field Name "$f")
    case "$id" in "$a"*) echo "$f"; return 0 ;; esac
    [ "$name" = "$p$a" ] && { echo "$f"; return 0; }
  done
  return 1
}
print_objects() { # $1 = kind, $2 = prefix, $3 = files, rest = args
  kind=$1; p=$2; files=$3; shift 3
  [ $# -gt 0 ] || { echo "\"docker $kind inspect\" requires at least 1 argument." >&2; exit 1; }
  rc=0; sep=
  printf '['
  for a in "$@"; do
    if f=$(find_in "$a" "$p" $files); then printf '%s' "$sep"; object "$f"; sep=,
    else echo "Error: No such $kind: $a" >&2; rc=1; fi
  done
  printf ']\n'
  exit $rc
}
container_or_fail() {
  f=$(find_in "$1" / $CONTAINERS) || { echo "Error response from daemon: No such container: $1" >&2; exit 1; }
  echo "$f"
}
case "$*" in
  "ps -a --no-trunc --format {{json .}}") cat "$PS" ;;
  "ps -aq --no-trunc")
    printf '%s\n' ${psIds} ;;
  "stats --no-stream --no-trunc --format {{json .}}") cat "$STATS" ;;
  "network ls --no-trunc --format {{json .}}")
    printf '%s\n' ${networkLs} ;;
  "network ls -q --no-trunc") printf '%s\n' ${networkIds} ;;
  "network inspect"*) shift 2; print_objects network "" "$NETWORKS" "$@" ;;
  "inspect"*)
    shift
    while [ $# -gt 0 ]; do
      case "$1" in
        --type) [ "$2" = container ] || { echo "unsupported --type $2" >&2; exit 1; }; shift 2 ;;
        --) shift; break ;;
        -*) echo "unknown flag: $1" >&2; exit 1 ;;
        *) break ;;
      esac
    done
    print_objects object / "$CONTAINERS" "$@" ;;
  "logs "*)
    shift; tail=all
    while [ $# -gt 0 ]; do
      case "$1" in
        --timestamps) shift ;;
        --tail) tail=$2; shift 2 ;;
        --since) shift 2 ;;
        --) shift; break ;;
        -*) echo "unknown flag: $1" >&2; exit 1 ;;
        *) break ;;
      esac
    done
    [ $# -eq 1 ] || { echo "\"docker logs\" requires exactly 1 argument." >&2; exit 1; }
    f=$(container_or_fail "$1") || exit 1
    out=$(printf '%s started %s\n' "$(field StartedAt "$f")" "$(field Path "$f")")
    err=$(printf '%s stopped %s\n' "$(field FinishedAt "$f")" "$(field Path "$f")")
    if [ "$tail" = all ] || [ "$tail" -ge 1 ]; then echo "$out"; echo "$err" >&2; fi ;;
  "start "*|"stop "*|"restart "*)
    shift
    [ "$1" = "--" ] && shift
    [ $# -eq 1 ] || { echo "requires at least 1 argument" >&2; exit 1; }
    container_or_fail "$1" >/dev/null || exit 1
    echo "$1" ;;
  *) echo "docker: unknown command or flags: docker $*" >&2; exit 1 ;;
esac
`
}

export const dockerShims: Record<string, string> = { docker: dockerShim() }

/** Host tools the scripts and shims use besides shell builtins (for an isolated PATH). */
const BASE_TOOLS = ["cat", "sed", "head", "tail"]

export interface RunOptions {
  /** PATH holds only the shims and BASE_TOOLS, so a real docker/podman on this machine cannot answer. */
  readonly isolated?: boolean
}

/**
 * Run a script under /bin/sh with the shims first on PATH, as a local host would, and return what
 * the Ssh service would. With `isolated`, tools not shimmed are absent (e.g. no engine at all).
 */
export const runWithShims = (
  shims: Record<string, string>,
  script: string,
  options: RunOptions = {},
): CommandResult => runScriptWithShims(shims, script, options.isolated === true ? { hostTools: BASE_TOOLS } : {})

import { Buffer } from "node:buffer"
import { Result } from "effect"
import { ParseError, ValidationError } from "../../domain/errors.ts"
import { shq } from "../../domain/quote.ts"
import type { CommandResult } from "../../domain/command.ts"
import { parseListParam, validateGlobs, validatePaths } from "../../domain/globs.ts"
import { hostGlobCheck } from "./host-globs.ts"
import { type ActionSpec, type Params, params } from "../../pipeline/DataType.ts"

/** Which syntax check runs after a restore; "none" skips it. */
export type Validator = "nginx" | "compose" | "systemd" | "none"
const VALIDATORS: ReadonlyArray<Validator> = ["nginx", "compose", "systemd", "none"]

export interface RestoreOutcome {
  readonly path: string
  readonly written: boolean
  /** Where the previous content was kept (`<path>.infrastructor.bak.<stamp>`), null when the file did not exist. */
  readonly backup: string | null
  /** sha256 of the file on the host right after the write. */
  readonly sha256: string | null
  /** The check that ran ("nginx -t", ...), or null when none applied or the tool is missing. */
  readonly validator: string | null
  readonly validation_exit_code: number | null
  readonly validation_output: string
  readonly rolled_back: boolean
  /** Why nothing was written (no directory, backup or write failed, or the path leads outside the globs). */
  readonly error: string | null
  /** Set when nothing was written because the path's physical location matches none of the globs: that location. */
  readonly outside_target: string | null
}

const param = (p: Params, name: string): string => {
  const v = p[name]
  if (v === undefined || v === "") throw new ValidationError({ message: `${name} is required` })
  return String(v)
}

const validatorOf = (p: Params): Validator => {
  const v = String(p["validator"] ?? "none")
  if (!(VALIDATORS as ReadonlyArray<string>).includes(v)) {
    throw new ValidationError({ message: `validator must be one of ${VALIDATORS.join(", ")}` })
  }
  return v as Validator
}

const stampOf = (p: Params): string => {
  const s = param(p, "stamp")
  if (!/^\d{1,20}$/.test(s)) throw new ValidationError({ message: "stamp must be digits" })
  return s
}

export const backupPath = (path: string, stamp: string): string => `${path}.infrastructor.bak.${stamp}`

/** Shell fragment setting out/rc/tool for one validator; rc stays "skip" when the tool is absent. */
const validation = (v: Validator): string => {
  switch (v) {
    case "nginx":
      // SWAG keeps nginx in its container; its proxy-confs are mounted there.
      return [
        "if command -v docker >/dev/null 2>&1 && docker ps --format '{{.Names}}' 2>/dev/null | grep -qx swag; then",
        "  tool='docker exec swag nginx -t'; out=$(docker exec swag nginx -t 2>&1); rc=$?",
        "elif command -v nginx >/dev/null 2>&1; then tool='nginx -t'; out=$(nginx -t 2>&1); rc=$?; fi",
      ].join("\n")
    case "compose":
      return "if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then " +
        "tool='docker compose config -q'; out=$(docker compose -f \"$p\" config -q 2>&1); rc=$?; fi"
    case "systemd":
      return "if command -v systemd-analyze >/dev/null 2>&1; then " +
        "tool='systemd-analyze verify'; out=$(systemd-analyze verify \"$p\" 2>&1); rc=$?; fi"
    case "none":
      return ":"
  }
}

const b64Lines = (lines: ReadonlyArray<string>, from: string, to: string): string | null => {
  const start = lines.indexOf(from)
  const end = lines.indexOf(to)
  return start < 0 || end < start ? null : Buffer.from(lines.slice(start + 1, end).join(""), "base64").toString("utf8")
}

/**
 * One script: check that the path physically leads into the globs at write time (a symlink out of
 * a watched directory is refused; a symlink within them is written through, to its target), back up the current file, write the new bytes to a temp file in the same directory
 * (same filesystem, so `mv` is an atomic rename; `cp -p` first carries mode and owner over), move it
 * into place, validate, and on a failed validation put the backup back the same atomic way.
 */
export const configRestoreScript = (p: Params): string => {
  const path = validatePaths([param(p, "path")])[0] as string
  const content = String(p["content_base64"] ?? "")
  if (!/^[A-Za-z0-9+/=]*$/.test(content)) throw new ValidationError({ message: "content_base64 is not base64" })
  const stamp = stampOf(p)
  const v = validatorOf(p)
  const globs = validateGlobs(parseListParam("globs", p["globs"]))
  return [
    "(",
    "command -v base64 >/dev/null 2>&1 || { echo '@@RESTORE error base64 is not installed'; exit 0; }",
    ...hostGlobCheck(globs),
    `p=${shq(path)}; ts=${stamp}`,
    "_physical \"$p\" || { echo '@@RESTORE error no such directory'; exit 0; }",
    'if ! _inglobs "$r"; then',
    "  echo '@@RESTORE error the path leads outside the watched globs'",
    "  echo '@@RESTORE outside'; printf '%s' \"$r\" | base64; echo '@@RESTORE outside_end'; exit 0",
    "fi",
    'if [ -L "$p" ]; then',
    "  p=$r; echo '@@RESTORE physical'; printf '%s' \"$p\" | base64; echo '@@RESTORE physical_end'",
    "fi",
    "d=${p%/*}; d=${d:-/}",
    "[ -d \"$d\" ] || { echo '@@RESTORE error no such directory'; exit 0; }",
    'tmp="$d/.infrastructor-restore.$ts.$$"; bak=',
    'if [ -e "$p" ]; then',
    '  bak="$p.infrastructor.bak.$ts"',
    '  cp -p -- "$p" "$bak" 2>/dev/null || { echo \'@@RESTORE error cannot write the backup\'; exit 0; }',
    '  cp -p -- "$p" "$tmp" 2>/dev/null || { rm -f -- "$tmp"; echo \'@@RESTORE error cannot create a temp file\'; exit 0; }',
    "fi",
    `if ! printf '%s' ${
      shq(content)
    } | base64 -d > "$tmp" 2>/dev/null; then rm -f -- "$tmp"; echo '@@RESTORE error cannot write the temp file'; exit 0; fi`,
    'mv -f -- "$tmp" "$p" 2>/dev/null || { rm -f -- "$tmp"; echo \'@@RESTORE error cannot move the temp file into place\'; exit 0; }',
    "if [ -n \"$bak\" ]; then echo '@@RESTORE written backup'; else echo '@@RESTORE written'; fi",
    'h=$(sha256sum < "$p" 2>/dev/null) && echo "@@RESTORE sha256 ${h%% *}"',
    "out=; rc=skip; tool=",
    validation(v),
    'echo "@@RESTORE validate $rc $tool"',
    'if [ "$rc" != skip ] && [ "$rc" != 0 ]; then',
    '  if [ -n "$bak" ]; then cp -p -- "$bak" "$tmp" && mv -f -- "$tmp" "$p" && echo \'@@RESTORE rolled_back\'',
    "  else rm -f -- \"$p\" && echo '@@RESTORE rolled_back'; fi",
    "fi",
    "echo '@@RESTORE output'",
    "printf '%s' \"$out\" | base64",
    "echo '@@RESTORE end'",
    ")",
  ].join("\n")
}

export const parseConfigRestore = (result: CommandResult, p: Params): Result.Result<RestoreOutcome, ParseError> => {
  const path = String(p["path"])
  const stamp = String(p["stamp"])
  const lines = result.stdout.split("\n")
  const tagged = (tag: string) => lines.find((l) => l.startsWith(`@@RESTORE ${tag}`))
  const error = tagged("error")
  const base: RestoreOutcome = {
    path,
    written: false,
    backup: null,
    sha256: null,
    validator: null,
    validation_exit_code: null,
    validation_output: "",
    rolled_back: false,
    error: null,
    outside_target: null,
  }
  if (error !== undefined) {
    return Result.succeed({
      ...base,
      error: error.slice("@@RESTORE error ".length),
      outside_target: b64Lines(lines, "@@RESTORE outside", "@@RESTORE outside_end"),
    })
  }
  const written = tagged("written")
  const end = lines.indexOf("@@RESTORE end")
  const outputAt = lines.indexOf("@@RESTORE output")
  if (written === undefined || end < 0 || outputAt < 0 || outputAt > end) {
    return Result.fail(
      new ParseError({
        dataType: "config_restore",
        message: "restore script output incomplete",
        at: result.stderr.slice(0, 300),
      }),
    )
  }
  const validate = /^@@RESTORE validate (\S+) ?(.*)$/.exec(tagged("validate") ?? "")
  const rc = validate === null || validate[1] === "skip" ? null : Number(validate[1])
  const sha = /^@@RESTORE sha256 ([0-9a-f]{64})$/.exec(tagged("sha256") ?? "")
  return Result.succeed({
    ...base,
    written: true,
    // Through a symlink the write went to its target, and the backup sits beside that.
    backup: written.endsWith("backup")
      ? backupPath(b64Lines(lines, "@@RESTORE physical", "@@RESTORE physical_end") ?? path, stamp)
      : null,
    sha256: sha === null ? null : (sha[1] as string),
    validator: rc === null ? null : (validate?.[2] ?? null),
    validation_exit_code: rc,
    validation_output: Buffer.from(lines.slice(outputAt + 1, end).join(""), "base64").toString("utf8"),
    rolled_back: tagged("rolled_back") !== undefined,
  })
}

/** Write a stored version back over a file on the host (POST .../configs/restore). */
export const configRestore: ActionSpec<RestoreOutcome> = {
  name: "config_restore",
  internal: true,
  params: params({
    path: "absolute path of the file",
    content_base64: "the bytes to write",
    validator: "nginx, compose, systemd or none",
    stamp: "digits naming the backup",
    globs: "required: the device's watched globs; nothing is written where the path physically leads outside them",
  }),
  timeout: "120 seconds",
  script: configRestoreScript,
  parse: parseConfigRestore,
  // config reads are never cached (ttl 0): nothing to invalidate or re-read here.
  invalidates: [],
}

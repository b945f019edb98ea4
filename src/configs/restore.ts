/**
 * Put a stored version back on the host: dry run = diff against the file as it is now; otherwise
 * one atomic write with backup, an optional syntax check, and a rollback when the check fails.
 */
import { Buffer } from "node:buffer"
import { Effect } from "effect"
import { Collector, type Method } from "../pipeline/Collector.ts"
import {
  CommandFailed,
  NotFound,
  RestoreRedacted,
  RestoreRefused,
  RestoreValidationFailed,
  ValidationError,
} from "../domain/errors.ts"
import type { ConfigFiles } from "../collectors/config-files/config-files.ts"
import type { RestoreOutcome, Validator } from "../collectors/config-files/config-restore.ts"
import { Store } from "../store/Store.ts"
import { globMatches } from "../domain/globs.ts"
import type { ResolvedWatchSettings } from "./watch/settings.ts"
import { redactContent, unifiedDiff } from "./analyze.ts"
import { type FullSnapshot, getSnapshot, recordVersion, sha256Hex, snapshotBytes, snapshotText } from "./history.ts"
import { REDACTED } from "./redact.ts"
import type { ConfigType } from "./types.ts"

const leadsOutside = (path: string, target: string) =>
  new RestoreRefused({
    message: `${path} leads to ${target}, outside the watched globs: nothing is written there`,
    details: { path, reason: "outside_globs", target },
  })

export interface RestoreRequest {
  readonly snapshotId: string | number
  readonly dryRun: boolean
  readonly validate: boolean
  /** Who asked, for the audit rows: the entry point (default "api") and its name for the call. */
  readonly method?: Method | undefined
  readonly source?: string | undefined
}

export const validatorFor = (type: ConfigType): Validator => {
  switch (type) {
    case "proxy_configs":
      return "nginx"
    case "docker_compose":
      return "compose"
    case "systemd_services":
      return "systemd"
    default:
      return "none"
  }
}

/** 1-based numbers of the lines of a stored version that hold a redaction placeholder. */
export const placeholderLines = (text: string): Array<number> =>
  text.split(/\r?\n/).flatMap((line, i) => (line.includes(REDACTED) ? [i + 1] : []))

/**
 * A version stored with its secrets redacted has no restorable content: the secret values are kept
 * nowhere (only `store_raw_secrets: true` keeps them, in the stored content itself).
 */
export const redactedVersion = (snap: FullSnapshot): RestoreRedacted => {
  const id = Number(snap.id)
  const lines = placeholderLines(snapshotText(snap))
  const where = lines.length === 0 ? "" : ` (line${lines.length === 1 ? "" : "s"} ${lines.slice(0, 20).join(", ")})`
  return new RestoreRedacted({
    message: `snapshot ${id} of ${snap.path} was stored with its secret values replaced by ${REDACTED}${where} and ` +
      "the real values are not kept anywhere, so it cannot be restored: writing it would put the placeholders " +
      "into the file. Nothing was written. To get this version back, read it (GET /api/configs/snapshots/" +
      `${id}, or the MCP tool get_config_version) and put it back by hand with the secrets filled in. ` +
      "Versions recorded while watch.store_raw_secrets is " +
      "true keep their secrets (in clear, in the database) and can be restored.",
    details: { path: snap.path, snapshot_id: id, redacted_lines: lines },
  })
}

/** Why a restore wrote the file without a syntax check. */
export interface RestoreWarning {
  readonly code: "no_validator" | "validator_unavailable" | "validation_off"
  readonly message: string
}

const toolOf: Record<Exclude<Validator, "none">, string> = {
  nginx: "nginx (on the host or in a `swag` container)",
  compose: "docker compose",
  systemd: "systemd-analyze",
}

/** The warning for a restore that runs (or ran) no syntax check; undefined when one is planned or ran. */
export const validationWarning = (
  type: ConfigType,
  validate: boolean,
  ran: string | null | undefined,
): RestoreWarning | undefined => {
  const planned = validatorFor(type)
  if (planned === "none") {
    return {
      code: "no_validator",
      message: `no syntax check exists for ${type}: the file is written unchecked; check the service that reads it`,
    }
  }
  if (!validate) {
    return {
      code: "validation_off",
      message: "validation was turned off (validate=false): the file is written unchecked",
    }
  }
  if (ran === null) {
    return {
      code: "validator_unavailable",
      message: `${toolOf[planned]} was not found on the host: the file was written unchecked`,
    }
  }
  return undefined
}

/**
 * Only a path the device is watched for now may be written, whatever was recorded for it in the
 * past; the host checks again, after resolving symlinks, when it reads and when it writes.
 */
export const restoreSnapshot = (deviceRef: string | number, req: RestoreRequest, settings: ResolvedWatchSettings) =>
  Effect.gen(function* () {
    const store = yield* Store
    const collector = yield* Collector
    const device = yield* store.getDevice(deviceRef)
    const snap = yield* getSnapshot(req.snapshotId)
    if (snap.device_id !== device.id) {
      return yield* Effect.fail(
        new NotFound({ message: `snapshot ${snap.id} is not a version of a file on ${device.name}` }),
      )
    }
    const globs = settings.globsFor(device)
    if (!globs.some((g) => globMatches(g.pattern, snap.path))) {
      return yield* Effect.fail(
        new RestoreRefused({
          message: `${snap.path} is not watched on ${device.name} now: a restore writes only to a watched path`,
          details: { path: snap.path, reason: "not_watched", target: null },
        }),
      )
    }
    const patterns = JSON.stringify(globs.map((g) => g.pattern))
    if (snap.content_hash === null && typeof snap.link_target === "string") {
      return yield* Effect.fail(
        new ValidationError({
          message: `snapshot ${snap.id} records a path leading outside the watched globs (to ${snap.link_target}): ` +
            "there is no content to restore",
        }),
      )
    }
    if (snap.content_hash === null) {
      return yield* Effect.fail(
        new ValidationError({ message: `snapshot ${snap.id} records a deletion: there is no content to restore` }),
      )
    }
    if (snap.size_too_large) {
      return yield* Effect.fail(
        new ValidationError({ message: `snapshot ${snap.id} was too large to store: its content is not kept` }),
      )
    }
    // The stored content is what gets written: raw when store_raw_secrets kept it, else redacted.
    if (snap.content_redacted) return yield* Effect.fail(redactedVersion(snap))
    const type = snap.config_type as ConfigType
    const bytes = snapshotBytes(snap)
    const started = Date.now()

    const current = (yield* collector.collect(device.id, "config_files", {
      method: req.method ?? "api",
      source: req.source ?? "config restore",
      params: { paths: JSON.stringify([snap.path]), globs: patterns, max_bytes: settings.maxFileBytes },
    })).data as ConfigFiles
    const now = current.files[0]
    if (now?.status === "outside") return yield* Effect.fail(leadsOutside(snap.path, now.target ?? "?"))
    const currentText = now?.status === "ok" ? Buffer.from(now.content_base64 ?? "", "base64").toString("utf8") : ""
    const identical = now?.sha256 === snap.content_hash
    const diff = unifiedDiff(
      `${snap.path} (current)`,
      redactContent(type, currentText),
      `${snap.path} (snapshot ${snap.id})`,
      redactContent(type, bytes.toString("utf8")),
    )
    const summary = {
      device: device.name,
      path: snap.path,
      snapshot_id: Number(snap.id),
      current_status: now?.status ?? "missing",
      current_sha256: now?.sha256 ?? null,
      snapshot_sha256: snap.content_hash,
      identical,
      diff,
    }
    if (req.dryRun) {
      // What can be known without writing: whether the type has a check at all.
      const planned = validationWarning(type, true, undefined)
      return { ...summary, dry_run: true, restored: false, warnings: planned === undefined ? [] : [planned] }
    }
    if (identical) {
      return {
        ...summary,
        dry_run: false,
        restored: false,
        message: "the file already has this content",
        warnings: [] as Array<RestoreWarning>,
      }
    }

    const validator = req.validate ? validatorFor(type) : "none"
    const acted = yield* collector.act(device.id, "config_restore", {
      method: req.method ?? "api",
      source: req.source ?? "config restore",
      params: {
        path: snap.path,
        content_base64: bytes.toString("base64"),
        validator,
        stamp: String(started),
        globs: patterns,
      },
    })
    const outcome = acted.result as RestoreOutcome
    if (outcome.outside_target !== null) return yield* Effect.fail(leadsOutside(snap.path, outcome.outside_target))
    if (outcome.error !== null) {
      return yield* Effect.fail(
        new CommandFailed({ device: device.name, exitCode: 1, stderr: `restore failed: ${outcome.error}` }),
      )
    }
    if (outcome.validation_exit_code !== null && outcome.validation_exit_code !== 0) {
      return yield* Effect.fail(
        new RestoreValidationFailed({
          message: `${outcome.validator ?? "validation"} failed (exit ${outcome.validation_exit_code}); ` +
            (outcome.rolled_back ? "the previous content was put back" : "ROLLBACK FAILED: check the file"),
          validator: outcome.validator,
          exitCode: outcome.validation_exit_code,
          output: outcome.validation_output,
          rolledBack: outcome.rolled_back,
        }),
      )
    }
    if (outcome.sha256 !== null && outcome.sha256 !== sha256Hex(bytes)) {
      yield* Effect.logWarning(
        "restored file hash differs from the snapshot (changed right after the write?)",
        snap.path,
      )
    }
    const unchecked = validationWarning(type, req.validate, outcome.validator)
    if (unchecked !== undefined) {
      yield* Effect.logWarning("config restore written without a syntax check", unchecked.message).pipe(
        Effect.annotateLogs({
          device: device.name,
          path: snap.path,
          snapshot_id: Number(snap.id),
          reason: unchecked.code,
        }),
      )
    }
    const recorded = yield* recordVersion(device, {
      path: snap.path,
      configType: type,
      state: "present",
      bytes,
      mtime: null,
    }, {
      source: "restore",
      detectedAt: started,
      storeRawSecrets: settings.storeRawSecrets,
    })
    return {
      ...summary,
      dry_run: false,
      restored: true,
      backup: outcome.backup,
      validator: outcome.validator,
      validated: outcome.validator !== null,
      validation_output: outcome.validation_output,
      warnings: unchecked === undefined ? [] : [unchecked],
      new_snapshot_id: recorded.recorded ? recorded.snapshotId : null,
      change_type: recorded.recorded ? recorded.changeType : null,
    }
  }).pipe(Effect.withSpan("Configs.restoreSnapshot"))

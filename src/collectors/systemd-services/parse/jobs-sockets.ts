import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { sdFail, STATE_WORD, tableRows, UNIT_NAME } from "./fail.ts"

export interface SystemdJob {
  readonly id: number
  readonly unit: string
  readonly type: string
  readonly state: string
}

/** `systemctl list-jobs`: ` JOB UNIT TYPE STATE`, or `No jobs running.` */
export const parseListJobs = (text: string, at = "list-jobs"): Result.Result<Array<SystemdJob>, ParseError> => {
  const out: Array<SystemdJob> = []
  for (
    const { line, n } of tableRows(text, /^(?:JOB\s+UNIT\s+TYPE\s+STATE|No jobs running)/, /^\d+ jobs? listed/)
  ) {
    const [id, unit, type, state] = line.split(/\s+/)
    if (
      id === undefined || !/^\d+$/.test(id) || unit === undefined || !UNIT_NAME.test(unit) || type === undefined ||
      state === undefined || !STATE_WORD.test(state)
    ) {
      return sdFail(`expected 'JOB UNIT TYPE STATE', got ${JSON.stringify(line.slice(0, 100))}`, `${at}:${n}`)
    }
    out.push({ id: Number(id), unit, type, state })
  }
  return Result.succeed(out)
}

export interface SystemdSocket {
  readonly listen: string
  readonly unit: string
  /** Null for sockets with Accept=yes (per-connection instances). */
  readonly activates: string | null
}

/**
 * `systemctl list-sockets`: the LISTEN column may contain spaces (`route 1361`), so rows are
 * cut at the header's column offsets instead of split on whitespace.
 */
export const parseListSockets = (
  text: string,
  at = "list-sockets",
): Result.Result<Array<SystemdSocket>, ParseError> => {
  const lines = text.split("\n")
  const h = lines.findIndex((l) => /^LISTEN\s+UNIT\s+ACTIVATES\s*$/.test(l.trim()))
  if (h < 0) return text.trim() === "" ? Result.succeed([]) : sdFail("no 'LISTEN UNIT ACTIVATES' header found", at)
  const header = lines[h] as string
  const unitCol = header.indexOf("UNIT")
  const actCol = header.indexOf("ACTIVATES")
  const out: Array<SystemdSocket> = []
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === "") break
    const listen = line.slice(0, unitCol).trim()
    const unit = line.slice(unitCol, actCol).trim()
    const activates = line.slice(actCol).trim()
    if (listen === "" || !UNIT_NAME.test(unit) || (activates !== "" && !UNIT_NAME.test(activates))) {
      return sdFail(
        `expected 'LISTEN UNIT ACTIVATES' columns, got ${JSON.stringify(line.slice(0, 100))}`,
        `${at}:${i + 1}`,
      )
    }
    out.push({ listen, unit, activates: activates === "" ? null : activates })
  }
  return Result.succeed(out)
}

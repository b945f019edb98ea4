import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { type Engine, readEngine } from "./parse/engine.ts"
import { parseContainerInspect } from "./parse/inspect.ts"
import {
  type Container,
  ContainerSchema,
  type ContainersData,
  ContainersDataSchema,
  type Stats,
} from "./parse/model.ts"
import { parseDockerPsJsonLines, parsePodmanPsJson } from "./parse/ps.ts"
import { parseDockerStatsJsonLines, parsePodmanStatsJson } from "./parse/stats.ts"
import { validate } from "./parse/validate.ts"
import { requireSection, type Section, splitSections } from "../shared/sections.ts"

export type { Container, ContainersData, Stats } from "./parse/model.ts"
export type { Port } from "./parse/ports.ts"
export type { LogLine } from "./parse/logs.ts"
export type { ComposePsEntry } from "./parse/ps.ts"
export type { EngineInfo } from "./parse/info.ts"
export { parseByteSize, parseSizePair } from "./parse/units.ts"
export { parsePortsString } from "./parse/ports.ts"
export {
  parseComposePsJsonLines,
  parseComposePsTable,
  parseDockerPsJsonLines,
  parseDockerPsTable,
  parseEngineContainerList,
  parsePodmanPsJson,
} from "./parse/ps.ts"
export {
  parseDockerStatsJsonLines,
  parseDockerStatsTable,
  parseEngineContainerStats,
  parsePodmanStatsJson,
} from "./parse/stats.ts"
export { parseContainerInspect } from "./parse/inspect.ts"
export { parseEngineInfo } from "./parse/info.ts"
export { mergeLogStreams, parseLogLine, parseLogsOutput } from "./parse/logs.ts"

const DT = "containers"

/** Same container in two listings: ids match by prefix (ps may print short ids). */
const sameId = (a: string, b: string): boolean => a !== "" && b !== "" && (a.startsWith(b) || b.startsWith(a))

const findStats = (c: Container, stats: ReadonlyArray<Stats>): Stats | null =>
  stats.find((s) => s.id !== null && sameId(s.id, c.id)) ?? stats.find((s) => s.name !== null && s.name === c.name) ??
    null

/** Inspect is authoritative (full ids, exact labels, mounts, health); ps adds the human status. */
const mergeOne = (ps: Container | undefined, ins: Container | undefined): Container => {
  if (ins === undefined) return ps as Container
  if (ps === undefined) return ins
  return {
    ...ins,
    image: ps.image ?? ins.image,
    command: ins.command ?? ps.command,
    created: ins.created ?? ps.created,
    status: ps.status,
    health: ins.health ?? ps.health,
    restart_count: ins.restart_count ?? ps.restart_count,
    ports: ins.ports.length > 0 ? ins.ports : ps.ports,
  }
}

/** Union of the ps and inspect listings (a container may appear between the two calls), with stats attached. */
export const mergeContainers = (
  ps: ReadonlyArray<Container>,
  inspect: ReadonlyArray<Container>,
  stats: ReadonlyArray<Stats>,
): Array<Container> => {
  const used = new Set<Container>()
  const out: Array<Container> = []
  for (const p of ps) {
    const ins = inspect.find((i) => !used.has(i) && sameId(i.id, p.id))
    if (ins !== undefined) used.add(ins)
    out.push(mergeOne(p, ins))
  }
  for (const i of inspect) if (!used.has(i)) out.push(i)
  return out.map((c) => ({ ...c, stats: findStats(c, stats) }))
}

const sectionFailed = (s: Section | undefined): boolean => s === undefined || (s.exitCode ?? 0) !== 0

/** Optional section: parsed when present; a failed command with unusable output counts as unavailable. */
const optional = <A>(
  s: Section | undefined,
  parse: (text: string) => Result.Result<Array<A>, ParseError>,
): Result.Result<{ available: boolean; items: Array<A> }, ParseError> => {
  if (s === undefined) return Result.succeed({ available: false, items: [] })
  const parsed = parse(s.body)
  if (!sectionFailed(s)) return Result.map(parsed, (items) => ({ available: true, items }))
  // Non-zero exit: keep what parsed (e.g. inspect of a container removed mid-run), else unavailable.
  return Result.succeed(
    Result.isSuccess(parsed) && s.body.trim() !== ""
      ? { available: true, items: parsed.success }
      : { available: false, items: [] },
  )
}

export const parseContainersOutput = (stdout: string): Result.Result<ContainersData, ParseError> => {
  const sections = splitSections(stdout)
  return Result.flatMap(readEngine(sections, DT), (engine: Engine | null) => {
    if (engine === null) {
      return validate(ContainersDataSchema, DT, {
        engine: null,
        available: false,
        stats_available: false,
        inspect_available: false,
        containers: [],
      })
    }
    const podman = engine === "podman"
    return Result.gen(function* () {
      const psBody = yield* requireSection(sections, "ps", DT)
      const psSection = sections.get("ps")
      if (sectionFailed(psSection)) {
        return yield* Result.fail(
          new ParseError({
            dataType: DT,
            message: `'${engine} ps' exited with ${psSection?.exitCode} (daemon not reachable or no permission)`,
            at: "ps",
          }),
        )
      }
      const ps = yield* (podman ? parsePodmanPsJson(psBody) : parseDockerPsJsonLines(psBody))
      const stats = yield* optional(sections.get("stats"), podman ? parsePodmanStatsJson : parseDockerStatsJsonLines)
      const inspect = yield* optional(sections.get("inspect"), parseContainerInspect)
      return yield* validate(ContainersDataSchema, DT, {
        engine,
        available: true,
        stats_available: stats.available,
        inspect_available: inspect.available,
        containers: mergeContainers(ps, inspect.items, stats.items),
      })
    })
  })
}

/** DataTypeSpec.parse for `containers`. */
export const parseContainers = (result: CommandResult, _params: Params): Result.Result<ContainersData, ParseError> =>
  parseContainersOutput(result.stdout)

/** Result of containerInspectScript: exactly one container, normalized (env and secrets are not kept). */
export const parseInspectOutput = (
  result: { readonly stdout: string; readonly stderr: string; readonly exitCode: number },
): Result.Result<Container, ParseError> => {
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split("\n").pop() ?? ""
    return Result.fail(
      new ParseError({
        dataType: DT,
        message: `inspect exited ${result.exitCode}: ${why.slice(0, 300)}`,
        at: "inspect",
      }),
    )
  }
  return Result.flatMap(parseContainerInspect(result.stdout), (items) => {
    const first = items[0]
    if (first === undefined || items.length !== 1) {
      return Result.fail(
        new ParseError({
          dataType: DT,
          message: `inspect returned ${items.length} objects, expected 1`,
          at: "inspect",
        }),
      )
    }
    return validate(ContainerSchema, DT, first)
  })
}

export { type ContainerActionOutcome, parseContainerActionOutput } from "./parse/action.ts"

import { Result } from "effect"
import { ParseError } from "../../domain/errors.ts"
import type { Params } from "../../domain/command.ts"
import type { CommandResult } from "../../domain/command.ts"
import { type Engine, readEngine } from "./parse/engine.ts"
import { type DockerNetwork, type DockerNetworksData, DockerNetworksDataSchema } from "./parse/model.ts"
import { parseDockerNetworkLsJsonLines, parseNetworkInspect } from "./parse/networks.ts"
import { validate } from "./parse/validate.ts"
import { requireSection, splitSections } from "../shared/sections.ts"

export type { DockerNetwork, DockerNetworksData } from "./parse/model.ts"
export {
  networkFromObject,
  parseDockerNetworkLsJsonLines,
  parseDockerNetworkLsTable,
  parseNetworkInspect,
} from "./parse/networks.ts"

const DT = "docker_networks"

const sameId = (a: string, b: string): boolean => a !== "" && b !== "" && (a.startsWith(b) || b.startsWith(a))

/** Inspect is authoritative; ls fills in what inspect lacks and keeps networks inspect missed. */
export const mergeNetworks = (
  ls: ReadonlyArray<DockerNetwork>,
  inspect: ReadonlyArray<DockerNetwork>,
): Array<DockerNetwork> => {
  const used = new Set<DockerNetwork>()
  const out: Array<DockerNetwork> = []
  for (const l of ls) {
    const ins = inspect.find((i) => !used.has(i) && (sameId(i.id, l.id) || i.name === l.name))
    if (ins === undefined) {
      out.push(l)
      continue
    }
    used.add(ins)
    out.push({
      ...ins,
      scope: ins.scope ?? l.scope,
      created: ins.created ?? l.created,
      internal: ins.internal ?? l.internal,
      ipv6: ins.ipv6 ?? l.ipv6,
    })
  }
  for (const i of inspect) if (!used.has(i)) out.push(i)
  return out
}

export const parseDockerNetworksOutput = (stdout: string): Result.Result<DockerNetworksData, ParseError> => {
  const sections = splitSections(stdout)
  return Result.flatMap(readEngine(sections, DT), (engine: Engine | null) => {
    if (engine === null) {
      return validate(DockerNetworksDataSchema, DT, {
        engine: null,
        available: false,
        inspect_available: false,
        networks: [],
      })
    }
    return Result.gen(function* () {
      const lsBody = yield* requireSection(sections, "ls", DT)
      const ls = sections.get("ls")
      if ((ls?.exitCode ?? 0) !== 0) {
        return yield* Result.fail(
          new ParseError({ dataType: DT, message: `'${engine} network ls' exited with ${ls?.exitCode}`, at: "ls" }),
        )
      }
      // podman prints netavark objects (a JSON array) for ls; docker prints JSON lines.
      const listed = yield* (engine === "podman" ? parseNetworkInspect(lsBody) : parseDockerNetworkLsJsonLines(lsBody))
      const ins = sections.get("inspect")
      let inspected: Array<DockerNetwork> = []
      let inspectAvailable = false
      if (ins !== undefined) {
        const parsed = parseNetworkInspect(ins.body)
        if ((ins.exitCode ?? 0) === 0) {
          inspected = yield* parsed
          inspectAvailable = true
        } else if (Result.isSuccess(parsed) && ins.body.trim() !== "") {
          // A network removed between ls and inspect makes inspect exit 1 but still print the rest.
          inspected = parsed.success
          inspectAvailable = true
        }
      }
      return yield* validate(DockerNetworksDataSchema, DT, {
        engine,
        available: true,
        inspect_available: inspectAvailable,
        networks: mergeNetworks(listed, inspected),
      })
    })
  })
}

/** DataTypeSpec.parse for `docker_networks`. */
export const parseDockerNetworks = (
  result: CommandResult,
  _params: Params,
): Result.Result<DockerNetworksData, ParseError> => parseDockerNetworksOutput(result.stdout)

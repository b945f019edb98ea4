import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { requireSection, type Section, section } from "../../shared/sections.ts"

/**
 * Docker if present, else podman (its CLI is docker-compatible for everything we run).
 * The choice is made on the host inside the one script, then printed as section `engine`
 * so the parser knows which output dialect follows.
 */
export type Engine = "docker" | "podman"

/** Shell prelude setting $R to the engine binary (empty when neither exists). */
export const ENGINE_PRELUDE =
  "R=; if command -v docker >/dev/null 2>&1; then R=docker; elif command -v podman >/dev/null 2>&1; then R=podman; fi"

/** Shell fragment running the docker or podman variant; exit 127 (tool missing) when neither exists. */
export const byEngine = (dockerCmd: string, podmanCmd: string): string =>
  `case "$R" in docker) ${dockerCmd} ;; podman) ${podmanCmd} ;; *) echo 'neither docker nor podman found' >&2; (exit 127) ;; esac`

export const engineSection = (): string => section("engine", `if [ -n "$R" ]; then echo "$R"; else (exit 127); fi`)

/** The engine named in the output, or null when the host has neither tool. */
export const readEngine = (
  sections: Map<string, Section>,
  dataType: string,
): Result.Result<Engine | null, ParseError> =>
  Result.flatMap(requireSection(sections, "engine", dataType), (body) => {
    const name = body.trim()
    if (name === "docker" || name === "podman") return Result.succeed(name)
    if (name === "") return Result.succeed(null)
    return Result.fail(
      new ParseError({ dataType, message: `unknown container engine '${name.slice(0, 40)}'`, at: "engine" }),
    )
  })

import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export interface ContainerActionOutcome {
  readonly name: string
  readonly action: "start" | "stop" | "restart"
}

/** `docker start|stop|restart NAME` echoes the name on success; anything else is reported with stderr. */
export const parseContainerActionOutput = (
  result: { readonly stdout: string; readonly stderr: string; readonly exitCode: number },
  name: string,
  action: "start" | "stop" | "restart",
): Result.Result<ContainerActionOutcome, ParseError> => {
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split("\n").pop() ?? ""
    return Result.fail(
      new ParseError({
        dataType: "container_action",
        message: `${action} exited ${result.exitCode}: ${why.slice(0, 300)}`,
        at: action,
      }),
    )
  }
  const echoed = result.stdout.trim().split("\n").pop()?.trim() ?? ""
  if (echoed !== name) {
    return Result.fail(
      new ParseError({
        dataType: "container_action",
        message: `${action} printed '${echoed.slice(0, 80)}', expected '${name}'`,
        at: action,
      }),
    )
  }
  return Result.succeed({ name, action })
}

import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"
import { isRecord, num, parseJson, str } from "./json.ts"

export interface EngineInfo {
  readonly server_version: string | null
  readonly storage_driver: string | null
  readonly containers: number | null
  readonly containers_running: number | null
  readonly containers_paused: number | null
  readonly containers_stopped: number | null
  readonly images: number | null
  readonly cpus: number | null
  readonly mem_total_bytes: number | null
}

/** `docker info --format '{{json .}}'` / Engine API GET /info: the engine-level counts. */
export const parseEngineInfo = (text: string): Result.Result<EngineInfo, ParseError> =>
  Result.flatMap(parseJson(text, "containers", "info"), (v) => {
    if (!isRecord(v) || (v["ID"] === undefined && v["Containers"] === undefined)) {
      return Result.fail(
        new ParseError({ dataType: "containers", message: "info response is not an engine info object", at: "info" }),
      )
    }
    return Result.succeed({
      server_version: str(v, "ServerVersion") ?? null,
      storage_driver: str(v, "Driver") ?? null,
      containers: num(v, "Containers") ?? null,
      containers_running: num(v, "ContainersRunning") ?? null,
      containers_paused: num(v, "ContainersPaused") ?? null,
      containers_stopped: num(v, "ContainersStopped") ?? null,
      images: num(v, "Images") ?? null,
      cpus: num(v, "NCPU") ?? null,
      mem_total_bytes: num(v, "MemTotal") ?? null,
    })
  })

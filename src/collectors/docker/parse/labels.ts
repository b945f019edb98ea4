import type { Compose } from "./model.ts"

/**
 * `docker ps` prints labels as "k=v,k2=v2". Values may themselves contain commas (compose
 * config_files), so a piece without "=" continues the previous value.
 */
export const parseLabelString = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  let last: string | undefined
  for (const piece of text.split(",")) {
    const eq = piece.indexOf("=")
    if (eq <= 0) {
      if (last !== undefined && piece !== "") out[last] = `${out[last] ?? ""},${piece}`
      continue
    }
    last = piece.slice(0, eq)
    out[last] = piece.slice(eq + 1)
  }
  return out
}

/** Compose project/service from the labels docker compose (and podman-compose) set. */
export const composeFromLabels = (labels: Readonly<Record<string, string>>): Compose | null => {
  const project = labels["com.docker.compose.project"] ?? labels["io.podman.compose.project"]
  if (project === undefined || project === "") return null
  const files = labels["com.docker.compose.project.config_files"]
  return {
    project,
    service: labels["com.docker.compose.service"] ?? null,
    working_dir: labels["com.docker.compose.project.working_dir"] ?? null,
    config_files: files === undefined || files === "" ? [] : files.split(",").filter((f) => f !== ""),
  }
}

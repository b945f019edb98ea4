/**
 * What the human Status column ("Up 3 minutes (healthy)", "Exited (137) 5 seconds ago")
 * says about state, exit code and health — the only source when inspect is unavailable.
 */
export interface StatusFacts {
  readonly state: string | null
  readonly exit_code: number | null
  readonly health: string | null
}

export const factsFromStatus = (status: string): StatusFacts => {
  const s = status.trim()
  const health = /\(healthy\)/.test(s)
    ? "healthy"
    : /\(unhealthy\)/.test(s)
    ? "unhealthy"
    : /\(health: starting\)|\(starting\)/.test(s)
    ? "starting"
    : null
  const exited = /^Exited \((-?\d+)\)/.exec(s)
  if (exited) return { state: "exited", exit_code: Number(exited[1]), health }
  const restarting = /^Restarting \((-?\d+)\)/.exec(s)
  if (restarting) return { state: "restarting", exit_code: Number(restarting[1]), health }
  if (/^Up\b/.test(s)) return { state: /\(Paused\)/.test(s) ? "paused" : "running", exit_code: null, health }
  if (/^Created\b/.test(s)) return { state: "created", exit_code: null, health }
  if (/^Removal In Progress/i.test(s)) return { state: "removing", exit_code: null, health }
  if (/^Dead\b/.test(s)) return { state: "dead", exit_code: null, health }
  return { state: null, exit_code: null, health }
}

/** An exit code only means something once the process has stopped. */
export const exitCodeFor = (state: string, code: number | null): number | null =>
  state === "exited" || state === "dead" || state === "restarting" || state === "stopped" ? code : null

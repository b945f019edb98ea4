/**
 * `infrastructor health`: asks a running server's /health over HTTP. Exit status 0 healthy, 1
 * unhealthy or unreachable (one line on stderr saying why). It is what the container image's
 * HEALTHCHECK runs, every 30 s, so it stays light: only fetch, and the config file's Schema and
 * YAML parser only when a config file applies (INFRA_HOST / INFRA_PORT alone need neither). It
 * never opens the store, so it is safe beside the server it asks.
 */
import { configFile, DEFAULT_HOST, DEFAULT_PORT } from "../settings/config-file.ts"
import type { OptionValues } from "./parse.ts"

export const DEFAULT_TIMEOUT_SECONDS = 3

/** The URL a server listening on host:port answers /health on; a wildcard address is asked on loopback. */
export const healthUrl = (host: string, port: number): string => {
  const h = host === "" || host === "0.0.0.0" || host === "::" || host === "[::]" ? "127.0.0.1" : host
  return `http://${h.includes(":") && !h.startsWith("[") ? `[${h}]` : h}:${port}/health`
}

type Env = Readonly<Record<string, string | undefined>>

/**
 * Where to ask: --url, else INFRA_HEALTHCHECK_URL (what the image's healthcheck always read), else
 * host and port as `serve` would take them. Without a config file and with a plain INFRA_PORT that
 * is read here; otherwise through loadConfig, so every mistake gets the configuration's own message.
 */
const targetOf = async (values: OptionValues, env: Env): Promise<string> => {
  if (values.url !== undefined) return values.url
  const fromEnv = env["INFRA_HEALTHCHECK_URL"]
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!URL.canParse(fromEnv)) throw new Error(`INFRA_HEALTHCHECK_URL is not a URL: '${fromEnv}'`)
    return fromEnv
  }
  const envPort = env["INFRA_PORT"] || undefined
  let host: string
  let port: number
  if (
    configFile(values.config, env) === undefined &&
    (envPort === undefined || (/^\d{1,5}$/.test(envPort) && Number(envPort) <= 65535))
  ) {
    host = env["INFRA_HOST"] || DEFAULT_HOST
    port = envPort === undefined ? DEFAULT_PORT : Number(envPort)
  } else {
    const { loadConfig } = await import("../settings/load.ts")
    ;({ host, port } = loadConfig(values.config, env))
  }
  if (port === 0) throw new Error("the configured port is 0 (any free port): give the server's address with --url")
  return healthUrl(host, port)
}

/** The innermost useful words of a fetch failure: `connect ECONNREFUSED 127.0.0.1:8080`, not `fetch failed`. */
const reasonOf = (e: unknown, timeoutSeconds: number): string => {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) {
    return `no answer within ${timeoutSeconds} s`
  }
  let cause: unknown = e
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return cause.message !== "" ? cause.message : typeof code === "string" ? code : cause.name
  }
  return String(cause)
}

const describeBody = (body: Record<string, unknown>): string =>
  [
    typeof body["store"] === "string" ? `store ${body["store"]}` : undefined,
    typeof body["backend"] === "string" ? `backend ${body["backend"]}` : undefined,
    typeof body["uptime_seconds"] === "number" ? `up ${body["uptime_seconds"]} s` : undefined,
  ].filter((s) => s !== undefined).join(", ")

/** Runs the check; resolves to the exit status (never rejects: bin.ts would load the runtime to describe it). */
export const healthCommand = async (values: OptionValues, env: Env = process.env): Promise<number> => {
  const fail = (text: string) => {
    process.stderr.write(`infrastructor: ${text}\n`)
    return 1
  }
  let url: string
  try {
    url = await targetOf(values, env)
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e))
  }
  const timeoutSeconds = values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(values.timeout)
  let status: number
  let text: string
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(Math.round(timeoutSeconds * 1000)),
      headers: { accept: "application/json" },
      redirect: "manual",
    })
    status = res.status
    text = await res.text()
  } catch (e) {
    return fail(`unreachable: ${url}: ${reasonOf(e, timeoutSeconds)}`)
  }
  let body: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(text)
    body = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? parsed as Record<string, unknown>
      : undefined
  } catch {
    body = undefined
  }
  if (status !== 200 || body === undefined || body["status"] !== "ok") {
    const said = body === undefined
      ? `answered HTTP ${status} ${JSON.stringify(text.slice(0, 120))}`
      : `answered HTTP ${status}, status ${JSON.stringify(body["status"] ?? null)}` +
        (describeBody(body) === "" ? "" : ` (${describeBody(body)})`)
    return fail(`unhealthy: ${url} ${said}`)
  }
  const details = describeBody(body)
  process.stdout.write(
    values.json === true ? `${JSON.stringify(body)}\n` : `ok: ${url}${details === "" ? "" : ` (${details})`}\n`,
  )
  return 0
}

// Entry of the single binary (tools/build-binary/build.mjs bundles it). It is the CLI
// (src/cli/bin.ts), plus `healthcheck` for a container's HEALTHCHECK: the image has no shell,
// curl or wget, so the binary asks its own server's /health.
const healthcheck = async () => {
  const host = process.env.INFRA_HOST ?? ""
  const listenHost = host === "" || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host
  const url = process.env.INFRA_HEALTHCHECK_URL ??
    `http://${listenHost.includes(":") ? `[${listenHost}]` : listenHost}:${process.env.INFRA_PORT || "8080"}/health`
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
    const body = await res.json().catch(() => ({}))
    if (res.ok && body.status === "ok") return 0
    process.stderr.write(`infrastructor healthcheck: ${url} answered ${res.status} ${JSON.stringify(body)}\n`)
  } catch (e) {
    process.stderr.write(`infrastructor healthcheck: ${url}: ${e instanceof Error ? e.message : String(e)}\n`)
  }
  return 1
}

if (process.argv[2] === "healthcheck") {
  healthcheck().then((code) => process.exit(code))
} else {
  import("../../src/cli/bin.ts")
}
